namespace ContainerTasks.Model;

/// <summary>Reads blobs (layers, configs, manifests) by descriptor.</summary>
internal interface IBlobReader
{
    /// <summary>Opens the blob; CT5003 when it is not there.</summary>
    Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken = default);
}
