using ContainerTasks.FileSystem;
using ContainerTasks.Json;
using ContainerTasks.Model;

namespace ContainerTasks.Outputs;

/// <summary>
/// Writes an image into an OCI image layout folder. Blobs appear complete or not at all (temporary file
/// and rename); <c>index.json</c> is replaced last, keeping the entries of other images and tags.
/// </summary>
internal static class OciLayoutWriter
{
    public static async Task WriteAsync(string directory, IImageSet image, IReadOnlyList<ImageReference> names, CancellationToken cancellationToken)
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
                RefuseLinkedFolders(directory, blob.Digest.Algorithm);
                if (await HoldsAsync(target, blob, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }
                await AtomicFile.WriteAsync(target, async output =>
                {
                    await using var source = new VerifyingReadStream(await image.OpenBlobAsync(blob, cancellationToken).ConfigureAwait(false), blob);
                    await source.CopyToAsync(output, 128 * 1024, cancellationToken).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
            }

            var entries = new List<Descriptor>();
            if (File.Exists(indexPath))
            {
                byte[] current = RegularFile.TryReadAll(indexPath, Sources.ArchiveReader.MetadataLimit) ?? throw new ContainerTasksException(ErrorCodes.OutputFailed,
                    $"'{indexPath}' is not a regular file of at most {Sources.ArchiveReader.MetadataLimit / (1024 * 1024)} MiB; refusing to write into that layout. Choose a new folder.");
                ImageIndex existing = ImageIndex.Parse(current, MediaTypes.OciIndex);
                var newRefs = names.Where(n => n.Tag is not null).Select(n => n.Tag).ToHashSet(StringComparer.Ordinal);
                var attached = image.Attached.Select(a => a.Entry.Digest).ToHashSet();
                entries.AddRange(existing.Manifests.Where(m =>
                    !(m.Annotations is { } a && a.TryGetValue(Sources.LayoutResolver.RefNameAnnotation, out string? r) && newRefs.Contains(r))
                    && !(names.Count == 0 && m.Digest == image.Root.Digest) && !attached.Contains(m.Digest)));
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

    // Blobs are written into the layout's own folders only: a linked blobs/ could send them anywhere.
    private static void RefuseLinkedFolders(string directory, string algorithm)
    {
        foreach (string folder in new[] { Path.Combine(directory, "blobs"), Path.Combine(directory, "blobs", algorithm) })
        {
            var info = new DirectoryInfo(folder);
            if (info.LinkTarget is not null || File.Exists(folder))
            {
                throw new ContainerTasksException(ErrorCodes.OutputFailed,
                    $"'{folder}' in the OCI layout is a link or a file, not a folder; refusing to write through it. Remove it, or choose a new folder.");
            }
            Directory.CreateDirectory(folder);
        }
    }

    // An existing blob is kept only when it is a regular file with the right content; anything else is replaced.
    private static async Task<bool> HoldsAsync(string path, Descriptor blob, CancellationToken cancellationToken)
    {
        var info = new FileInfo(path);
        if (!info.Exists && info.LinkTarget is null)
        {
            return false;
        }
        FileIdentity identity = default;
        FileStream? stream = info.LinkTarget is null ? RegularFile.TryOpen(path, out identity) : null;
        await using (stream)
        {
            if (stream is not null && identity.Size == blob.Size)
            {
                return await blob.Digest.IsDigestOfAsync(stream, cancellationToken).ConfigureAwait(false);
            }
        }
        File.Delete(path);
        return false;
    }
}
