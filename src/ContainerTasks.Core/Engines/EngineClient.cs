using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ContainerTasks.Engines;

/// <summary>
/// HTTP to one engine's API: over its unix socket (the connection callback dials it; the host name is a placeholder)
/// or TCP, with TLS when the environment asks for it (<see cref="EngineTls"/>). No proxy (the proxy variables are for registries, and the environment is the build's, not ours),
/// no redirects, no cookies; requests carry their own time limits.
/// </summary>
internal sealed class EngineClient : IDisposable
{
    /// <summary>The most of an answer that is read: the engines' answers to what is asked here are a few kilobytes.</summary>
    public const int MaxAnswer = 1024 * 1024;

    /// <summary>The longest a streamed answer (an export) may bring nothing.</summary>
    public static readonly TimeSpan SilenceLimit = TimeSpan.FromMinutes(5);

    private readonly HttpClient _http;

    /// <summary>A client for <paramref name="endpoint"/>, which must be one the API reaches (no ssh); CT4137 when its TLS files cannot be used.</summary>
    public EngineClient(EngineEndpoint endpoint, TimeSpan connectTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = connectTimeout,
        };
        if (endpoint.SocketPath is { } path)
        {
            handler.ConnectCallback = (_, cancellationToken) => ConnectAsync(path, cancellationToken);
        }
        string scheme = "http";
        if (endpoint.Tls is { } tls && endpoint.Authority is { } authority)
        {
            handler.SslOptions = tls.ClientOptions(new Uri($"https://{authority}/").IdnHost);
            scheme = "https";
        }
        _http = new HttpClient(handler)
        {
            BaseAddress = new Uri(endpoint.SocketPath is null ? $"{scheme}://{endpoint.Authority}/" : "http://localhost/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>
    /// Sends a request; returns the status and the answer's text. An answer longer than <see cref="MaxAnswer"/> is
    /// <see cref="EngineAnswerTooLongException"/>: no answer to what is asked here is, and a part of one is not read as the whole.
    /// </summary>
    public async Task<(int Status, string Text)> SendAsync(HttpMethod method, string path, HttpContent? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body };
        using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await using Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return ((int)response.StatusCode, await ReadTextAsync(stream, $"{method} /{path}", cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Sends a GET and hands a 200 answer's body, as it arrives, to <paramref name="read"/>; returns the status, and for
    /// any other status the answer's text (at most <see cref="MaxAnswer"/> bytes of it). The answer's headers must come
    /// within <see cref="SilenceLimit"/>, and a body that brings nothing for as long fails with an <see cref="IOException"/>
    /// rather than holding the build; one that keeps bringing bytes is never cut short, up to <paramref name="maxLength"/>
    /// bytes (more is <paramref name="tooLong"/>).
    /// </summary>
    public async Task<(int Status, string Text)> ReadAsync(string path, long maxLength, Func<Exception> tooLong, Func<Stream, CancellationToken, Task> read,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var headers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        headers.CancelAfter(SilenceLimit);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headers.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"No answer for {SilenceLimit.TotalMinutes:0} minutes.", e);
        }
        using HttpResponseMessage owned = response;
        headers.CancelAfter(Timeout.InfiniteTimeSpan);
        await using Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return ((int)response.StatusCode, await ReadTextAsync(stream, $"GET /{path}", cancellationToken).ConfigureAwait(false));
        }
        await using var watched = new Registry.IdleTimeoutStream(stream, response, SilenceLimit, maxLength, tooLong);
        await read(watched, cancellationToken).ConfigureAwait(false);
        return (200, "");
    }

    /// <summary>Closes the connections.</summary>
    public void Dispose() => _http.Dispose();

    private static async Task<string> ReadTextAsync(Stream stream, string what, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxAnswer)
            {
                throw new EngineAnswerTooLongException($"the answer to {what} is longer than {MaxAnswer / 1024 / 1024} MiB");
            }
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static async ValueTask<Stream> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>An engine's answer longer than <see cref="EngineClient.MaxAnswer"/>.</summary>
internal sealed class EngineAnswerTooLongException(string message) : IOException(message);
