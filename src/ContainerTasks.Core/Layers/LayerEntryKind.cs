namespace ContainerTasks.Layers;

/// <summary>What a layer entry is.</summary>
public enum LayerEntryKind
{
    /// <summary>A regular file, read from <see cref="LayerEntry.SourcePath"/>.</summary>
    File,
    /// <summary>A directory.</summary>
    Directory,
    /// <summary>A symbolic link; only where explicitly asked for.</summary>
    Symlink,
}
