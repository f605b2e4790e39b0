using ContainerTasks.Model;

namespace ContainerTasks.Pipeline;

/// <summary>One layer of a built image, for the result file.</summary>
/// <param name="Digest">The blob digest.</param>
/// <param name="Size">The blob (compressed) size.</param>
/// <param name="Name">"base" for the base image's layers, "layer image" for those of a ContainerLayerImage, else the planned layer's name (app, app host, packages, …).</param>
/// <param name="Source">How it was made: one of <see cref="LayerSources"/> (built, cache, destination, cache-from, base, layer-image).</param>
public sealed record LayerResult(Digest Digest, long Size, string Name, string Source)
{
    /// <summary>For a layer found by its content in another image, or of a layer image: that image (<c>registry/repository@digest</c>, or the reference given).</summary>
    public string? FoundIn { get; init; }
}
