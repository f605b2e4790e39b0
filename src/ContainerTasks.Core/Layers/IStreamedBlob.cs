namespace ContainerTasks.Layers;

/// <summary>One blob on its way to an <see cref="IBlobStreamTarget"/>; disposing it without completing abandons the send.</summary>
internal interface IStreamedBlob : IAsyncDisposable
{
    /// <summary>
    /// Takes the blob's bytes in order. Writes wait while the target is behind (memory stays bounded); a send that
    /// failed takes the rest quietly, so the layer is still written to the content store and sent later.
    /// </summary>
    Stream Content { get; }

    /// <summary>Ends the send with the blob's descriptor; true when the target now holds the blob.</summary>
    Task<bool> CompleteAsync(Model.Descriptor blob, CancellationToken cancellationToken);
}
