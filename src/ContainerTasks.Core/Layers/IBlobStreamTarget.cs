namespace ContainerTasks.Layers;

/// <summary>
/// Somewhere a layer's blob is sent while it is written, besides the content store (a registry's upload), so a
/// layer that must be compressed is sent as it is compressed instead of after.
/// </summary>
internal interface IBlobStreamTarget
{
    /// <summary>
    /// Starts sending one blob. Never throws: a target that cannot take it returns one that drops the bytes.
    /// <paramref name="cancellationToken"/> (the layer write's) abandons the send: a write waiting for the target returns at once.
    /// </summary>
    IStreamedBlob Begin(CancellationToken cancellationToken);
}
