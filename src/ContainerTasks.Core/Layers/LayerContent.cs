using System.IO.Compression;
using System.Security.Cryptography;
using ContainerTasks.Model;

namespace ContainerTasks.Layers;

/// <summary>What a layer blob holds once inflated: its diff_id, computed by reading it, for a blob someone else made.</summary>
internal static class LayerContent
{
    /// <summary>
    /// The diff_id of <paramref name="blob"/> (gzip when <paramref name="gzip"/>, else a plain tar), reading at most
    /// <paramref name="maxBytes"/> uncompressed bytes: null when it holds more (it cannot be the layer looked for), or
    /// when it is not valid gzip.
    /// </summary>
    public static async Task<Digest?> DiffIdOfAsync(Stream blob, bool gzip, long maxBytes, CancellationToken cancellationToken)
    {
        // The blob stays open for the caller.
        await using GZipStream? inflater = gzip ? new GZipStream(blob, CompressionMode.Decompress, leaveOpen: true) : null;
        Stream content = inflater ?? blob;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[128 * 1024];
        long total = 0;
        try
        {
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
                if (total > maxBytes)
                {
                    return null;
                }
                hash.AppendData(buffer, 0, read);
            }
            // Whatever follows the compressed data is read too: the blob's digest is checked at its end (a reader that
            // stops at the end of the gzip data would never see bytes changed after it).
            while (await blob.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (InvalidDataException)
        {
            return null;
        }
        return Digest.FromSha256Hash(hash.GetHashAndReset());
    }
}
