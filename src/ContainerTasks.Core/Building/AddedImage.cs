using ContainerTasks.Model;
using ContainerTasks.Sources;

namespace ContainerTasks.Building;

/// <summary>
/// Another image whose layers a build adds on top of its base and below its own layers (<c>ContainerLayerImage</c>),
/// resolved for the platform being built.
/// </summary>
/// <param name="Image">The image of the build's platform.</param>
/// <param name="Origin">The image by digest (a push to its registry mounts the layers from there) and the reader of its blobs.</param>
/// <param name="Layers">Its layers to add: all, but those it shares with the bottom of the base (an image built FROM the same base).</param>
/// <param name="MergeEnvironment">Add its <c>Env</c> entries whose names are not set yet.</param>
internal sealed record AddedImage(SourceImage Image, LayerOrigin Origin, IReadOnlyList<ImageLayer> Layers, bool MergeEnvironment)
{
    /// <summary>How many of <paramref name="layers"/>, from the bottom, are the base's own bottom layers (same diff_ids in the same order).</summary>
    public static int SharedWithBase(IReadOnlyList<ImageLayer> layers, IReadOnlyList<Digest> baseDiffIds)
    {
        int shared = 0;
        while (shared < layers.Count && shared < baseDiffIds.Count && layers[shared].DiffId == baseDiffIds[shared])
        {
            shared++;
        }
        return shared;
    }

    /// <summary>The history line of each added layer: which image, by digest.</summary>
    public string CreatedBy => $"ContainerTasks: layers from {Origin.Image}";
}
