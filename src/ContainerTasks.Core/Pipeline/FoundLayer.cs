using ContainerTasks.Model;

namespace ContainerTasks.Pipeline;

/// <summary>A blob of another image with the content a planned layer would have, and where it is.</summary>
internal sealed record FoundLayer(Descriptor Blob, LayerOrigin Origin);
