using ContainerTasks.Model;

namespace ContainerTasks.Building;

/// <summary>What a build delivers: one built image, or several platform images under an index.</summary>
internal sealed class ImageSet : IImageSet
{
    private ImageSet(IReadOnlyList<BuiltImage> images, BuiltIndex? index, IReadOnlyList<AttachedManifest>? attached = null)
    {
        Images = images;
        Index = index;
        Attached = attached ?? [];
    }

    /// <summary>The images.</summary>
    public IReadOnlyList<BuiltImage> Images { get; }

    /// <summary>The index, when there are several platforms.</summary>
    public BuiltIndex? Index { get; }

    IReadOnlyList<IImage> IImageSet.Images => Images;

    /// <inheritdoc />
    public IReadOnlyList<AttachedManifest> Attached { get; }

    /// <summary>The same images with <paramref name="attached"/> held next to them (by an archive or layout).</summary>
    public ImageSet WithAttached(IReadOnlyList<AttachedManifest> attached) => new(Images, Index, attached);

    /// <summary>What a tag points at: the index, or the single image (with its platform).</summary>
    public Descriptor Root => Index?.Descriptor ?? Images[0].Descriptor;

    /// <summary>One image.</summary>
    public static ImageSet Single(BuiltImage image) => new([image], null);

    /// <summary>Several platform images and their index.</summary>
    public static ImageSet Multi(IReadOnlyList<BuiltImage> images, BuiltIndex index) => new(images, index);

    /// <summary>The same shape over <paramref name="images"/>: one image alone, or several under a new index.</summary>
    public static ImageSet Of(IReadOnlyList<BuiltImage> images)
        => images.Count == 1 ? Single(images[0]) : Multi(images, ImageIndexBuilder.Build(images));

    /// <inheritdoc />
    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken = default)
    {
        if (Index is not null && descriptor.Digest == Index.Digest)
        {
            return Task.FromResult<Stream>(new MemoryStream(Index.Bytes, writable: false));
        }
        if (Attached.SelectMany(a => a.Blobs).FirstOrDefault(b => b.Descriptor.Digest == descriptor.Digest) is { } attached)
        {
            return Task.FromResult<Stream>(new MemoryStream(attached.Bytes, writable: false));
        }
        BuiltImage owner = Images.FirstOrDefault(i => i.ManifestDigest == descriptor.Digest || i.Manifest.Config.Digest == descriptor.Digest
            || i.Manifest.Layers.Any(l => l.Digest == descriptor.Digest)) ?? Images[0];
        return owner.OpenBlobAsync(descriptor, cancellationToken);
    }
}
