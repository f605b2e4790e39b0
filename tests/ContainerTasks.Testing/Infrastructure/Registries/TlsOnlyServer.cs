using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>
/// A TLS server on 127.0.0.1 that presents a given certificate and then closes: enough for a client to accept or refuse
/// that certificate, which is all a certificate test needs.
/// </summary>
public sealed class TlsOnlyServer : IAsyncDisposable
{
    private readonly LoopbackListener _listener;
    private readonly X509Certificate2 _certificate;

    /// <summary>Starts presenting <paramref name="certificate"/> (with its private key).</summary>
    public TlsOnlyServer(X509Certificate2 certificate)
    {
        _certificate = certificate;
        _listener = new LoopbackListener(ServeAsync);
    }

    /// <summary>The port listened on.</summary>
    public int Port => _listener.Port;

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private async Task ServeAsync(TcpClient client, CancellationToken cancellation)
    {
        await using var tls = new SslStream(client.GetStream());
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, cancellation);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            // The client refused the certificate: the point of the test.
        }
    }
}
