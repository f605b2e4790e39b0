using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ContainerTasks.Engines;

/// <summary>
/// TLS to an engine's TCP address, as the docker CLI sets it up: <c>DOCKER_TLS_VERIFY</c> (any value) checks the
/// engine's certificate against <c>ca.pem</c>, <c>DOCKER_TLS</c> alone encrypts without checking; the files
/// (<c>ca.pem</c>, and the client's <c>cert.pem</c> and <c>key.pem</c>) are in <c>DOCKER_CERT_PATH</c>, else
/// <c>~/.docker</c>.
/// </summary>
/// <param name="Folder">Where the PEM files are; null when the environment names no folder (no DOCKER_CERT_PATH, DOCKER_CONFIG or HOME).</param>
/// <param name="Verify">True to check the engine's certificate.</param>
internal sealed record EngineTls(string? Folder, bool Verify)
{
    /// <summary>The engines' port for TLS when DOCKER_HOST names none.</summary>
    public const int DefaultPort = 2376;

    /// <summary>Where the docker CLI looks for an engine with TLS when DOCKER_HOST is not set.</summary>
    public const string DefaultHost = "tcp://localhost:2376";

    /// <summary>For messages: where the files came from.</summary>
    public string Describe() => $"TLS files from {Folder ?? "nowhere: no DOCKER_CERT_PATH, DOCKER_CONFIG or HOME"}{(Verify ? "" : ", the engine's certificate not checked: DOCKER_TLS")}";

    /// <summary>The TLS settings the environment asks for; null when it asks for none.</summary>
    public static EngineTls? From(IReadOnlyDictionary<string, string> environment)
    {
        bool verify = EngineEndpoints.Value(environment, "DOCKER_TLS_VERIFY") is not null;
        if (!verify && EngineEndpoints.Value(environment, "DOCKER_TLS") is null)
        {
            return null;
        }
        string? folder = EngineEndpoints.Value(environment, "DOCKER_CERT_PATH")
            ?? (EngineEndpoints.Value(environment, "DOCKER_CONFIG") is { } config ? config : EngineEndpoints.Value(environment, "HOME") is { } home ? Path.Combine(home, ".docker") : null);
        return new EngineTls(folder, verify);
    }

    /// <summary>
    /// The client's options: its certificate when <c>cert.pem</c> and <c>key.pem</c> are there, and the check of the
    /// engine's. CT4137 when a file that is there cannot be used.
    /// </summary>
    public SslClientAuthenticationOptions ClientOptions(string host)
    {
        var options = new SslClientAuthenticationOptions { TargetHost = host };
        string folder = Folder ?? "";
        string cert = Path.Combine(folder, "cert.pem"), key = Path.Combine(folder, "key.pem"), ca = Path.Combine(folder, "ca.pem");
        if (Folder is not null && File.Exists(cert) && File.Exists(key))
        {
            options.ClientCertificates = [Load(() => ExportablePair(cert, key), "cert.pem and key.pem")];
        }
        X509Certificate2Collection? roots = Verify && Folder is not null && File.Exists(ca) ? Load(() => Roots(ca), "ca.pem") : null;
        options.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Check(certificate, chain, errors, roots);
        return options;
    }

    // DOCKER_TLS alone: encrypted, unchecked, as the docker CLI does. Otherwise the engine's name must match and its chain
    // end at ca.pem (or at the system's roots when there is no ca.pem).
    private bool Check(X509Certificate? certificate, X509Chain? sent, SslPolicyErrors errors, X509Certificate2Collection? roots)
    {
        if (!Verify)
        {
            return true;
        }
        if (roots is null || certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return errors == SslPolicyErrors.None;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        // The intermediates the engine sent with its certificate.
        if (sent is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(sent.ChainPolicy.ExtraStore);
        }
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = new X509Certificate2(certificate);
        return chain.Build(server);
    }

    private static X509Certificate2 ExportablePair(string cert, string key)
    {
        using X509Certificate2 pair = X509Certificate2.CreateFromPemFile(cert, key);
        // Through PKCS#12: TLS needs a key it can use on every platform, which a PEM-loaded one is not everywhere.
        return new X509Certificate2(pair.Export(X509ContentType.Pkcs12));
    }

    private static X509Certificate2Collection Roots(string ca)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(ca);
        return roots.Count > 0 ? roots : throw new CryptographicException("it holds no certificate");
    }

    private T Load<T>(Func<T> load, string what)
    {
        try
        {
            return load();
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ContainerTasksException(ErrorCodes.EngineTlsFiles,
                $"The engine's TLS files cannot be used: {what} in {Folder}: {Registry.RegistryText.Clean(e.Message)}. Put the PEM files the engine's administrator gave you there (DOCKER_CERT_PATH), or unset DOCKER_TLS_VERIFY/DOCKER_TLS.", e);
        }
    }
}
