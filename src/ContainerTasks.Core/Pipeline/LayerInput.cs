using ContainerTasks.Layers;

namespace ContainerTasks.Pipeline;

/// <summary>One layer given explicitly: a name for logs, its entries, and the history line that explains it.</summary>
/// <param name="Name">The name in logs and the result file.</param>
/// <param name="Entries">What goes into the layer.</param>
/// <param name="CreatedBy">The history entry's <c>created_by</c>.</param>
public sealed record LayerInput(string Name, IReadOnlyList<LayerEntry> Entries, string CreatedBy);
