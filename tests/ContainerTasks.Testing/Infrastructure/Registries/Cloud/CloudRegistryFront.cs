using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ContainerTasks.Tests.Infrastructure.Registries.Cloud;

/// <summary>
/// Makes a loopback registry answer as a cloud's registry host (e.g. <c>us-docker.pkg.dev</c>), which the product
/// recognises by name alone and always reaches on port 443: an HTTPS proxy (a child's <c>HTTPS_PROXY</c>) that answers
/// <c>CONNECT NAME:443</c> for its names, presents a certificate for NAME issued by its own CA (the child trusts it through
/// <c>SSL_CERT_FILE</c> = <see cref="CaBundlePath"/>), and relays the decrypted stream over TLS to the registry — so the
/// registry sees <c>Host: NAME</c> and writes its upload locations with that name. Other targets get 502, so a client that
/// reached the registry must have come through here. (<see cref="ForwardProxy"/> relays bytes only and keeps the port.)
/// </summary>
public sealed class CloudRegistryFront : IAsyncDisposable
{
    private readonly LoopbackListener _listener;
    private readonly HashSet<string> _names;
    private readonly string _upstream;
    private readonly X509Certificate2 _certificate;
    private readonly Recorded<string> _connects = new();

    /// <param name="names">The cloud host names served.</param>
    /// <param name="upstream"><c>127.0.0.1:PORT</c> of the registry (or of a relay in front of it), which speaks TLS.</param>
    /// <param name="folder">Where the CA bundle is written.</param>
    public CloudRegistryFront(string[] names, string upstream, string folder)
    {
        _names = new HashSet<string>(names, StringComparer.OrdinalIgnoreCase);
        _upstream = upstream;
        IssuedCertificate issued = IssuedCertificate.Create(names, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        _certificate = issued.Certificate;
        CaBundlePath = Path.Combine(folder, "cloud-ca-bundle.crt");
        string system = File.Exists(TestCertificates.SystemBundle) ? File.ReadAllText(TestCertificates.SystemBundle) : "";
        File.WriteAllText(CaBundlePath, system.TrimEnd() + "\n" + issued.CaPem + "\n");
        _listener = new LoopbackListener(ServeAsync);
    }

    /// <summary>For <c>HTTPS_PROXY</c>.</summary>
    public Uri ProxyUri => new($"http://{_listener.Address}");

    /// <summary>System roots and the front's CA: the child's <c>SSL_CERT_FILE</c>.</summary>
    public string CaBundlePath { get; }

    /// <summary>Every CONNECT target asked for, in order.</summary>
    public IReadOnlyList<string> Connects => _connects.Snapshot();

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync();
        _certificate.Dispose();
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellation)
    {
        NetworkStream clientStream = client.GetStream();
        var reader = new HttpReader(clientStream);
        if (await HttpMessageHead.ReadAsync(reader, cancellation) is not { } head)
        {
            return;
        }
        _connects.Add(head.Target);
        string host = head.Target.Split(':')[0];
        if (head.Method != "CONNECT" || !head.Target.EndsWith(":443", StringComparison.Ordinal) || !_names.Contains(host))
        {
            await HttpBody.WriteResponseAsync(clientStream, 502, "Bad Gateway", Encoding.UTF8.GetBytes($"Not served here: {head.Target}\n"), cancellation,
                [("Content-Type", "text/plain")]);
            return;
        }
        await clientStream.WriteAsync("HTTP/1.1 200 Connection Established\r\n\r\n"u8.ToArray(), cancellation);
        // A client waits for the 200 before its ClientHello, so nothing is left in the reader's buffer.
        await using var tls = new SslStream(clientStream);
        string[] upstream = _upstream.Split(':');
        using TcpClient origin = await Sockets.ConnectAsync(upstream[0], int.Parse(upstream[1], System.Globalization.CultureInfo.InvariantCulture), cancellation);
        await using var originTls = new SslStream(origin.GetStream(), false, (_, _, _, _) => true);
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, cancellation);
            await originTls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cancellation);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            return;   // the client refused the certificate, or went away
        }
        await Sockets.RelayAsync(tls, originTls, cancellation);
    }
}
