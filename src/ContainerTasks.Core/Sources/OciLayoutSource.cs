using ContainerTasks.Model;

namespace ContainerTasks.Sources;

/// <summary>A base image in an OCI image layout folder (<c>oci-layout</c>, <c>index.json</c>, <c>blobs/</c>).</summary>
public sealed class OciLayoutSource : IImageSource, IBlobReader
{
    private readonly string _directory;
    private readonly string? _reference;

    private OciLayoutSource(string directory, string? reference)
    {
        _directory = directory;
        _reference = reference;
    }

    /// <summary>Opens a layout; <paramref name="reference"/> is a tag (ref.name), a full name or a digest.</summary>
    public static OciLayoutSource Open(string directory, string? reference)
    {
        if (!Directory.Exists(directory))
        {
            throw new ContainerTasksException(ErrorCodes.SourceNotFound, $"The OCI layout folder '{directory}' does not exist.");
        }
        if (!File.Exists(Path.Combine(directory, "oci-layout")) || !File.Exists(Path.Combine(directory, "index.json")))
        {
            throw new ContainerTasksException(ErrorCodes.InvalidSource,
                $"'{directory}' is not an OCI image layout: it needs an 'oci-layout' file and an 'index.json'.");
        }
        return new OciLayoutSource(Path.GetFullPath(directory), reference);
    }

    /// <inheritdoc />
    public async Task<SourceImage> GetImageAsync(Platform? platform, CancellationToken cancellationToken = default)
    {
        byte[] index = await File.ReadAllBytesAsync(Path.Combine(_directory, "index.json"), cancellationToken).ConfigureAwait(false);
        return await new LayoutResolver($"oci:{_directory}", this).ResolveAsync(index, _reference, platform, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken = default)
    {
        string path = Path.Combine(_directory, "blobs", descriptor.Digest.Algorithm, descriptor.Digest.Hex);
        try
        {
            return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ContainerTasksException(ErrorCodes.ImageNotInSource,
                $"The OCI layout '{_directory}' lacks the blob {descriptor.Digest} ({descriptor.MediaType}). The layout is incomplete; recreate it.", e);
        }
    }
}
