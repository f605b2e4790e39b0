namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>Files of a test CA and a server certificate it issued, made by openssl.</summary>
/// <param name="CaCertificatePath">The CA certificate (PEM).</param>
/// <param name="CertificatePath">The server certificate (PEM).</param>
/// <param name="KeyPath">The server's private key (PEM, unencrypted).</param>
/// <param name="CaBundlePath">The system roots followed by the test CA: a drop-in <c>SSL_CERT_FILE</c>.</param>
public sealed record TestCertificates(string CaCertificatePath, string CertificatePath, string KeyPath, string CaBundlePath)
{
    /// <summary>The host names and addresses the server certificate is valid for.</summary>
    public static readonly string[] Names = ["localhost", "127.0.0.1", "registry.test"];

    /// <summary>The system trust bundle the CA bundle starts from.</summary>
    public const string SystemBundle = "/etc/ssl/certs/ca-certificates.crt";

    /// <summary>
    /// Makes a CA and a server certificate (SANs <see cref="Names"/>) in <paramref name="directory"/>. EC P-256 keys:
    /// about 30 ms in all, where RSA key generation would dominate registry start-up.
    /// </summary>
    public static TestCertificates Create(string directory)
    {
        string ca = Path.Combine(directory, "ca.crt");
        string caKey = Path.Combine(directory, "ca.key");
        string certificate = Path.Combine(directory, "server.crt");
        string key = Path.Combine(directory, "server.key");
        string bundle = Path.Combine(directory, "ca-bundle.crt");
        string[] ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

        Run.Process("openssl", ["req", "-x509", .. ecKey, "-keyout", caKey, "-out", ca, "-days", "7",
                "-subj", "/CN=ContainerTasks test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
            .EnsureSuccess("openssl (test CA)");
        // OpenSSL 3: "req -x509 -CA" issues the new request's certificate from the CA in one step.
        string sans = string.Join(',', Names.Select(n => char.IsDigit(n[0]) ? $"IP:{n}" : $"DNS:{n}"));
        Run.Process("openssl", ["req", "-x509", "-CA", ca, "-CAkey", caKey, .. ecKey, "-keyout", key, "-out", certificate, "-days", "7",
                "-subj", "/CN=localhost",
                "-addext", $"subjectAltName={sans}", "-addext", "basicConstraints=critical,CA:FALSE",
                "-addext", "keyUsage=critical,digitalSignature", "-addext", "extendedKeyUsage=serverAuth"])
            .EnsureSuccess("openssl (server certificate)");

        string system = File.Exists(SystemBundle) ? File.ReadAllText(SystemBundle) : "";
        File.WriteAllText(bundle, system.TrimEnd() + "\n" + File.ReadAllText(ca));
        return new(ca, certificate, key, bundle);
    }
}
