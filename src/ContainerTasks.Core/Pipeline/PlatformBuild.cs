using ContainerTasks.Building;
using ContainerTasks.Layers;
using ContainerTasks.Sources;

namespace ContainerTasks.Pipeline;

/// <summary>What one platform's build produced: the image, its base, and how its layers were made.</summary>
internal sealed record PlatformBuild(PlatformInput Input, BuiltImage Image, SourceImage Base, IReadOnlyList<PlannedLayer> Plan, bool[] Reused);
