using ContainerTasks.FileSystem;
using ContainerTasks.Model;

namespace ContainerTasks.Sources;

/// <summary>A base image in an OCI image layout folder (<c>oci-layout</c>, <c>index.json</c>, <c>blobs/</c>).</summary>
internal sealed class OciLayoutSource : IImageSource, IBlobReader
{
    private readonly string _directory;
    private readonly string? _reference;

    private OciLayoutSource(string directory, string? reference)
    {
        _directory = directory;
        _reference = reference;
        _realDirectory = new Lazy<string>(() => CanonicalPath.Resolve(directory));
    }

    private readonly Lazy<string> _realDirectory;

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
        byte[] index = ReadIndex(Path.Combine(_directory, "index.json"));
        return await new LayoutResolver($"oci:{_directory}", this).ResolveAsync(index, _reference, platform, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A layout is not trusted: a blob must be a regular file inside the layout (a link to /etc/shadow or /dev/zero is
    /// refused) of the descriptor's size, and its digest is checked before any byte is handed out, so nothing that
    /// is not the named content reaches a registry or an output.
    /// </remarks>
    public async Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken = default)
    {
        string path = CheckedBlobPath(descriptor);
        FileStream? stream = RegularFile.TryOpen(path, out FileIdentity opened);
        if (stream is null || opened.Size != descriptor.Size)
        {
            stream?.Dispose();
            throw NotABlob(descriptor);
        }
        try
        {
            if (!await descriptor.Digest.IsDigestOfAsync(stream, cancellationToken).ConfigureAwait(false))
            {
                throw new ContainerTasksException(ErrorCodes.DigestMismatch,
                    $"The OCI layout '{_directory}' has a blob {descriptor.Digest} whose content does not match its digest. The layout is damaged; recreate it.");
            }
            stream.Position = 0;
            return stream;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private string CheckedBlobPath(Descriptor descriptor)
    {
        string path = Path.Combine(_directory, "blobs", descriptor.Digest.Algorithm, descriptor.Digest.Hex);
        string real;
        FileIdentity identity;
        try
        {
            real = CanonicalPath.Resolve(path);
            identity = FileIdentity.Of(real);
        }
        catch (IOException e)
        {
            throw new ContainerTasksException(ErrorCodes.ImageNotInSource,
                $"The OCI layout '{_directory}' lacks the blob {descriptor.Digest} ({descriptor.MediaType}). The layout is incomplete; recreate it.", e);
        }
        if (!CanonicalPath.IsWithin(real, _realDirectory.Value) || identity.Kind != FileKind.Regular || identity.Size != descriptor.Size)
        {
            throw NotABlob(descriptor);
        }
        return real;
    }

    private ContainerTasksException NotABlob(Descriptor descriptor)
        => new(ErrorCodes.InvalidSource,
            $"The OCI layout '{_directory}' has a blob {descriptor.Digest} that is not a regular file of {descriptor.Size} bytes inside the layout (a link out of it, a device, or the wrong size). Recreate the layout.");

    // index.json is metadata: a regular file of a bounded size (a FIFO or /dev/zero in its place must not hang the build).
    private byte[] ReadIndex(string path)
    {
        try
        {
            return RegularFile.TryReadAll(path, ArchiveReader.MetadataLimit) ?? throw new ContainerTasksException(ErrorCodes.InvalidSource,
                $"The index.json of the OCI layout '{_directory}' is not a regular file of at most {ArchiveReader.MetadataLimit / (1024 * 1024)} MiB. Recreate the layout.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidSource, $"Cannot read the index.json of the OCI layout '{_directory}': {e.Message}", e);
        }
    }
}
