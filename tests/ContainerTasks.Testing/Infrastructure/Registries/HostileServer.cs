using System.Net.Sockets;
using System.Text;

namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>What a <see cref="HostileServer"/> does with one request.</summary>
public abstract record HostileAnswer
{
    /// <summary>Reads the request and never answers (the connection stays open).</summary>
    public static HostileAnswer Silent { get; } = new SilentAnswer();

    /// <summary>A complete response.</summary>
    public static HostileAnswer Fixed(int status, string body, params (string Name, string Value)[] headers) => new FixedAnswer(status, body, headers);

    /// <summary>A response whose body goes on until <paramref name="cap"/> bytes (close-delimited: no Content-Length).</summary>
    public static HostileAnswer Endless(int status, long cap, params (string Name, string Value)[] headers) => new EndlessAnswer(status, cap, TimeSpan.Zero, headers);

    /// <summary>A body of one byte every <paramref name="interval"/>: always "making progress", never done.</summary>
    public static HostileAnswer Trickle(int status, TimeSpan interval, params (string Name, string Value)[] headers) => new EndlessAnswer(status, long.MaxValue, interval, headers);

    internal sealed record SilentAnswer : HostileAnswer;

    internal sealed record FixedAnswer(int Status, string Body, (string Name, string Value)[] Headers) : HostileAnswer;

    internal sealed record EndlessAnswer(int Status, long Cap, TimeSpan Interval, (string Name, string Value)[] Headers) : HostileAnswer;
}

/// <summary>
/// A loopback HTTP/1.1 "registry" that misbehaves on purpose: bodies that never end, answers that never come,
/// error texts with terminal escapes. <see cref="Respond"/> chooses the answer for each request (method, path).
/// Counts the body bytes it managed to send, so a test can tell whether the client stopped reading.
/// </summary>
public sealed class HostileServer : IAsyncDisposable
{
    private readonly LoopbackListener _listener;
    private long _bodyBytesSent;
    private int _requests;

    /// <summary>Starts a server answering each request with <paramref name="respond"/>(method, path), on <paramref name="port"/> (0: a free one).</summary>
    public HostileServer(Func<string, string, HostileAnswer> respond, int port = 0)
    {
        Respond = respond;
        _listener = new LoopbackListener(ServeAsync, port);
    }

    /// <summary>The port listened on.</summary>
    public int Port => _listener.Port;

    /// <summary>The answer for a request (method, path).</summary>
    public Func<string, string, HostileAnswer> Respond { get; set; }

    /// <summary>"127.0.0.1:PORT", usable as a registry name (loopback: insecure, plain HTTP).</summary>
    public string Host => _listener.Address;

    /// <summary>Body bytes written to clients so far.</summary>
    public long BodyBytesSent => Interlocked.Read(ref _bodyBytesSent);

    /// <summary>Requests read so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>When set, a request without an <c>Authorization</c> header is answered 401 with a Basic challenge.</summary>
    public bool RequireBasicAuthorization { get; init; }

    /// <summary>Every request read: method, path, and whether it carried an <c>Authorization</c> header.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(string Method, string Path, bool HadAuthorization)> Seen { get; } = new();

    private async Task ServeAsync(TcpClient client, CancellationToken stop)
    {
        NetworkStream stream = client.GetStream();
        var reader = new HttpReader(stream);
        while (await HttpMessageHead.ReadAsync(reader, stop) is { } request)
        {
            Interlocked.Increment(ref _requests);
            await HttpBody.CopyAsync(reader, request, request.RequestFraming, null, stop);
            bool authorized = request.Get("Authorization") is not null;
            Seen.Enqueue((request.Method, request.Path, authorized));
            HostileAnswer answer0 = RequireBasicAuthorization && !authorized
                ? HostileAnswer.Fixed(401, "", ("WWW-Authenticate", "Basic realm=\"registry\""))
                : Respond(request.Method, request.Path);
            switch (answer0)
            {
                case HostileAnswer.FixedAnswer answer:
                    await HttpBody.WriteResponseAsync(stream, answer.Status, "Whatever", Encoding.UTF8.GetBytes(answer.Body), stop, answer.Headers);
                    break;
                case HostileAnswer.EndlessAnswer answer:
                    await SendEndlessAsync(stream, answer, stop);
                    return;
                default:
                    await Task.Delay(Timeout.Infinite, stop);
                    return;
            }
        }
    }

    private async Task SendEndlessAsync(NetworkStream stream, HostileAnswer.EndlessAnswer answer, CancellationToken stop)
    {
        var head = HttpMessageHead.Create($"HTTP/1.1 {answer.Status} Whatever", [.. answer.Headers, ("Connection", "close")]);
        await stream.WriteAsync(head.ToBytes(), stop);
        byte[] block = Encoding.ASCII.GetBytes(new string(' ', answer.Interval > TimeSpan.Zero ? 1 : 64 * 1024));
        for (long sent = 0; sent < answer.Cap; sent += block.Length)
        {
            await stream.WriteAsync(block, stop);
            Interlocked.Add(ref _bodyBytesSent, block.Length);
            if (answer.Interval > TimeSpan.Zero)
            {
                await Task.Delay(answer.Interval, stop);
            }
        }
    }

    /// <summary>Stops listening and drops the connections.</summary>
    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}
