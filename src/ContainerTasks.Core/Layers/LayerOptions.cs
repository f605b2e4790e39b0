using ContainerTasks.Model;

namespace ContainerTasks.Layers;

/// <summary>How a layer is written: owner, time stamp and compression. The defaults give reproducible layers.</summary>
public sealed record LayerOptions
{
    /// <summary>The uid of the entries (default 0); see <see cref="OwnedPath"/>.</summary>
    public int Uid { get; init; }

    /// <summary>The gid of the entries (default 0); see <see cref="OwnedPath"/>.</summary>
    public int Gid { get; init; }

    /// <summary>
    /// When set (an image path such as <c>srv/app</c>), only entries at or below it get <see cref="Uid"/> and <see cref="Gid"/>;
    /// the rest (folders above it, other destinations) are root's. Null: every entry.
    /// </summary>
    public string? OwnedPath { get; init; }

    /// <summary>The owner of the entry at <paramref name="path"/> (a normalised image path).</summary>
    public (int Uid, int Gid) OwnerOf(string path)
        => Windows ? (0, 0) : OwnedPath is null || path == OwnedPath || path.StartsWith(OwnedPath + "/", StringComparison.Ordinal) ? (Uid, Gid) : (0, 0);

    /// <summary>The mtime of every entry: <c>SOURCE_DATE_EPOCH</c> when the caller passes it, else the epoch.</summary>
    public DateTimeOffset ModificationTime { get; init; } = Timestamps.Default;

    /// <summary>
    /// True for a Windows image's layer (<see cref="WindowsLayerFormat"/>): entries under <c>Files/</c> with the drive
    /// left out, an empty <c>Hives/</c>, the Windows security descriptor on each entry, owner 0.
    /// </summary>
    public bool Windows { get; init; }

    /// <summary>The compression of the layer blob.</summary>
    public LayerCompression Compression { get; init; } = LayerCompression.Default;
}
