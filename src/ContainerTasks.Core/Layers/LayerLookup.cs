namespace ContainerTasks.Layers;

/// <summary>A layer looked up in the layer cache by its content key.</summary>
/// <param name="Key">The content key.</param>
/// <param name="Planned">The entries in the order they are written, each with the identity its file had when it was hashed.</param>
/// <param name="Cached">The layer built before from the same content; null on a miss.</param>
internal sealed record LayerLookup(string Key, List<LayerEntry> Planned, BuiltLayer? Cached);
