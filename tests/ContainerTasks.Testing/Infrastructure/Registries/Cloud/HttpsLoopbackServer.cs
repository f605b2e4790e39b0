using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace ContainerTasks.Tests.Infrastructure.Registries.Cloud;

/// <summary>
/// The TLS side of the cloud protocol fakes: a loopback listener that presents <paramref name="certificate"/> and hands
/// each request head, with a reader positioned at its body, to <paramref name="serve"/>; returning false closes the connection.
/// </summary>
internal sealed class HttpsLoopbackServer(X509Certificate2 certificate, Func<HttpMessageHead, HttpReader, Stream, CancellationToken, Task<bool>> serve) : IAsyncDisposable
{
    private LoopbackListener? _listener;

    /// <summary>Unexpected failures while serving (for diagnostics).</summary>
    public Recorded<string> Failures { get; } = new();

    /// <summary>The port on 127.0.0.1.</summary>
    public int Port => Listener.Port;

    private LoopbackListener Listener => _listener ?? throw new InvalidOperationException("Not started.");

    /// <summary>Starts listening.</summary>
    public HttpsLoopbackServer Start()
    {
        _listener = new LoopbackListener(ServeAsync);
        return this;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _listener?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>Writes a JSON answer.</summary>
    public static Task AnswerAsync(Stream stream, int status, JsonNode body, CancellationToken cancellation, params (string, string)[] headers)
        => HttpBody.WriteResponseAsync(stream, status, Reason(status), Encoding.UTF8.GetBytes(body.ToJsonString()), cancellation,
            [("Content-Type", "application/json; charset=utf-8"), .. headers]);

    private static string Reason(int status) => status switch
    {
        200 => "OK", 400 => "Bad Request", 401 => "Unauthorized", 403 => "Forbidden", 404 => "Not Found", _ => "Error",
    };

    private async Task ServeAsync(TcpClient client, CancellationToken cancellation)
    {
        await using var tls = new SslStream(client.GetStream());
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, cancellation);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            return;
        }
        var reader = new HttpReader(tls);
        try
        {
            while (await HttpMessageHead.ReadAsync(reader, cancellation) is { } head)
            {
                if (!await serve(head, reader, tls, cancellation) || head.WantsClose)
                {
                    return;
                }
            }
        }
        catch (IOException)
        {
            // The client went away.
        }
        catch (Exception e)
        {
            Failures.Add(e.ToString());
            throw;
        }
    }
}
