using System.Text.Json;
using ContainerTasks.Json;
using ContainerTasks.Layers;
using ContainerTasks.Model;

namespace ContainerTasks.Outputs;

/// <summary>
/// Writes an OCI archive (a tar of an OCI layout) or a docker archive in the shape Docker 25+ saves:
/// the same OCI layout plus a <c>manifest.json</c> with <c>RepoTags</c>, which <c>docker load</c>,
/// <c>podman load</c>, skopeo and umoci all read. Entries are sorted and time-stamped like layers, so the
/// same image gives the same archive bytes. The file appears only when complete.
/// </summary>
internal static class ArchiveWriter
{
    private const int FileMode = 0x1A4; // 0644
    private const int DirectoryMode = 0x1ED; // 0755

    public static async Task WriteAsync(string path, bool docker, IImageSet image, IReadOnlyList<ImageReference> names, DateTimeOffset timestamp, CancellationToken cancellationToken)
    {
        bool gzip = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);
        string? directory = Path.GetDirectoryName(path);
        try
        {
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }
            await AtomicFile.WriteAsync(path, output => Task.Run(() => WriteTar(output, gzip, docker, image, names, timestamp, cancellationToken), cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContainerTasksException(ErrorCodes.OutputFailed, $"Cannot write the archive '{path}': {e.Message}", e);
        }
    }

    /// <summary>Writes the archive, not compressed, into <paramref name="output"/> (left open), on a pool thread: the tar writer writes synchronously.</summary>
    public static Task WriteAsync(Stream output, bool docker, IImageSet image, IReadOnlyList<ImageReference> names, DateTimeOffset timestamp, CancellationToken cancellationToken)
        => Task.Run(() => WriteTar(output, gzip: false, docker, image, names, timestamp, cancellationToken), cancellationToken);

    private static void WriteTar(Stream file, bool gzip, bool docker, IImageSet image, IReadOnlyList<ImageReference> names, DateTimeOffset timestamp, CancellationToken cancellationToken)
    {
        using GzipWriteStream? compressed = gzip ? new GzipWriteStream(file, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true, pieces: true) : null;
        var buffered = new BufferedStream(compressed ?? file, 256 * 1024);
        {
            var tar = new TarStreamWriter(buffered, timestamp.ToUnixTimeSeconds());
            tar.WriteDirectory("blobs/", DirectoryMode, 0, 0);
            var algorithms = ImageOutput.Blobs(image).Select(b => b.Digest.Algorithm).Distinct().Order(StringComparer.Ordinal);
            foreach (string algorithm in algorithms)
            {
                tar.WriteDirectory($"blobs/{algorithm}/", DirectoryMode, 0, 0);
                foreach (Descriptor blob in ImageOutput.Blobs(image).Where(b => b.Digest.Algorithm == algorithm))
                {
                    using var source = new VerifyingReadStream(image.OpenBlobAsync(blob, cancellationToken).GetAwaiter().GetResult(), blob);
                    tar.WriteFile($"blobs/{algorithm}/{blob.Digest.Hex}", FileMode, 0, 0, blob.Size, source, cancellationToken);
                }
            }
            byte[] index = new ImageIndex(MediaTypes.OciIndex, ImageOutput.IndexEntries(image, names)).ToBytes();
            WriteBytes(tar, "index.json", index, cancellationToken);
            if (docker)
            {
                WriteBytes(tar, "manifest.json", DockerManifestJson(image, names), cancellationToken);
            }
            WriteBytes(tar, "oci-layout", System.Text.Encoding.ASCII.GetBytes(ImageOutput.OciLayoutFile), cancellationToken);
            tar.Finish();
            buffered.Flush();
        }
        compressed?.Finish();
    }

    private static void WriteBytes(TarStreamWriter tar, string name, byte[] content, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(content, writable: false);
        tar.WriteFile(name, FileMode, 0, 0, content.Length, stream, cancellationToken);
    }

    // One entry per platform image; only the first carries the tags (docker load gives a tag to one image).
    private static byte[] DockerManifestJson(IImageSet images, IReadOnlyList<ImageReference> names) => JsonFormat.Write(writer =>
    {
        writer.WriteStartArray();
        for (int i = 0; i < images.Images.Count; i++)
        {
            IImage image = images.Images[i];
            writer.WriteStartObject();
            writer.WriteString("Config", BlobPath(image.Manifest.Config.Digest));
            writer.WriteStartArray("RepoTags");
            foreach (ImageReference name in i == 0 ? names.Where(n => n.Tag is not null) : [])
            {
                writer.WriteStringValue(name.FamiliarName);
            }
            writer.WriteEndArray();
            writer.WriteStartArray("Layers");
            foreach (Descriptor layer in image.Manifest.Layers)
            {
                writer.WriteStringValue(BlobPath(layer.Digest));
            }
            writer.WriteEndArray();
            WriteLayerSources(writer, image);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    });

    // Foreign layers (older Windows bases) are not in the archive: docker load fetches them from where LayerSources says, by diff_id.
    private static void WriteLayerSources(System.Text.Json.Utf8JsonWriter writer, IImage image)
    {
        var foreign = image.Layers.Where(l => MediaTypes.IsNonDistributable(l.Descriptor.MediaType) && !l.IsNew).ToList();
        if (foreign.Count == 0)
        {
            return;
        }
        writer.WriteStartObject("LayerSources");
        foreach (ImageLayer layer in foreign)
        {
            writer.WritePropertyName(layer.DiffId.ToString());
            layer.Descriptor.Write(writer);
        }
        writer.WriteEndObject();
    }

    private static string BlobPath(Digest digest) => $"blobs/{digest.Algorithm}/{digest.Hex}";
}
