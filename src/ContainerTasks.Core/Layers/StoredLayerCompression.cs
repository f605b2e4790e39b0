using System.IO.Compression;
using ContainerTasks.Content;
using ContainerTasks.Model;

namespace ContainerTasks.Layers;

/// <summary>
/// Gzips a layer the store holds uncompressed (a local engine exports its layers as plain tars) into a blob of its own,
/// as deterministically as built layers are: the same tar gives the same blob on every machine. The tar stays in the store.
/// </summary>
internal static class StoredLayerCompression
{
    /// <summary>True for a plain tar layer (Docker or OCI media type).</summary>
    public static bool IsUncompressed(Descriptor layer) => layer.MediaType is MediaTypes.DockerLayer or MediaTypes.OciLayer;

    /// <summary>The gzipped blob of <paramref name="layer"/>, written into <paramref name="store"/>, with the gzip media type of its kind.</summary>
    public static Descriptor Compress(ContentStore store, Descriptor layer, CancellationToken cancellationToken)
    {
        using ContentStore.PendingBlob pending = store.BeginWrite();
        Digest digest;
        long size;
        using (var blob = new DigestingWriteStream(pending.Stream, leaveOpen: true))
        {
            // Pieces by the same rule as built layers: by size only, so the choice, and the bytes, are the same everywhere.
            using (var gzip = new GzipWriteStream(blob, CompressionLevel.Optimal, leaveOpen: true, pieces: layer.Size >= LayerWriter.ParallelThreshold))
            {
                using Stream tar = store.OpenRead(layer.Digest);
                byte[] buffer = new byte[1024 * 1024];
                int read;
                while ((read = tar.Read(buffer, 0, buffer.Length)) > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    gzip.Write(buffer, 0, read);
                }
                gzip.Finish();
            }
            digest = blob.GetDigest();
            size = blob.BytesWritten;
        }
        pending.Commit(digest);
        return new Descriptor(layer.MediaType == MediaTypes.DockerLayer ? MediaTypes.DockerLayerGzip : MediaTypes.OciLayerGzip, digest, size);
    }
}
