using ContainerTasks.Model;

namespace ContainerTasks.Registry;

/// <summary>
/// Reads a repository's blobs straight from the registry, not through the content store: a layer copied to another
/// registry streams from one to the other (the writer checks the digest while it sends).
/// </summary>
internal sealed class DirectBlobReader(RegistryClient client, string repository) : IBlobReader
{
    /// <inheritdoc />
    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken = default)
        => client.OpenBlobAsync(repository, descriptor, cancellationToken);
}
