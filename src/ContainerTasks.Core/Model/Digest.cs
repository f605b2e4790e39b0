using System.Security.Cryptography;

namespace ContainerTasks.Model;

/// <summary>
/// A content digest, <c>algorithm:hex</c>. <c>sha256</c> is computed; <c>sha512</c> is accepted when read.
/// </summary>
public readonly record struct Digest
{
    private Digest(string algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    /// <summary>The algorithm, <c>sha256</c> or <c>sha512</c>.</summary>
    public string Algorithm { get; }

    /// <summary>The lower-case hexadecimal encoded hash.</summary>
    public string Hex { get; }

    /// <summary>Parses <c>sha256:&lt;64 hex&gt;</c> or <c>sha512:&lt;128 hex&gt;</c>; throws CT1001 otherwise.</summary>
    public static Digest Parse(string value)
    {
        if (TryParse(value, out var digest, out var reason))
        {
            return digest;
        }
        throw new ContainerTasksException(ErrorCodes.InvalidDigest,
            $"'{value}' is not a valid digest: {reason}. Digests look like 'sha256:' followed by 64 lower-case hex characters.");
    }

    /// <summary>Parses a digest without throwing.</summary>
    public static bool TryParse(string? value, out Digest digest) => TryParse(value, out digest, out _);

    private static bool TryParse(string? value, out Digest digest, out string reason)
    {
        digest = default;
        if (string.IsNullOrEmpty(value))
        {
            reason = "it is empty";
            return false;
        }
        int colon = value.IndexOf(':');
        if (colon <= 0)
        {
            reason = "it has no 'algorithm:' prefix";
            return false;
        }
        string algorithm = value[..colon];
        string hex = value[(colon + 1)..];
        int expected = algorithm switch { "sha256" => 64, "sha512" => 128, _ => -1 };
        if (expected < 0)
        {
            reason = $"the algorithm '{algorithm}' is not supported (sha256, sha512)";
            return false;
        }
        if (hex.Length != expected)
        {
            reason = $"a {algorithm} digest has {expected} hex characters, this one has {hex.Length}";
            return false;
        }
        foreach (char c in hex)
        {
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            {
                reason = $"'{c}' is not a lower-case hex character";
                return false;
            }
        }
        digest = new Digest(algorithm, hex);
        reason = "";
        return true;
    }

    /// <summary>The SHA-256 digest of <paramref name="data"/>.</summary>
    public static Digest Sha256(ReadOnlySpan<byte> data) => FromSha256Hash(SHA256.HashData(data));

    /// <summary>The SHA-256 digest of a stream's remaining bytes.</summary>
    public static async Task<Digest> Sha256Async(Stream stream, CancellationToken cancellationToken = default)
        => FromSha256Hash(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));

    /// <summary>Wraps a 32-byte SHA-256 hash.</summary>
    public static Digest FromSha256Hash(ReadOnlySpan<byte> hash)
    {
        if (hash.Length != 32)
        {
            throw new ArgumentException("A SHA-256 hash has 32 bytes.", nameof(hash));
        }
        return new Digest("sha256", Convert.ToHexString(hash).ToLowerInvariant());
    }

    /// <summary>A hasher of this digest's algorithm, to verify content against it.</summary>
    public IncrementalHash CreateHasher() => IncrementalHash.CreateHash(Algorithm == "sha512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);

    /// <summary>True when the rest of <paramref name="content"/> hashes to this digest (read to its end).</summary>
    public async Task<bool> IsDigestOfAsync(Stream content, CancellationToken cancellationToken = default)
    {
        using IncrementalHash hasher = CreateHasher();
        byte[] buffer = new byte[128 * 1024];
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hasher.AppendData(buffer, 0, read);
        }
        return Matches(hasher.GetHashAndReset());
    }

    /// <summary>True when <paramref name="data"/> hashes to this digest.</summary>
    public bool IsDigestOf(ReadOnlySpan<byte> data)
        => Matches(Algorithm == "sha512" ? SHA512.HashData(data) : SHA256.HashData(data));

    /// <summary>True when <paramref name="hash"/> (from <see cref="CreateHasher"/>) equals this digest.</summary>
    public bool Matches(ReadOnlySpan<byte> hash) => Convert.ToHexString(hash).Equals(Hex, StringComparison.OrdinalIgnoreCase);

    /// <summary><c>algorithm:hex</c>.</summary>
    public override string ToString() => IsEmpty ? "" : $"{Algorithm}:{Hex}";

    /// <summary>True for the default value.</summary>
    public bool IsEmpty => Algorithm is null;
}
