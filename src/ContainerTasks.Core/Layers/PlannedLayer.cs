namespace ContainerTasks.Layers;

/// <summary>One planned layer: its kind, a name for history and logs, and its entries.</summary>
internal sealed record PlannedLayer(LayerKind Kind, string Name, IReadOnlyList<LayerEntry> Entries);
