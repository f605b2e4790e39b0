using System.Security.Cryptography;

namespace ContainerTasks.Supply.Signing;

/// <summary>
/// The public key's hint in a Sigstore bundle (<c>verificationMaterial.publicKey.hint</c>): what cosign writes, the
/// standard base64 of the SHA-256 of the DER SubjectPublicKeyInfo. A hint names a key; it proves nothing.
/// </summary>
internal static class KeyHint
{
    /// <summary>The hint of the key whose DER SubjectPublicKeyInfo is <paramref name="subjectPublicKeyInfo"/>.</summary>
    public static string Of(ReadOnlySpan<byte> subjectPublicKeyInfo) => Convert.ToBase64String(SHA256.HashData(subjectPublicKeyInfo));

    /// <summary>The OID of the NIST P-256 curve (secp256r1, prime256v1).</summary>
    public const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>True when <paramref name="key"/> is on P-256.</summary>
    public static bool IsP256(ECDsa key)
    {
        ECCurve curve = key.ExportParameters(includePrivateParameters: false).Curve;
        return curve.IsNamed && (curve.Oid.Value == P256Oid || curve.Oid.FriendlyName is "nistP256" or "ECDSA_P256" or "prime256v1" or "secp256r1");
    }
}
