namespace ContainerTasks.Model;

/// <summary>An image index built from per-platform images: its bytes and digest.</summary>
internal sealed class BuiltIndex
{
    internal BuiltIndex(ImageIndex index, byte[] bytes)
    {
        Index = index;
        Bytes = bytes;
        Digest = Digest.Sha256(bytes);
    }

    /// <summary>The index.</summary>
    public ImageIndex Index { get; }

    /// <summary>Its bytes, as pushed or written.</summary>
    public byte[] Bytes { get; }

    /// <summary>Its digest: the multi-platform image's identity.</summary>
    public Digest Digest { get; }

    /// <summary>Its descriptor.</summary>
    public Descriptor Descriptor => new(Index.MediaType, Digest, Bytes.Length);
}
