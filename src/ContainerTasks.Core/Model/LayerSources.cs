namespace ContainerTasks.Model;

/// <summary>Where a layer of a built image came from, as the log and the result file name it.</summary>
public static class LayerSources
{
    /// <summary>Compressed by this build.</summary>
    public const string Built = "built";

    /// <summary>From the local layer cache: the same content was built on this machine before.</summary>
    public const string Cache = "cache";

    /// <summary>Found by diff_id in the image a destination tag points at.</summary>
    public const string Destination = "destination";

    /// <summary>Found by diff_id in an image named by <c>ContainerCacheFrom</c>.</summary>
    public const string CacheFrom = "cache-from";

    /// <summary>A layer of the base image (or found by diff_id among them).</summary>
    public const string Base = "base";

    /// <summary>A layer of an image named by <c>ContainerLayerImage</c>, added on top of the base.</summary>
    public const string LayerImage = "layer-image";
}
