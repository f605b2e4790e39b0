using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>
/// Just enough HTTP/1.1 for the test servers and proxies: message heads, and bodies framed by
/// Content-Length, chunked encoding or connection close. Bodies are copied byte for byte (chunk framing
/// included), so what a proxy forwards is exactly what the client sent.
/// </summary>
internal sealed class HttpMessageHead
{
    private HttpMessageHead(string startLine, List<KeyValuePair<string, string>> headers)
    {
        StartLine = startLine;
        Headers = headers;
    }

    /// <summary>The request line (<c>GET /v2/ HTTP/1.1</c>) or status line (<c>HTTP/1.1 200 OK</c>).</summary>
    public string StartLine { get; set; }

    /// <summary>Headers in the order received, names as sent.</summary>
    public List<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The request method (request heads).</summary>
    public string Method => StartLine.Split(' ', 3)[0];

    /// <summary>The request target: origin form (<c>/v2/?a=b</c>), absolute form or <c>host:port</c> (request heads).</summary>
    public string Target => StartLine.Split(' ', 3) is { Length: >= 2 } parts ? parts[1] : "";

    /// <summary>The path of an origin-form target, without the query.</summary>
    public string Path => Target.Split('?', 2)[0];

    /// <summary>The status code (response heads).</summary>
    public int Status => int.Parse(StartLine.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The first value of header <paramref name="name"/>, or null.</summary>
    public string? Get(string name)
    {
        foreach (var header in Headers)
        {
            if (header.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return header.Value;
            }
        }
        return null;
    }

    /// <summary>Removes every header named <paramref name="name"/>.</summary>
    public void Remove(string name) => Headers.RemoveAll(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>True when a Transfer-Encoding header ends in chunked.</summary>
    public bool IsChunked => Get("Transfer-Encoding") is { } te && te.TrimEnd().EndsWith("chunked", StringComparison.OrdinalIgnoreCase);

    /// <summary>The Content-Length, or null.</summary>
    public long? ContentLength => long.TryParse(Get("Content-Length"), out long length) ? length : null;

    /// <summary>True when either side asked to close the connection after this message.</summary>
    public bool WantsClose => Get("Connection") is { } c && c.Contains("close", StringComparison.OrdinalIgnoreCase);

    /// <summary>The request body framing (requests without length or chunking have no body).</summary>
    public BodyFraming RequestFraming => IsChunked ? BodyFraming.Chunked : ContentLength is > 0 ? BodyFraming.Length : BodyFraming.None;

    /// <summary>The response body framing for a response to <paramref name="requestMethod"/>.</summary>
    public BodyFraming ResponseFraming(string requestMethod)
    {
        int status = Status;
        if (requestMethod == "HEAD" || status is (>= 100 and < 200) or 204 or 304)
        {
            return BodyFraming.None;
        }
        if (requestMethod == "CONNECT" && status is >= 200 and < 300)
        {
            return BodyFraming.None;
        }
        return IsChunked ? BodyFraming.Chunked : ContentLength is { } length ? (length > 0 ? BodyFraming.Length : BodyFraming.None) : BodyFraming.UntilClose;
    }

    /// <summary>The head as sent on the wire, ending with the empty line.</summary>
    public byte[] ToBytes()
    {
        var text = new StringBuilder(StartLine).Append("\r\n");
        foreach (var header in Headers)
        {
            text.Append(header.Key).Append(": ").Append(header.Value).Append("\r\n");
        }
        return Encoding.Latin1.GetBytes(text.Append("\r\n").ToString());
    }

    /// <summary>Makes a head from a start line and headers.</summary>
    public static HttpMessageHead Create(string startLine, params (string Name, string Value)[] headers)
        => new(startLine, headers.Select(h => new KeyValuePair<string, string>(h.Name, h.Value)).ToList());

    /// <summary>Reads a head; null when the peer closed the connection before sending anything.</summary>
    public static async Task<HttpMessageHead?> ReadAsync(HttpReader reader, CancellationToken cancellation)
    {
        string? startLine = await reader.ReadLineAsync(cancellation);
        while (startLine == "")
        {
            startLine = await reader.ReadLineAsync(cancellation);   // tolerate stray CRLFs between messages (RFC 9112 2.2)
        }
        if (startLine is null)
        {
            return null;
        }
        var headers = new List<KeyValuePair<string, string>>();
        while (true)
        {
            string line = await reader.ReadLineAsync(cancellation) ?? throw new IOException("Connection closed inside a message head.");
            if (line.Length == 0)
            {
                return new HttpMessageHead(startLine, headers);
            }
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                throw new IOException($"Malformed header line: {line}");
            }
            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
    }
}

/// <summary>How a message body is delimited.</summary>
internal enum BodyFraming
{
    None,
    Length,
    Chunked,
    UntilClose,
}

/// <summary>A buffered reader over a connection's stream: lines for heads, raw bytes for bodies.</summary>
internal sealed class HttpReader(Stream stream)
{
    private const int MaxLine = 64 * 1024;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>The underlying stream.</summary>
    public Stream Stream => stream;

    /// <summary>Bytes read from the stream but not consumed yet.</summary>
    public ReadOnlyMemory<byte> Buffered => _buffer.AsMemory(_start, _end - _start);

    /// <summary>Marks all buffered bytes as consumed.</summary>
    public void DiscardBuffered() => _start = _end = 0;

    /// <summary>Reads one CRLF- (or LF-) terminated line as Latin-1; null at end of stream before any byte.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellation)
    {
        var line = new List<byte>();
        while (true)
        {
            if (_start == _end && !await FillAsync(cancellation))
            {
                return line.Count == 0 ? null : throw new IOException("Connection closed inside a line.");
            }
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            int stop = newline < 0 ? _end : newline;
            line.AddRange(_buffer.AsSpan(_start, stop - _start));
            if (line.Count > MaxLine)
            {
                throw new IOException("Line too long.");
            }
            if (newline >= 0)
            {
                _start = newline + 1;
                if (line.Count > 0 && line[^1] == '\r')
                {
                    line.RemoveAt(line.Count - 1);
                }
                return Encoding.Latin1.GetString(line.ToArray());
            }
            _start = _end;
        }
    }

    /// <summary>Reads up to <paramref name="destination"/>.Length bytes; 0 at end of stream.</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellation)
    {
        if (_start == _end)
        {
            return await stream.ReadAsync(destination, cancellation);
        }
        int count = Math.Min(destination.Length, _end - _start);
        _buffer.AsMemory(_start, count).CopyTo(destination);
        _start += count;
        return count;
    }

    private async Task<bool> FillAsync(CancellationToken cancellation)
    {
        _start = 0;
        _end = await stream.ReadAsync(_buffer, cancellation);
        return _end > 0;
    }
}

/// <summary>Copies and reads message bodies.</summary>
internal static class HttpBody
{
    /// <summary>
    /// Copies a body of <paramref name="framing"/> from <paramref name="reader"/> to <paramref name="destination"/>
    /// (null: discard), raw (chunk framing included). Stops early, without error, once <paramref name="stopAfter"/>
    /// bytes were copied. Returns the payload bytes seen (chunk framing not counted).
    /// </summary>
    public static async Task<long> CopyAsync(HttpReader reader, HttpMessageHead head, BodyFraming framing, Stream? destination,
        CancellationToken cancellation, long stopAfter = long.MaxValue)
    {
        var budget = new Budget(stopAfter);
        switch (framing)
        {
            case BodyFraming.None:
                return 0;
            case BodyFraming.Length:
                return await CopyExactlyAsync(reader, head.ContentLength!.Value, destination, budget, cancellation);
            case BodyFraming.UntilClose:
            {
                long total = 0;
                byte[] buffer = new byte[64 * 1024];
                int read;
                while (!budget.Exhausted && (read = await reader.ReadAsync(buffer.AsMemory(0, budget.Clamp(buffer.Length)), cancellation)) > 0)
                {
                    await WriteAsync(destination, buffer.AsMemory(0, read), budget, cancellation);
                    total += read;
                }
                return total;
            }
            default:
            {
                long total = 0;
                while (!budget.Exhausted)
                {
                    string sizeLine = await reader.ReadLineAsync(cancellation) ?? throw new IOException("Connection closed inside a chunked body.");
                    await WriteLineAsync(destination, sizeLine, budget, cancellation);
                    long size = Convert.ToInt64(sizeLine.Split(';', 2)[0].Trim(), 16);
                    if (size == 0)
                    {
                        // Trailers, then the empty line that ends the body.
                        string? trailer;
                        do
                        {
                            trailer = await reader.ReadLineAsync(cancellation) ?? throw new IOException("Connection closed inside chunked trailers.");
                            await WriteLineAsync(destination, trailer, budget, cancellation);
                        }
                        while (trailer.Length > 0);
                        return total;
                    }
                    total += await CopyExactlyAsync(reader, size, destination, budget, cancellation);
                    string end = await reader.ReadLineAsync(cancellation) ?? throw new IOException("Connection closed inside a chunked body.");
                    await WriteLineAsync(destination, end, budget, cancellation);
                }
                return total;
            }
        }
    }

    /// <summary>Reads a (small) request body into memory, decoding chunked encoding.</summary>
    public static async Task<byte[]> ReadAsync(HttpReader reader, HttpMessageHead head, CancellationToken cancellation)
    {
        using var raw = new MemoryStream();
        BodyFraming framing = head.RequestFraming;
        await CopyAsync(reader, head, framing, raw, cancellation);
        if (framing != BodyFraming.Chunked)
        {
            return raw.ToArray();
        }
        // Decode the raw chunked copy.
        using var decoded = new MemoryStream();
        var chunked = new HttpReader(new MemoryStream(raw.ToArray()));
        while (true)
        {
            long size = Convert.ToInt64((await chunked.ReadLineAsync(cancellation))!.Split(';', 2)[0].Trim(), 16);
            if (size == 0)
            {
                return decoded.ToArray();
            }
            await CopyExactlyAsync(chunked, size, decoded, new Budget(long.MaxValue), cancellation);
            await chunked.ReadLineAsync(cancellation);
        }
    }

    /// <summary>Writes a complete response with a Content-Length body.</summary>
    public static async Task WriteResponseAsync(Stream stream, int status, string reason, byte[] body, CancellationToken cancellation,
        params (string Name, string Value)[] headers)
    {
        var head = HttpMessageHead.Create($"HTTP/1.1 {status} {reason}", headers);
        head.Headers.Add(new("Content-Length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await stream.WriteAsync(head.ToBytes(), cancellation);
        await stream.WriteAsync(body, cancellation);
        await stream.FlushAsync(cancellation);
    }

    private static async Task<long> CopyExactlyAsync(HttpReader reader, long length, Stream? destination, Budget budget, CancellationToken cancellation)
    {
        byte[] buffer = new byte[64 * 1024];
        long remaining = length;
        while (remaining > 0 && !budget.Exhausted)
        {
            int want = budget.Clamp((int)Math.Min(buffer.Length, remaining));
            int read = await reader.ReadAsync(buffer.AsMemory(0, want), cancellation);
            if (read == 0)
            {
                throw new IOException($"Connection closed with {remaining} body bytes outstanding.");
            }
            await WriteAsync(destination, buffer.AsMemory(0, read), budget, cancellation);
            remaining -= read;
        }
        return length - remaining;
    }

    private static Task WriteLineAsync(Stream? destination, string line, Budget budget, CancellationToken cancellation)
        => WriteAsync(destination, Encoding.Latin1.GetBytes(line + "\r\n"), budget, cancellation);

    private static async Task WriteAsync(Stream? destination, ReadOnlyMemory<byte> bytes, Budget budget, CancellationToken cancellation)
    {
        budget.Spend(bytes.Length);
        if (destination is not null)
        {
            await destination.WriteAsync(bytes, cancellation);
        }
    }

    /// <summary>How many more bytes may be copied (for stopping in the middle of a body).</summary>
    private sealed class Budget(long limit)
    {
        private long _left = limit;

        public bool Exhausted => _left <= 0;

        public int Clamp(int want) => (int)Math.Max(1, Math.Min(want, _left));

        public void Spend(int count) => _left -= count;
    }
}

/// <summary>
/// Accepts TCP connections on 127.0.0.1 (a free port chosen by the system) and runs a handler per connection.
/// Disposing stops accepting and aborts the open connections.
/// </summary>
internal sealed class LoopbackListener : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<TcpClient, CancellationToken, Task> _handler;
    private readonly HashSet<TcpClient> _open = new();
    private readonly List<Task> _tasks = new();
    private readonly Task _acceptLoop;
    private int _disposed;

    /// <param name="handler">Serves one connection.</param>
    /// <param name="port">A port to listen on (e.g. one a stopped server used); 0: a free one.</param>
    public LoopbackListener(Func<TcpClient, CancellationToken, Task> handler, int port = 0)
    {
        _handler = handler;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start(backlog: 128);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The port listened on.</summary>
    public int Port { get; }

    /// <summary>"127.0.0.1:PORT".</summary>
    public string Address => $"127.0.0.1:{Port}";

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            client.NoDelay = true;
            lock (_open)
            {
                _open.Add(client);
                _tasks.RemoveAll(t => t.IsCompleted);
                _tasks.Add(Task.Run(() => ServeAsync(client)));
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            await _handler(client, _stop.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away (or we were stopped): nothing to report.
        }
        finally
        {
            lock (_open)
            {
                _open.Remove(client);
            }
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _stop.Cancel();
        _listener.Stop();
        Task[] pending;
        lock (_open)
        {
            foreach (TcpClient client in _open)
            {
                client.Dispose();
            }
            pending = _tasks.Append(_acceptLoop).ToArray();
        }
        await Task.WhenAny(Task.WhenAll(pending), Task.Delay(TimeSpan.FromSeconds(5)));
        _stop.Dispose();
    }
}

/// <summary>Small socket helpers.</summary>
internal static class Sockets
{
    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/> with TCP_NODELAY.</summary>
    public static async Task<TcpClient> ConnectAsync(string host, int port, CancellationToken cancellation)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(host, port, cancellation);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Closes with a TCP reset instead of a normal close (the peer sees ECONNRESET).</summary>
    public static void Reset(TcpClient? client)
    {
        if (client is null)
        {
            return;
        }
        try
        {
            client.LingerState = new LingerOption(true, 0);
            client.Client.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        client.Dispose();
    }

    /// <summary>Relays bytes both ways until either side closes (a proxy's tunnel).</summary>
    public static async Task RelayAsync(Stream client, Stream origin, CancellationToken cancellation)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Task up = client.CopyToAsync(origin, done.Token);
        Task down = origin.CopyToAsync(client, done.Token);
        await Task.WhenAny(up, down);
        done.Cancel();
        try
        {
            await Task.WhenAll(up, down);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// A port on 127.0.0.1 that refuses connections for as long as the socket is kept: bound, never listening, so no
    /// server started meanwhile (by a test running alongside) can take it, as one could take a <see cref="FreePort"/>.
    /// </summary>
    public static Socket ClosedPort(out int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        return socket;
    }

    /// <summary>A free TCP port on 127.0.0.1 at the time of the call (another process may still take it).</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
