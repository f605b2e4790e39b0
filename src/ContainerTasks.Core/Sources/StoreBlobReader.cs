using ContainerTasks.Content;
using ContainerTasks.Model;

namespace ContainerTasks.Sources;

/// <summary>Reads blobs of an unpacked archive from the content store.</summary>
internal sealed class StoreBlobReader : IBlobReader
{
    private readonly ContentStore _store;
    private readonly string _name;
    private readonly IReadOnlySet<Digest> _contained;

    public StoreBlobReader(ContentStore store, string name, IReadOnlySet<Digest> contained)
    {
        _store = store;
        _name = name;
        _contained = contained;
    }

    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken = default)
    {
        if (!_contained.Contains(descriptor.Digest) || !_store.Contains(descriptor.Digest))
        {
            throw new ContainerTasksException(ErrorCodes.ImageNotInSource,
                $"{_name} lacks the blob {descriptor.Digest} ({descriptor.MediaType}). The archive is incomplete; recreate it.");
        }
        return Task.FromResult(_store.OpenRead(descriptor.Digest));
    }
}
