using ContainerTasks.Content;
using ContainerTasks.Model;

namespace ContainerTasks.Sources;

/// <summary>A base image in an OCI archive: a tar (or .tar.gz) of an OCI image layout.</summary>
internal sealed class OciArchiveSource : IImageSource
{
    private readonly string _name;
    private readonly byte[] _index;
    private readonly string? _reference;
    private readonly IBlobReader _blobs;

    private OciArchiveSource(string name, byte[] index, string? reference, IBlobReader blobs)
    {
        _name = name;
        _index = index;
        _reference = reference;
        _blobs = blobs;
    }

    /// <summary>Unpacks the archive's blobs into <paramref name="store"/> (verified) and opens it.</summary>
    public static async Task<OciArchiveSource> OpenAsync(string path, string? reference, ContentStore store, CancellationToken cancellationToken = default)
    {
        ArchiveReader archive = await ArchiveReader.ReadAsync(path, store, cancellationToken).ConfigureAwait(false);
        if (!archive.Metadata.TryGetValue("index.json", out byte[]? index) || !archive.Metadata.ContainsKey("oci-layout"))
        {
            archive.Retain(new HashSet<Digest>());
            throw new ContainerTasksException(ErrorCodes.InvalidSource,
                $"'{path}' is not an OCI archive: it has no 'oci-layout' and 'index.json' at its root.");
        }
        archive.RetainReachable(() => archive.ReachableFrom(index));
        string name = $"oci-archive:{path}";
        return new OciArchiveSource(name, index, reference, new StoreBlobReader(store, name, archive.Contained));
    }

    /// <inheritdoc />
    public Task<SourceImage> GetImageAsync(Platform? platform, CancellationToken cancellationToken = default)
        => new LayoutResolver(_name, _blobs).ResolveAsync(_index, _reference, platform, cancellationToken);
}
