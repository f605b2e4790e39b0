using ContainerTasks.Model;

namespace ContainerTasks.Layers;

/// <summary>A layer that has been written: its blob's descriptor and its uncompressed digest (diff_id).</summary>
public sealed record BuiltLayer(Descriptor Descriptor, Digest DiffId, long UncompressedSize)
{
    /// <summary>True when this process just wrote the blob into the content store (its digest was computed while writing), so reading it back needs no check.</summary>
    public bool WrittenNow { get; init; }

    /// <summary>For a layer found by its diff_id in another image instead of being written: where its blob is. Its bytes are not in the content store.</summary>
    internal LayerOrigin? Origin { get; init; }

    /// <summary>The same layer: descriptor, diff_id and size (not where the bytes came from).</summary>
    public bool Equals(BuiltLayer? other)
        => other is not null && Descriptor == other.Descriptor && DiffId == other.DiffId && UncompressedSize == other.UncompressedSize;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Descriptor, DiffId, UncompressedSize);
}
