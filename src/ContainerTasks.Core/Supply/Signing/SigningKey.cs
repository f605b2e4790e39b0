using System.Security.Cryptography;

namespace ContainerTasks.Supply.Signing;

/// <summary>
/// An ECDSA P-256 private key to sign with, from PEM: PKCS#8 (<c>PRIVATE KEY</c>), SEC1 (<c>EC PRIVATE KEY</c>) or
/// encrypted PKCS#8 (<c>ENCRYPTED PRIVATE KEY</c>) with a password. Signatures are DER (RFC 3279), as Sigstore has them.
/// No message of this class quotes the PEM, the key or the password: a build log is no place for them.
/// </summary>
internal sealed class SigningKey : IDisposable
{
    private readonly ECDsa _key;

    private SigningKey(ECDsa key)
    {
        _key = key;
        SubjectPublicKeyInfo = key.ExportSubjectPublicKeyInfo();
        Hint = KeyHint.Of(SubjectPublicKeyInfo);
    }

    /// <summary>The public key as DER SubjectPublicKeyInfo.</summary>
    public byte[] SubjectPublicKeyInfo { get; }

    /// <summary>The key's hint (<see cref="KeyHint"/>).</summary>
    public string Hint { get; }

    /// <summary>The public key as a <c>PUBLIC KEY</c> PEM, what a verifier is given.</summary>
    public string PublicKeyPem => PemEncoding.WriteString("PUBLIC KEY", SubjectPublicKeyInfo);

    /// <summary>The public key, to verify what this key signs.</summary>
    public VerificationKey VerificationKey => VerificationKey.FromSubjectPublicKeyInfo(SubjectPublicKeyInfo);

    /// <summary>
    /// Loads the key <paramref name="keySpec"/> names: <c>env:NAME</c> (the variable holds the PEM), a PEM itself, or a
    /// file path. <paramref name="passwordSpec"/>, for an encrypted key, is read the same way (<c>env:NAME</c> or the
    /// password). CT4125 when the file or variable is not there, CT4126 when the key is not a usable P-256 key.
    /// </summary>
    public static SigningKey Load(string keySpec, string? passwordSpec, IReadOnlyDictionary<string, string> environment)
    {
        string pem = KeySource.Read(keySpec, "ContainerSigningKey", environment);
        string? password = string.IsNullOrEmpty(passwordSpec) ? null : KeySource.Value(passwordSpec, "ContainerSigningKeyPassword", environment);
        return FromPem(pem, password, KeySource.Describe(keySpec));
    }

    /// <summary>The key of the PEM text <paramref name="pem"/>; <paramref name="what"/> names it in messages.</summary>
    public static SigningKey FromPem(string pem, string? password, string what = "the signing key")
    {
        string label = KeySource.Label(pem, what);
        var key = ECDsa.Create();
        try
        {
            Import(key, pem, label, password, what);
            if (!KeyHint.IsP256(key))
            {
                throw KeySource.Invalid($"{what} is an ECDSA key on another curve than P-256 (secp256r1)");
            }
            return new SigningKey(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Signs <paramref name="data"/> (ECDSA with SHA-256; DER signature).</summary>
    public byte[] SignData(ReadOnlySpan<byte> data) => _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    /// <summary>Signs a SHA-256 digest: the same signature as <see cref="SignData"/> of the bytes it is the digest of.</summary>
    public byte[] SignHash(ReadOnlySpan<byte> sha256) => _key.SignHash(sha256, DSASignatureFormat.Rfc3279DerSequence);

    /// <inheritdoc/>
    public void Dispose() => _key.Dispose();

    // The BCL's exceptions are not passed on: their text is not ours to vouch for, and it must not carry key bytes.
    private static void Import(ECDsa key, string pem, string label, string? password, string what)
    {
        switch (label)
        {
            case "ENCRYPTED PRIVATE KEY" when string.IsNullOrEmpty(password):
                throw KeySource.Invalid($"{what} is encrypted (ENCRYPTED PRIVATE KEY) and no password is given: set ContainerSigningKeyPassword");
            case "ENCRYPTED PRIVATE KEY":
                try
                {
                    key.ImportFromEncryptedPem(pem, password);
                }
                catch (Exception e) when (e is CryptographicException or ArgumentException)
                {
                    throw KeySource.Invalid($"{what} could not be decrypted with the password given (a wrong password, or a damaged key)");
                }
                return;
            case "PRIVATE KEY" or "EC PRIVATE KEY":
                try
                {
                    key.ImportFromPem(pem);
                }
                catch (Exception e) when (e is CryptographicException or ArgumentException)
                {
                    throw KeySource.Invalid($"{what} is a {label} PEM that is not an ECDSA key, or is damaged");
                }
                return;
            default:
                throw KeySource.Invalid(KeySource.WrongLabel(what, label, "a private key"));
        }
    }
}
