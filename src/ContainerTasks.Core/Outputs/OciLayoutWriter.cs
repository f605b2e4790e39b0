using ContainerTasks.Building;
using ContainerTasks.Json;
using ContainerTasks.Model;

namespace ContainerTasks.Outputs;

/// <summary>
/// Writes an image into an OCI image layout folder. Blobs appear complete or not at all (temporary file
/// and rename); <c>index.json</c> is replaced last, keeping the entries of other images and tags.
/// </summary>
internal static class OciLayoutWriter
{
    public static async Task WriteAsync(string directory, ImageSet image, IReadOnlyList<ImageReference> names, CancellationToken cancellationToken)
    {
        string indexPath = Path.Combine(directory, "index.json");
        string layoutPath = Path.Combine(directory, "oci-layout");
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any() && !File.Exists(layoutPath))
        {
            throw new ContainerTasksException(ErrorCodes.OutputFailed,
                $"'{directory}' exists and is not an OCI layout; refusing to write into it. Choose an empty or new folder.");
        }
        try
        {
            Directory.CreateDirectory(directory);
            foreach (Descriptor blob in ImageOutput.Blobs(image))
            {
                string target = Path.Combine(directory, "blobs", blob.Digest.Algorithm, blob.Digest.Hex);
                if (File.Exists(target) && new FileInfo(target).Length == blob.Size)
                {
                    continue;
                }
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await AtomicFile.WriteAsync(target, async output =>
                {
                    await using var source = new VerifyingReadStream(await image.OpenBlobAsync(blob, cancellationToken).ConfigureAwait(false), blob);
                    await source.CopyToAsync(output, 128 * 1024, cancellationToken).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
            }

            var entries = new List<Descriptor>();
            if (File.Exists(indexPath))
            {
                ImageIndex existing = ImageIndex.Parse(await File.ReadAllBytesAsync(indexPath, cancellationToken).ConfigureAwait(false), MediaTypes.OciIndex);
                var newRefs = names.Where(n => n.Tag is not null).Select(n => n.Tag).ToHashSet(StringComparer.Ordinal);
                entries.AddRange(existing.Manifests.Where(m =>
                    !(m.Annotations is { } a && a.TryGetValue(Sources.LayoutResolver.RefNameAnnotation, out string? r) && newRefs.Contains(r))
                    && !(names.Count == 0 && m.Digest == image.Root.Digest)));
            }
            entries.AddRange(ImageOutput.IndexEntries(image, names));
            byte[] index = new ImageIndex(MediaTypes.OciIndex, entries).ToBytes();
            if (!File.Exists(layoutPath))
            {
                await AtomicFile.WriteAsync(layoutPath, o => o.WriteAsync(System.Text.Encoding.ASCII.GetBytes(ImageOutput.OciLayoutFile), cancellationToken).AsTask(), cancellationToken).ConfigureAwait(false);
            }
            await AtomicFile.WriteAsync(indexPath, o => o.WriteAsync(index, cancellationToken).AsTask(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContainerTasksException(ErrorCodes.OutputFailed, $"Cannot write the OCI layout '{directory}': {e.Message}", e);
        }
    }
}

/// <summary>Writes a file through a temporary sibling that is renamed into place, and deleted on any failure.</summary>
internal static class AtomicFile
{
    public static async Task WriteAsync(string path, Func<Stream, Task> write, CancellationToken cancellationToken)
    {
        string directory = Path.GetDirectoryName(path)!;
        string temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 128 * 1024))
            {
                await write(output).ConfigureAwait(false);
            }
            cancellationToken.ThrowIfCancellationRequested();
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
