using ContainerTasks.FileSystem;

namespace ContainerTasks.Layers;

/// <summary>
/// One entry of a layer: a path in the image and where its content comes from. Mode, owner and
/// time are decided by the <see cref="LayerWriter"/> from the entry's role and content, never from the host.
/// </summary>
public sealed record LayerEntry
{
    private LayerEntry(LayerEntryKind kind, string path)
    {
        Kind = kind;
        Path = LayerPath.Normalize(path);
    }

    /// <summary>The entry kind.</summary>
    public LayerEntryKind Kind { get; }

    /// <summary>The normalised path in the image: no leading '/', '/' separators, NFC, no trailing '/'.</summary>
    public string Path { get; }

    /// <summary>For a file, the host file whose bytes go into the layer (links are followed).</summary>
    public string? SourcePath { get; private init; }

    /// <summary>For a symlink, its target as written.</summary>
    public string? LinkTarget { get; private init; }

    /// <summary>An explicit permission mode (e.g. 0755 for an app host); null means decided from role and content.</summary>
    public int? Mode { get; init; }

    /// <summary>
    /// For a file, its identity when it was listed or hashed: the writer refuses to write the file if it is no
    /// longer the same (its bytes would not be the ones the layer was keyed by). Null: checked only while writing.
    /// </summary>
    internal FileIdentity? Identity { get; init; }

    /// <summary>This entry at another path in the image (its content, mode and identity kept).</summary>
    internal LayerEntry MovedTo(string pathInImage)
        => new(Kind, pathInImage) { SourcePath = SourcePath, LinkTarget = LinkTarget, Mode = Mode, Identity = Identity };

    /// <summary>A file: <paramref name="sourcePath"/> on the host at <paramref name="pathInImage"/>.</summary>
    public static LayerEntry File(string sourcePath, string pathInImage, int? mode = null)
        => new(LayerEntryKind.File, pathInImage) { SourcePath = sourcePath, Mode = mode };

    /// <summary>A directory at <paramref name="pathInImage"/>.</summary>
    public static LayerEntry Directory(string pathInImage, int? mode = null)
        => new(LayerEntryKind.Directory, pathInImage) { Mode = mode };

    /// <summary>A symbolic link at <paramref name="pathInImage"/> pointing to <paramref name="target"/>.</summary>
    public static LayerEntry Symlink(string pathInImage, string target)
    {
        if (string.IsNullOrEmpty(target))
        {
            throw new ContainerTasksException(ErrorCodes.InvalidLink, $"The symbolic link '{pathInImage}' has an empty target.");
        }
        return new(LayerEntryKind.Symlink, pathInImage) { LinkTarget = target };
    }
}
