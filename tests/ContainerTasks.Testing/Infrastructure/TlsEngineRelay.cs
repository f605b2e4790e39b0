using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ContainerTasks.Tests.Infrastructure;

/// <summary>
/// An engine's API over TCP with TLS, as <c>dockerd --tlsverify</c> serves it: a listener on 127.0.0.1 that asks for a
/// client certificate issued by its CA, and relays each connection to an engine's unix socket (a real Podman service,
/// or a test's engine). Its files are where DOCKER_CERT_PATH points: <c>ca.pem</c>, <c>cert.pem</c>, <c>key.pem</c>.
/// </summary>
public sealed class TlsEngineRelay : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _socket;
    private readonly X509Certificate2 _server;
    private readonly X509Certificate2 _ca;
    private readonly X509Certificate2? _intermediate;

    /// <param name="socket">The engine's unix socket.</param>
    /// <param name="certFolder">Where the client's files are written (DOCKER_CERT_PATH).</param>
    /// <param name="throughIntermediate">True to issue the relay's certificate from an intermediate CA, which the relay sends with it.</param>
    public TlsEngineRelay(string socket, string certFolder, bool throughIntermediate = false)
    {
        _socket = socket;
        Directory.CreateDirectory(certFolder);
        (_ca, _intermediate, _server) = WriteFiles(certFolder, throughIntermediate);
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    /// <summary>DOCKER_HOST for the relay.</summary>
    public string Host => $"tcp://localhost:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Client certificates the relay refused, and why.</summary>
    public List<string> Refused { get; } = [];

    public void Dispose()
    {
        _listener.Stop();
        _server.Dispose();
        _intermediate?.Dispose();
        _ca.Dispose();
    }

    // A CA, the relay's certificate (localhost, 127.0.0.1), and a client certificate with its key in PEM files.
    private static (X509Certificate2 Ca, X509Certificate2? Intermediate, X509Certificate2 Server) WriteFiles(string folder, bool throughIntermediate)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=ContainerTasks test engine CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        // The CA outlives what it issues by a day: an issued certificate may not end after its issuer.
        X509Certificate2 ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(8));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        X509Certificate2? intermediate = throughIntermediate ? IssueCa(ca) : null;
        X509Certificate2 server = Issue(intermediate ?? ca, "CN=localhost", "1.3.6.1.5.5.7.3.1", san.Build(), out _);
        using X509Certificate2 client = Issue(ca, "CN=builder", "1.3.6.1.5.5.7.3.2", null, out ECDsa clientKey);
        File.WriteAllText(Path.Combine(folder, "ca.pem"), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, "cert.pem"), client.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, "key.pem"), clientKey.ExportPkcs8PrivateKeyPem());
        clientKey.Dispose();
        return (ca, intermediate, server);
    }

    private static X509Certificate2 IssueCa(X509Certificate2 root)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=ContainerTasks test engine intermediate CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using X509Certificate2 issued = request.Create(root, DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(8).AddHours(-1), RandomNumberGenerator.GetBytes(8));
        using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, string usage, X509Extension? san, out ECDsa key)
    {
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }
        using X509Certificate2 issued = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7), RandomNumberGenerator.GetBytes(8));
        using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var tls = new SslStream(client.GetStream(), false, CheckClient))
        using (var engine = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                // The intermediate goes with the relay's certificate, as a server configured with its chain sends it.
                var context = SslStreamCertificateContext.Create(_server, _intermediate is null ? null : new X509Certificate2Collection(_intermediate), offline: true);
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = context, ClientCertificateRequired = true });
                await engine.ConnectAsync(new UnixDomainSocketEndPoint(_socket));
                using var engineStream = new NetworkStream(engine, ownsSocket: false);
                Task up = CopyThenCloseAsync(tls, engineStream, () => engine.Shutdown(SocketShutdown.Send));
                Task down = engineStream.CopyToAsync(tls);
                await Task.WhenAny(up, down);
                await down;
            }
            catch (Exception e) when (e is IOException or SocketException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
            }
        }
    }

    private static async Task CopyThenCloseAsync(Stream from, Stream to, Action close)
    {
        try
        {
            await from.CopyToAsync(to);
            close();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    // A client certificate issued by the relay's CA, as dockerd --tlsverify asks.
    private bool CheckClient(object sender, X509Certificate? certificate, X509Chain? _, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            lock (Refused)
            {
                Refused.Add("no client certificate");
            }
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = new X509Certificate2(certificate);
        bool trusted = chain.Build(presented);
        if (!trusted)
        {
            lock (Refused)
            {
                Refused.Add($"{presented.Subject}: not issued by the relay's CA");
            }
        }
        return trusted;
    }
}
