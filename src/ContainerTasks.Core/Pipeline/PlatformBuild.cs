using ContainerTasks.Building;
using ContainerTasks.Layers;
using ContainerTasks.Sources;

namespace ContainerTasks.Pipeline;

/// <summary>What one platform's build produced: the image, its base, and where each planned layer came from (one of <see cref="Model.LayerSources"/>).</summary>
internal sealed record PlatformBuild(PlatformInput Input, BuiltImage Image, SourceImage Base, IReadOnlyList<PlannedLayer> Plan, string[] Sources)
{
    /// <summary>The images whose layers were added between the base's and the plan's (<c>ContainerLayerImage</c>), in order.</summary>
    public IReadOnlyList<AddedImage> Added { get; init; } = [];
}
