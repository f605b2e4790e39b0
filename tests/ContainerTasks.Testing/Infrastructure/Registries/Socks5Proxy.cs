using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>One CONNECT a <see cref="Socks5Proxy"/> received.</summary>
/// <param name="Target">The <c>host:port</c> the client asked for, before the host map.</param>
/// <param name="ConnectedTo">The <c>host:port</c> connected to; null when refused or unreachable.</param>
/// <param name="User">The user name the client authenticated with, if any.</param>
public sealed record Socks5Connection(string Target, string? ConnectedTo, string? User);

/// <summary>
/// A minimal SOCKS5 proxy (RFC 1928, CONNECT only) on 127.0.0.1, with optional user/password authentication
/// (RFC 1929). Names are looked up in a host map first (default: registry.test → 127.0.0.1), so a client that
/// reaches <c>registry.test</c> must have gone through this proxy.
/// </summary>
public sealed class Socks5Proxy : IAsyncDisposable
{
    private const byte Version = 5;
    private readonly LoopbackListener _listener;
    private readonly Dictionary<string, string> _hosts;
    private readonly Recorded<Socks5Connection> _connections = new();

    /// <summary>Starts a proxy; with <paramref name="requiredCredential"/>, clients must authenticate with it.</summary>
    public Socks5Proxy(RegistryCredential? requiredCredential = null)
    {
        _hosts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [ForwardProxy.TestHostName] = "127.0.0.1" };
        RequiredCredential = requiredCredential;
        _listener = new LoopbackListener(ServeAsync);
    }

    /// <summary>The credential clients must send, or null for an open proxy.</summary>
    public RegistryCredential? RequiredCredential { get; }

    /// <summary><c>socks5://127.0.0.1:PORT</c>, with the required credential in the user part when there is one.</summary>
    public Uri Uri => RequiredCredential is { } c
        ? new($"socks5://{Uri.EscapeDataString(c.User)}:{Uri.EscapeDataString(c.Password)}@{_listener.Address}")
        : new($"socks5://{_listener.Address}");

    /// <summary>Every CONNECT so far, in order.</summary>
    public IReadOnlyList<Socks5Connection> Connections => _connections.Snapshot();

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private async Task ServeAsync(TcpClient client, CancellationToken cancellation)
    {
        NetworkStream stream = client.GetStream();
        string? user = await NegotiateAsync(stream, cancellation);
        if (user == "")
        {
            return;
        }
        byte[] head = await ReadAsync(stream, 4, cancellation);
        string host = head[3] switch
        {
            1 => new IPAddress(await ReadAsync(stream, 4, cancellation)).ToString(),
            4 => new IPAddress(await ReadAsync(stream, 16, cancellation)).ToString(),
            _ => Encoding.ASCII.GetString(await ReadAsync(stream, (await ReadAsync(stream, 1, cancellation))[0], cancellation)),
        };
        int port = BinaryPrimitives.ReadUInt16BigEndian(await ReadAsync(stream, 2, cancellation));
        string target = $"{host}:{port}";
        if (head[1] != 1)
        {
            await ReplyAsync(stream, 7, cancellation); // command not supported
            Record(new(target, null, user));
            return;
        }
        string address = _hosts.TryGetValue(host, out string? mapped) ? mapped : host;
        using TcpClient origin = await TryConnectAsync(address, port, cancellation) ?? new TcpClient();
        Record(new(target, origin.Connected ? $"{address}:{port}" : null, user));
        await ReplyAsync(stream, origin.Connected ? (byte)0 : (byte)5, cancellation);
        if (origin.Connected)
        {
            await Sockets.RelayAsync(stream, origin.GetStream(), cancellation);
        }
    }

    /// <summary>The method negotiation: null when no authentication was needed, the user name after a good login, "" after a refusal.</summary>
    private async Task<string?> NegotiateAsync(NetworkStream stream, CancellationToken cancellation)
    {
        byte[] greeting = await ReadAsync(stream, 2, cancellation);
        byte[] methods = await ReadAsync(stream, greeting[1], cancellation);
        byte wanted = RequiredCredential is null ? (byte)0 : (byte)2;
        bool offered = greeting[0] == Version && methods.Contains(wanted);
        await stream.WriteAsync(new byte[] { Version, offered ? wanted : (byte)0xFF }, cancellation);
        if (!offered || RequiredCredential is not { } required)
        {
            return offered ? null : "";
        }
        byte[] version = await ReadAsync(stream, 2, cancellation);
        string name = Encoding.UTF8.GetString(await ReadAsync(stream, version[1], cancellation));
        string password = Encoding.UTF8.GetString(await ReadAsync(stream, (await ReadAsync(stream, 1, cancellation))[0], cancellation));
        bool accepted = name == required.User && password == required.Password;
        await stream.WriteAsync(new byte[] { 1, accepted ? (byte)0 : (byte)1 }, cancellation);
        if (!accepted)
        {
            Record(new("(login refused)", null, name));
        }
        return accepted ? name : "";
    }

    private static async Task<TcpClient?> TryConnectAsync(string host, int port, CancellationToken cancellation)
    {
        try
        {
            return await Sockets.ConnectAsync(host, port, cancellation);
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private static Task ReplyAsync(NetworkStream stream, byte status, CancellationToken cancellation)
        => stream.WriteAsync(new byte[] { Version, status, 0, 1, 0, 0, 0, 0, 0, 0 }, cancellation).AsTask();

    private static async Task<byte[]> ReadAsync(Stream stream, int count, CancellationToken cancellation)
    {
        byte[] buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, cancellation);
        return buffer;
    }

    private void Record(Socks5Connection connection)
    {
        _connections.Add(connection);
    }
}
