using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>
/// A server certificate issued in memory by a fresh CA, with validity dates of the test's choosing (e.g. expired), for
/// TLS cases the openssl-made <see cref="TestCertificates"/> do not cover.
/// </summary>
/// <param name="CaPem">The issuing CA, PEM, for a certs.d <c>ca.crt</c>.</param>
/// <param name="Certificate">The server certificate with its private key.</param>
public sealed record IssuedCertificate(string CaPem, X509Certificate2 Certificate)
{
    /// <summary>Issues a certificate for <paramref name="names"/> valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>.</summary>
    public static IssuedCertificate Create(string[] names, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=ContainerTasks in-memory test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(notBefore.AddDays(-1), notAfter.AddDays(365));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (string name in names)
        {
            if (IPAddress.TryParse(name, out IPAddress? address))
            {
                san.AddIpAddress(address);
            }
            else
            {
                san.AddDnsName(name);
            }
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using X509Certificate2 issued = request.Create(ca, notBefore, notAfter, RandomNumberGenerator.GetBytes(8));
        using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);
        // Through PKCS#12 so that SslStream can use the key on every platform.
        return new IssuedCertificate(ca.ExportCertificatePem(), X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null));
    }
}
