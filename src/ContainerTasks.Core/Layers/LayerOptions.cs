using System.IO.Compression;
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
        => OwnedPath is null || path == OwnedPath || path.StartsWith(OwnedPath + "/", StringComparison.Ordinal) ? (Uid, Gid) : (0, 0);

    /// <summary>The mtime of every entry: <c>SOURCE_DATE_EPOCH</c> when the caller passes it, else the epoch.</summary>
    public DateTimeOffset ModificationTime { get; init; } = Timestamps.Default;

    /// <summary>The compression of the layer blob.</summary>
    public LayerCompression Compression { get; init; } = LayerCompression.Default;
}

/// <summary>A layer blob's compression.</summary>
public sealed record LayerCompression
{
    private LayerCompression(bool gzip, CompressionLevel level)
    {
        IsGzip = gzip;
        Level = level;
    }

    /// <summary>Gzip at the default level (see docs/benchmarks.md for why this level).</summary>
    public static LayerCompression Default { get; } = new(true, CompressionLevel.Optimal);

    /// <summary>No compression: the blob is the tar itself (its digest equals its diff_id).</summary>
    public static LayerCompression None { get; } = new(false, CompressionLevel.NoCompression);

    /// <summary>Gzip at the given level.</summary>
    public static LayerCompression Gzip(CompressionLevel level) => new(true, level);

    /// <summary>True for gzip.</summary>
    public bool IsGzip { get; }

    /// <summary>The deflate level.</summary>
    public CompressionLevel Level { get; }

    /// <summary>The OCI media type of a layer blob written this way.</summary>
    public string MediaType => IsGzip ? MediaTypes.OciLayerGzip : MediaTypes.OciLayer;
}

/// <summary>A layer that has been written: its blob's descriptor and its uncompressed digest (diff_id).</summary>
public sealed record BuiltLayer(Descriptor Descriptor, Digest DiffId, long UncompressedSize)
{
    /// <summary>True when this process just wrote the blob into the content store (its digest was computed while writing), so reading it back needs no check.</summary>
    public bool WrittenNow { get; init; }

    /// <summary>The same layer: descriptor, diff_id and size (not where the bytes came from).</summary>
    public bool Equals(BuiltLayer? other)
        => other is not null && Descriptor == other.Descriptor && DiffId == other.DiffId && UncompressedSize == other.UncompressedSize;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Descriptor, DiffId, UncompressedSize);
}
