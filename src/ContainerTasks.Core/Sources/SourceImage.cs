using ContainerTasks.Model;

namespace ContainerTasks.Sources;

/// <summary>
/// A resolved image read from a source: its manifest and config (bytes as stored) and where its layers can be read.
/// As an <see cref="IImage"/> it can be written anywhere unchanged (copied, re-tagged).
/// </summary>
internal sealed record SourceImage(string Name, byte[] ManifestBytes, ImageManifest Manifest, byte[] ConfigBytes, IBlobReader Blobs) : IImage
{
    /// <summary>The digest of <see cref="ManifestBytes"/>.</summary>
    public Digest ManifestDigest { get; } = Digest.Sha256(ManifestBytes);

    /// <summary>True for the empty <c>scratch</c> image.</summary>
    public bool IsScratch { get; init; }

    /// <summary>For an image read from a registry: where (registry and repository), so a push to the same registry can mount its layers.</summary>
    public ImageReference? Origin { get; init; }

    /// <summary>
    /// For a base from a local engine: the name it was asked by and the engine's image id. Labels, documents and results
    /// name it so: its manifest was made here from the engine's export, so that digest names it nowhere else.
    /// </summary>
    public (string Name, Digest ImageId)? FromEngine { get; init; }

    /// <summary>The digest that names this image to others: the engine's image id for an engine's image, else the manifest's.</summary>
    public Digest Identity => FromEngine?.ImageId ?? ManifestDigest;

    /// <inheritdoc />
    public Platform Platform => ImageConfig.Parse(ConfigBytes).Platform;

    /// <summary>Each manifest layer with its config diff_id, in order; CT1003 when the two lists differ in length.</summary>
    public IReadOnlyList<ImageLayer> Layers
    {
        get
        {
            IReadOnlyList<Digest> diffIds = ImageConfig.Parse(ConfigBytes).DiffIds;
            if (diffIds.Count != Manifest.Layers.Count)
            {
                // Paired by position: a shorter list would drop layers from a copy, or pair a blob with another's diff_id.
                throw new ContainerTasksException(ErrorCodes.InvalidManifest,
                    $"The image {Name} is inconsistent: its manifest lists {Manifest.Layers.Count} layers but its config {diffIds.Count} diff_ids.");
            }
            return Manifest.Layers.Zip(diffIds, (layer, diffId) => new ImageLayer(layer, diffId) { MountFrom = Origin }).ToList();
        }
    }

    /// <inheritdoc />
    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken = default)
    {
        if (descriptor.Digest == Manifest.Config.Digest)
        {
            return Task.FromResult<Stream>(new MemoryStream(ConfigBytes, writable: false));
        }
        if (descriptor.Digest == ManifestDigest)
        {
            return Task.FromResult<Stream>(new MemoryStream(ManifestBytes, writable: false));
        }
        return Blobs.OpenBlobAsync(descriptor, cancellationToken);
    }
}
