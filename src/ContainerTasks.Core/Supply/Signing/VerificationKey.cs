using System.Security.Cryptography;

namespace ContainerTasks.Supply.Signing;

/// <summary>An ECDSA P-256 public key that signatures are checked against (a <c>PUBLIC KEY</c> PEM, DER SubjectPublicKeyInfo).</summary>
internal sealed class VerificationKey : IDisposable
{
    private readonly ECDsa _key;

    private VerificationKey(ECDsa key, byte[] subjectPublicKeyInfo)
    {
        _key = key;
        Hint = KeyHint.Of(subjectPublicKeyInfo);
    }

    /// <summary>The key's hint (<see cref="KeyHint"/>).</summary>
    public string Hint { get; }

    /// <summary>The key of a <c>PUBLIC KEY</c> PEM; CT4126 when it is not a P-256 public key.</summary>
    public static VerificationKey FromPem(string pem, string what = "the public key")
    {
        string label = KeySource.Label(pem, what);
        if (label != "PUBLIC KEY")
        {
            throw KeySource.Invalid(KeySource.WrongLabel(what, label, "a PUBLIC KEY"));
        }
        PemFields fields = PemEncoding.Find(pem);
        byte[] der = new byte[fields.DecodedDataLength];
        return Convert.TryFromBase64Chars(pem.AsSpan()[fields.Base64Data], der, out _)
            ? FromSubjectPublicKeyInfo(der, what)
            : throw KeySource.Invalid($"{what} is not valid base64");
    }

    /// <summary>The key of DER SubjectPublicKeyInfo bytes; CT4126 when it is not a P-256 public key.</summary>
    public static VerificationKey FromSubjectPublicKeyInfo(byte[] der, string what = "the public key")
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(der, out int read);
            if (read != der.Length || !KeyHint.IsP256(key))
            {
                throw KeySource.Invalid($"{what} is not an ECDSA P-256 public key");
            }
            return new VerificationKey(key, der);
        }
        catch (CryptographicException)
        {
            key.Dispose();
            throw KeySource.Invalid($"{what} is not an ECDSA public key, or is damaged");
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>True when <paramref name="signature"/> (DER) signs <paramref name="data"/> (ECDSA with SHA-256).</summary>
    public bool VerifiesData(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
        => _key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    /// <summary>True when <paramref name="signature"/> (DER) signs the SHA-256 digest <paramref name="sha256"/>.</summary>
    public bool VerifiesHash(ReadOnlySpan<byte> sha256, ReadOnlySpan<byte> signature)
        => _key.VerifyHash(sha256, signature, DSASignatureFormat.Rfc3279DerSequence);

    /// <inheritdoc/>
    public void Dispose() => _key.Dispose();
}
