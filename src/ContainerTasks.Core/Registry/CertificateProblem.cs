using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ContainerTasks.Registry;

/// <summary>
/// Why a registry's TLS certificate is refused — a name it is not for, an issuer this machine does not trust, a validity
/// period that is over or not begun — in words, each with the fix that matches: a trusted CA does not cure a name
/// mismatch, and certs.d does not cure an expired certificate.
/// </summary>
internal sealed record CertificateProblem(string Host, SslPolicyErrors Errors, IReadOnlyList<X509ChainStatusFlags> ChainStatus,
    string Issuer, IReadOnlyList<string> Names, DateTime NotBefore, DateTime NotAfter)
{
    /// <summary>The problem of <paramref name="certificate"/> for <paramref name="host"/>; <paramref name="chainStatus"/> from the chain that decided.</summary>
    public static CertificateProblem Of(string host, X509Certificate2? certificate, SslPolicyErrors errors, IEnumerable<X509ChainStatus> chainStatus)
    {
        var flags = chainStatus.Select(s => s.Status).Where(s => s != X509ChainStatusFlags.NoError).Distinct().ToList();
        if (certificate is null)
        {
            return new CertificateProblem(host, errors, flags, "", [], DateTime.MinValue, DateTime.MaxValue);
        }
        // The certificate is the registry's words too: cleaned and capped before they reach a message.
        List<string> names = NamesOf(certificate).Select(name => RegistryText.Clean(name)).ToList();
        List<string> shown = names.Count > 10 ? [.. names.Take(10), $"and {names.Count - 10} more"] : names;
        return new CertificateProblem(host, errors, flags, RegistryText.Clean(certificate.Issuer), shown, certificate.NotBefore.ToUniversalTime(), certificate.NotAfter.ToUniversalTime());
    }

    /// <summary>What is wrong, e.g. "it is for localhost, 127.0.0.1, not other.test".</summary>
    public string Reason => string.Join("; and ", Parts().Select(p => p.Reason));

    /// <summary>What to do about it, for a registry reached as <paramref name="authority"/>.</summary>
    public string Fix(string authority) => string.Join(" ", Parts(authority).Select(p => p.Fix).Distinct());

    private IEnumerable<(string Reason, string Fix)> Parts(string authority = "")
    {
        if (Errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            yield return ("the registry sent no certificate", "Check that the registry serves TLS with a certificate.");
        }
        if (Errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            yield return ($"it is for {(Names.Count > 0 ? string.Join(", ", Names) : "other names")}, not {Host}",
                $"Address the registry by a name the certificate lists, or have the certificate re-issued with {Host} among its names (trusting its CA would not help: the name is what does not match).");
        }
        if (ChainStatus.Contains(X509ChainStatusFlags.NotTimeValid))
        {
            yield return DateTime.UtcNow < NotBefore
                ? ($"it is not valid before {NotBefore:yyyy-MM-dd HH:mm} UTC", "Check this machine's clock, or wait until the certificate is valid.")
                : ($"it expired on {NotAfter:yyyy-MM-dd HH:mm} UTC", "Have the registry's certificate renewed (or check this machine's clock).");
        }
        if (ChainStatus.Any(s => s is X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.PartialChain))
        {
            yield return ($"its issuer ({Issuer}) is not trusted here ({string.Join(", ", ChainStatus)})",
                $"If the registry uses a private CA, put that CA in /etc/docker/certs.d/{authority}/ca.crt (or ~/.docker/certs.d, or a folder in CONTAINERTASKS_CERTS_DIR) or in the bundle SSL_CERT_FILE names; for a test registry, list it in DOTNET_CONTAINER_INSECURE_REGISTRIES.");
        }
        else if (Errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors) && !ChainStatus.Contains(X509ChainStatusFlags.NotTimeValid))
        {
            yield return ($"its chain is not valid ({string.Join(", ", ChainStatus.DefaultIfEmpty(X509ChainStatusFlags.NoError))})", "Have the registry's certificate fixed.");
        }
    }

    private static List<string> NamesOf(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
                names.AddRange(san.EnumerateIPAddresses().Select(a => a.ToString()));
            }
        }
        return names.Count > 0 ? names : [certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false)];
    }
}
