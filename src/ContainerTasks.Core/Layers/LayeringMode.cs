namespace ContainerTasks.Layers;

/// <summary>How the publish output is cut into layers.</summary>
public enum LayeringMode
{
    /// <summary>The split of <see cref="LayerKind"/>.</summary>
    Split,
    /// <summary>One layer, like the SDK's built-in support (and for single-file and NativeAOT apps).</summary>
    Single,
}
