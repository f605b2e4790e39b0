using ContainerTasks.Model;
using ContainerTasks.Sources;

namespace ContainerTasks.Building;

/// <summary>An image index built from per-platform images: its bytes and digest.</summary>
public sealed class BuiltIndex
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

/// <summary>Combines per-platform images into one index: a Docker manifest list when every image is Docker-format, else an OCI index.</summary>
public static class ImageIndexBuilder
{
    /// <summary>Builds the index; two images of one platform, or a mix of formats, are CT1008.</summary>
    public static BuiltIndex Build(IReadOnlyList<BuiltImage> images, IReadOnlyDictionary<string, string>? annotations = null)
    {
        if (images.Count == 0)
        {
            throw new ArgumentException("An index needs at least one image.", nameof(images));
        }
        var duplicate = images.GroupBy(i => i.Platform.ToString()).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ContainerTasksException(ErrorCodes.FormatConversion,
                $"Two images are for the same platform ({duplicate.Key}); an index holds one image per platform. Remove the duplicate runtime identifier.");
        }
        bool docker = images.All(i => i.Manifest.IsDocker);
        if (!docker && images.Any(i => i.Manifest.IsDocker))
        {
            throw new ContainerTasksException(ErrorCodes.FormatConversion,
                "The platform images mix Docker and OCI manifests, which one index cannot hold. Set ContainerImageFormat to OCI or Docker.");
        }
        var index = new ImageIndex(docker ? MediaTypes.DockerManifestList : MediaTypes.OciIndex,
            images.Select(i => i.Descriptor with { Platform = new Platform(i.Platform.Os, i.Platform.Architecture, i.Platform.Variant, i.Platform.OsVersion) }).ToList())
        {
            Annotations = docker || annotations is null || annotations.Count == 0 ? null : annotations,
        };
        return new BuiltIndex(index, index.ToBytes());
    }
}

/// <summary>What an output or a push delivers: one image, or several platform images under an index.</summary>
public sealed class ImageSet : IBlobReader
{
    private ImageSet(IReadOnlyList<BuiltImage> images, BuiltIndex? index)
    {
        Images = images;
        Index = index;
    }

    /// <summary>The images.</summary>
    public IReadOnlyList<BuiltImage> Images { get; }

    /// <summary>The index, when there are several platforms.</summary>
    public BuiltIndex? Index { get; }

    /// <summary>What a tag points at: the index, or the single image (with its platform).</summary>
    public Descriptor Root => Index?.Descriptor ?? Images[0].Descriptor;

    /// <summary>One image.</summary>
    public static ImageSet Single(BuiltImage image) => new([image], null);

    /// <summary>Several platform images and their index.</summary>
    public static ImageSet Multi(IReadOnlyList<BuiltImage> images, BuiltIndex index) => new(images, index);

    /// <summary>The layers and configs of every image, each once: what a push uploads before the manifests.
    /// Foreign (non-distributable) base layers are left out: they are never copied or uploaded.</summary>
    public IEnumerable<Descriptor> ContentBlobs
        => Images.SelectMany(image => image.Manifest.Layers
                .Where(l => !MediaTypes.IsNonDistributable(l.MediaType) || image.IsNewLayer(l.Digest))
                .Append(image.Manifest.Config))
            .DistinctBy(d => d.Digest);

    /// <summary>Every blob an output holds: the content blobs, each image's manifest, then the index; each once.</summary>
    public IEnumerable<Descriptor> Blobs
    {
        get
        {
            var all = ContentBlobs.Concat(Images.Select(i => i.Descriptor));
            if (Index is not null)
            {
                all = all.Append(Index.Descriptor);
            }
            return all.DistinctBy(d => d.Digest);
        }
    }

    /// <inheritdoc />
    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken = default)
    {
        if (Index is not null && descriptor.Digest == Index.Digest)
        {
            return Task.FromResult<Stream>(new MemoryStream(Index.Bytes, writable: false));
        }
        BuiltImage owner = Images.FirstOrDefault(i => i.ManifestDigest == descriptor.Digest || i.Manifest.Config.Digest == descriptor.Digest
            || i.Manifest.Layers.Any(l => l.Digest == descriptor.Digest)) ?? Images[0];
        return owner.OpenBlobAsync(descriptor, cancellationToken);
    }
}
