using System.Net.Sockets;
using System.Text;

namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>One request a <see cref="ForwardProxy"/> received.</summary>
/// <param name="Method">The method; CONNECT for tunnels.</param>
/// <param name="Target">The requested <c>host:port</c> (as the client named it, before the host map).</param>
/// <param name="ConnectedTo">The <c>host:port</c> actually connected to; null when refused or unreachable.</param>
/// <param name="HadProxyAuthorization">True when a <c>Proxy-Authorization</c> header was sent.</param>
/// <param name="Status">The status answered: 200 for an opened tunnel, 407, 502, or the origin's status.</param>
/// <param name="Path">The path and query of a plain HTTP request; null for CONNECT.</param>
public sealed record ForwardProxyRequest(string Method, string Target, string? ConnectedTo, bool HadProxyAuthorization, int Status, string? Path);

/// <summary>
/// A minimal forward proxy on 127.0.0.1: plain HTTP requests in absolute form (<c>GET http://host:port/path</c>)
/// and <c>CONNECT host:port</c> tunnels (for HTTPS). Host names are looked up in a map first
/// (e.g. <c>registry.test</c> → <c>127.0.0.1</c>), so a client that reaches <c>registry.test</c> must have used
/// the proxy: the name resolves nowhere else. With <see cref="RequiredCredential"/> set, requests without the
/// right <c>Proxy-Authorization: Basic …</c> get 407 with <c>Proxy-Authenticate: Basic realm="test"</c>.
/// </summary>
public sealed class ForwardProxy : IAsyncDisposable
{
    private readonly LoopbackListener _listener;
    private readonly Dictionary<string, string> _hosts;
    private readonly Recorded<ForwardProxyRequest> _requests = new();

    /// <summary>Starts a proxy; <paramref name="hostMap"/> maps host names to addresses (default: registry.test → 127.0.0.1), or to <c>address:port</c>, which replaces the port too.</summary>
    public ForwardProxy(IReadOnlyDictionary<string, string>? hostMap = null, RegistryCredential? requiredCredential = null)
    {
        _hosts = new Dictionary<string, string>(hostMap ?? new Dictionary<string, string> { [TestHostName] = "127.0.0.1" },
            StringComparer.OrdinalIgnoreCase);
        RequiredCredential = requiredCredential;
        _listener = new LoopbackListener(ServeAsync);
    }

    /// <summary>The name the default host map resolves to 127.0.0.1 (also a SAN of the test registries' certificates).</summary>
    public const string TestHostName = "registry.test";

    /// <summary>The credential clients must send, or null for an open proxy.</summary>
    public RegistryCredential? RequiredCredential { get; }

    /// <summary><c>127.0.0.1:PORT</c>.</summary>
    public string Address => _listener.Address;

    /// <summary><c>http://127.0.0.1:PORT</c>, for <c>HTTPS_PROXY</c>/<c>HTTP_PROXY</c> or a WebProxy.</summary>
    public Uri Uri => new($"http://{Address}");

    /// <summary>The proxy URL with the required credential in its user part (<c>http://user:password@127.0.0.1:PORT</c>).</summary>
    public Uri UriWithCredential => RequiredCredential is { } c
        ? new($"http://{Uri.EscapeDataString(c.User)}:{Uri.EscapeDataString(c.Password)}@{Address}")
        : Uri;

    /// <summary>Every request so far, in order.</summary>
    public IReadOnlyList<ForwardProxyRequest> Requests => _requests.Snapshot();

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private async Task ServeAsync(TcpClient client, CancellationToken cancellation)
    {
        NetworkStream clientStream = client.GetStream();
        var clientReader = new HttpReader(clientStream);
        TcpClient? origin = null;
        HttpReader? originReader = null;
        string? originTarget = null;
        try
        {
            while (await HttpMessageHead.ReadAsync(clientReader, cancellation) is { } request)
            {
                string method = request.Method;
                bool hadAuthorization = request.Get("Proxy-Authorization") is not null;
                bool isConnect = method == "CONNECT";
                string? path = null;
                string host;
                int port;
                if (isConnect)
                {
                    (host, port) = SplitHostPort(request.Target, 443);
                }
                else if (Uri.TryCreate(request.Target, UriKind.Absolute, out Uri? uri) && uri.Scheme == "http")
                {
                    (host, port, path) = (uri.IdnHost, uri.Port, uri.PathAndQuery);
                }
                else
                {
                    await DiscardAndAnswerAsync(clientReader, request, 400, "Bad Request", "Expected an absolute http:// URI or CONNECT.", cancellation);
                    Record(new(method, request.Target, null, hadAuthorization, 400, null));
                    continue;
                }
                string target = $"{host}:{port}";

                if (RequiredCredential is { } credential && request.Get("Proxy-Authorization") != credential.BasicHeader)
                {
                    await DiscardAndAnswerAsync(clientReader, request, 407, "Proxy Authentication Required", "Proxy credentials required.", cancellation,
                        ("Proxy-Authenticate", "Basic realm=\"test\""));
                    Record(new(method, target, null, hadAuthorization, 407, path));
                    if (request.WantsClose)
                    {
                        return;
                    }
                    continue;
                }

                string address = _hosts.TryGetValue(host, out string? mapped) ? mapped : host;
                if (mapped is not null && !mapped.Contains(']') && mapped.Count(c => c == ':') == 1)
                {
                    // A mapped address with a port (127.0.0.1:5000) replaces the port too: a name's port 443 served by a loopback fake.
                    (address, port) = SplitHostPort(mapped, port);
                }
                string connectedTo = $"{address}:{port}";
                if (origin is null || originTarget != connectedTo)
                {
                    origin?.Dispose();
                    origin = null;
                    try
                    {
                        origin = await Sockets.ConnectAsync(address, port, cancellation);
                    }
                    catch (SocketException e)
                    {
                        await DiscardAndAnswerAsync(clientReader, request, 502, "Bad Gateway", $"Cannot reach {target}: {e.Message}", cancellation);
                        Record(new(method, target, null, hadAuthorization, 502, path));
                        continue;
                    }
                    originReader = new HttpReader(origin.GetStream());
                    originTarget = connectedTo;
                }
                NetworkStream originStream = origin.GetStream();

                if (isConnect)
                {
                    Record(new(method, target, connectedTo, hadAuthorization, 200, null));
                    await clientStream.WriteAsync("HTTP/1.1 200 Connection Established\r\n\r\n"u8.ToArray(), cancellation);
                    await TunnelAsync(clientReader, clientStream, originStream, cancellation);
                    return;
                }

                // Origin form for the origin server; the proxy's own headers stay here.
                string version = request.StartLine.Split(' ', 3) is [_, _, var v] ? v : "HTTP/1.1";
                request.StartLine = $"{method} {path} {version}";
                request.Remove("Proxy-Authorization");
                request.Remove("Proxy-Connection");
                await originStream.WriteAsync(request.ToBytes(), cancellation);
                await HttpBody.CopyAsync(clientReader, request, request.RequestFraming, originStream, cancellation);
                await originStream.FlushAsync(cancellation);

                HttpMessageHead response = await HttpMessageHead.ReadAsync(originReader!, cancellation)
                    ?? throw new IOException($"{target} closed the connection without answering.");
                BodyFraming framing = response.ResponseFraming(method);
                await clientStream.WriteAsync(response.ToBytes(), cancellation);
                await HttpBody.CopyAsync(originReader!, response, framing, clientStream, cancellation);
                await clientStream.FlushAsync(cancellation);
                Record(new(method, target, connectedTo, hadAuthorization, response.Status, path));
                if (framing == BodyFraming.UntilClose || request.WantsClose)
                {
                    return;
                }
                if (response.WantsClose)
                {
                    origin.Dispose();
                    origin = null;
                }
            }
        }
        finally
        {
            origin?.Dispose();
        }
    }

    /// <summary>Relays bytes both ways until either side closes.</summary>
    private static async Task TunnelAsync(HttpReader clientReader, Stream client, Stream origin, CancellationToken cancellation)
    {
        // Bytes the client sent right after CONNECT (e.g. a TLS ClientHello) may already sit in the reader's buffer.
        if (clientReader.Buffered.Length > 0)
        {
            await origin.WriteAsync(clientReader.Buffered, cancellation);
            clientReader.DiscardBuffered();
        }
        await Sockets.RelayAsync(client, origin, cancellation);
    }

    private static async Task DiscardAndAnswerAsync(HttpReader reader, HttpMessageHead request, int status, string reason, string message,
        CancellationToken cancellation, params (string, string)[] headers)
    {
        if (request.Method != "CONNECT")
        {
            await HttpBody.CopyAsync(reader, request, request.RequestFraming, null, cancellation);
        }
        await HttpBody.WriteResponseAsync(reader.Stream, status, reason, Encoding.UTF8.GetBytes(message + "\n"), cancellation,
            [("Content-Type", "text/plain"), .. headers]);
    }

    private static (string Host, int Port) SplitHostPort(string value, int defaultPort)
    {
        if (value.StartsWith('['))
        {
            int close = value.IndexOf(']');
            string host = value[1..close];
            return (host, close + 2 <= value.Length - 1 ? int.Parse(value[(close + 2)..], System.Globalization.CultureInfo.InvariantCulture) : defaultPort);
        }
        int colon = value.LastIndexOf(':');
        return colon < 0 ? (value, defaultPort) : (value[..colon], int.Parse(value[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    private void Record(ForwardProxyRequest request)
    {
        _requests.Add(request);
    }
}
