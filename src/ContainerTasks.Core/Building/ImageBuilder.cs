using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Sources;

namespace ContainerTasks.Building;

/// <summary>The manifest format of a built image.</summary>
public enum ImageFormat
{
    /// <summary>The base image's format (OCI for scratch).</summary>
    SameAsBase,
    /// <summary>OCI image manifest and media types.</summary>
    Oci,
    /// <summary>Docker v2 schema 2 manifest and media types.</summary>
    Docker,
}

/// <summary>
/// Assembles a new image from a base image, added layers and config changes: the config keeps every
/// base field it does not change, gains one <c>rootfs.diff_ids</c> and one <c>history</c> entry per layer,
/// and the manifest is written in one format with every media type converted consistently.
/// </summary>
public sealed class ImageBuilder
{
    private readonly SourceImage _base;
    private readonly ContentStore _store;
    private readonly List<(BuiltLayer Layer, string CreatedBy, string? Comment)> _layers = new();
    private readonly Dictionary<string, string> _annotations = new(StringComparer.Ordinal);
    private ConfigChanges _changes = new();
    private ImageFormat _format = ImageFormat.SameAsBase;

    /// <summary>Starts from <paramref name="baseImage"/>; added layers are read from <paramref name="store"/>.</summary>
    public ImageBuilder(SourceImage baseImage, ContentStore store)
    {
        _base = baseImage;
        _store = store;
    }

    /// <summary>Adds a layer on top, with the history text that explains it.</summary>
    public ImageBuilder AddLayer(BuiltLayer layer, string createdBy, string? comment = null)
    {
        _layers.Add((layer, createdBy, comment));
        return this;
    }

    /// <summary>Sets the config changes (replacing earlier ones).</summary>
    public ImageBuilder WithConfig(ConfigChanges changes)
    {
        _changes = changes;
        return this;
    }

    /// <summary>Sets the output format.</summary>
    public ImageBuilder WithFormat(ImageFormat format)
    {
        _format = format;
        return this;
    }

    /// <summary>Adds a manifest annotation (OCI format only; Docker manifests have none).</summary>
    public ImageBuilder WithAnnotation(string key, string value)
    {
        _annotations[key] = value;
        return this;
    }

    /// <summary>Builds the config and manifest.</summary>
    public BuiltImage Build()
    {
        ImageConfig config = ImageConfig.Parse(_base.ConfigBytes);
        int baseDiffIds = config.DiffIds.Count;
        if (baseDiffIds != _base.Manifest.Layers.Count)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidManifest,
                $"The base image {_base.Name} is inconsistent: its manifest lists {_base.Manifest.Layers.Count} layers but its config {baseDiffIds} diff_ids.");
        }
        DateTimeOffset created = _changes.Created ?? Timestamps.Default;
        config.Apply(_changes with { Created = created });
        foreach (var (layer, createdBy, comment) in _layers)
        {
            config.AppendLayer(layer.DiffId, new HistoryEntry(createdBy, created) { Comment = comment });
        }
        byte[] configBytes = config.ToBytes();

        bool docker = _format switch
        {
            ImageFormat.Docker => true,
            ImageFormat.Oci => false,
            _ => _base.Manifest.IsDocker,
        };
        var layers = new List<Descriptor>();
        foreach (Descriptor layer in _base.Manifest.Layers.Concat(_layers.Select(l => l.Layer.Descriptor)))
        {
            layers.Add(ConvertLayer(layer, docker));
        }
        var configDescriptor = new Descriptor(docker ? MediaTypes.DockerConfig : MediaTypes.OciConfig, Digest.Sha256(configBytes), configBytes.Length);
        var manifest = new ImageManifest(docker ? MediaTypes.DockerManifest : MediaTypes.OciManifest, configDescriptor, layers)
        {
            Annotations = docker || _annotations.Count == 0 ? null : new Dictionary<string, string>(_annotations),
        };
        var newLayers = _layers.Select(l => l.Layer.Descriptor.Digest).ToHashSet();
        var image = new BuiltImage(manifest, manifest.ToBytes(), configBytes, config.Platform, _base, _store, newLayers);
        image.WrittenNow.UnionWith(_layers.Where(l => l.Layer.WrittenNow).Select(l => l.Layer.Descriptor.Digest));
        return image;
    }

    private static Descriptor ConvertLayer(Descriptor layer, bool docker)
    {
        if (docker)
        {
            string mediaType = MediaTypes.LayerToDocker(layer.MediaType)
                ?? throw new ContainerTasksException(ErrorCodes.FormatConversion,
                    $"The layer {layer.Digest} is '{layer.MediaType}', which the Docker image format cannot describe. Use the OCI format (ContainerImageFormat=OCI).");
            // Docker manifests carry no annotations.
            return layer with { MediaType = mediaType, Annotations = null };
        }
        return layer with { MediaType = MediaTypes.LayerToOci(layer.MediaType) };
    }
}

/// <summary>A built image: manifest and config bytes, and a reader for every blob it references.</summary>
public sealed class BuiltImage : IBlobReader
{
    private readonly SourceImage _base;
    private readonly ContentStore _store;
    private readonly HashSet<Digest> _newLayers;
    private readonly HashSet<Digest> _reusedLayers = [];

    internal BuiltImage(ImageManifest manifest, byte[] manifestBytes, byte[] configBytes, Platform platform, SourceImage baseImage, ContentStore store, HashSet<Digest> newLayers)
    {
        Manifest = manifest;
        ManifestBytes = manifestBytes;
        ManifestDigest = Digest.Sha256(manifestBytes);
        ConfigBytes = configBytes;
        Platform = platform;
        _base = baseImage;
        _store = store;
        _newLayers = newLayers;
    }

    /// <summary>The manifest.</summary>
    public ImageManifest Manifest { get; }

    /// <summary>The manifest's bytes, as pushed or written.</summary>
    public byte[] ManifestBytes { get; }

    /// <summary>The manifest digest: the image's identity.</summary>
    public Digest ManifestDigest { get; }

    /// <summary>The config's bytes.</summary>
    public byte[] ConfigBytes { get; }

    /// <summary>The image platform, from its config.</summary>
    public Platform Platform { get; }

    /// <summary>The manifest's descriptor, with platform, for an index.</summary>
    public Descriptor Descriptor => new(Manifest.MediaType, ManifestDigest, ManifestBytes.Length) { Platform = Platform };

    /// <summary>True when <paramref name="digest"/> is a layer this build added (not one of the base's).</summary>
    public bool IsNewLayer(Digest digest) => _newLayers.Contains(digest);

    /// <summary>True when reading <paramref name="digest"/> back needs no digest check: a layer this process just wrote.</summary>
    public bool IsWrittenNow(Digest digest) => WrittenNow.Contains(digest);

    internal HashSet<Digest> WrittenNow { get; } = [];

    /// <summary>Removes a damaged blob of this build's layers from the content store (see <see cref="ContentStore.Discard"/>).</summary>
    /// <returns>True when the blob was one of this build's layers.</returns>
    public bool DiscardLocalBlob(Digest digest)
    {
        if (!_newLayers.Contains(digest))
        {
            return false;
        }
        _store.Discard(digest);
        return true;
    }

    /// <summary>The diff_id of each layer this build added, by the layer's digest.</summary>
    public IReadOnlyDictionary<Digest, Digest> NewLayerDiffIds()
    {
        IReadOnlyList<Digest> diffIds = ImageConfig.Parse(ConfigBytes).DiffIds;
        var result = new Dictionary<Digest, Digest>();
        for (int i = 0; i < Manifest.Layers.Count && i < diffIds.Count; i++)
        {
            if (_newLayers.Contains(Manifest.Layers[i].Digest))
            {
                result.TryAdd(Manifest.Layers[i].Digest, diffIds[i]);
            }
        }
        return result;
    }

    /// <summary>
    /// The same image with some of this build's layers replaced by blobs of the same content (same diff_id) that
    /// the destination already holds, e.g. compressed by an earlier build with another zlib. The config does not
    /// change (it names diff_ids only); the manifest points at the earlier blobs, whose bytes this build does
    /// not have: they must already be in the destination.
    /// </summary>
    /// <param name="replacements">The earlier blob for a layer, by this build's layer digest.</param>
    public BuiltImage WithReusedLayers(IReadOnlyDictionary<Digest, Descriptor> replacements)
    {
        var layers = Manifest.Layers.Select(l => _newLayers.Contains(l.Digest) && replacements.TryGetValue(l.Digest, out Descriptor? earlier)
            ? l with { Digest = earlier.Digest, Size = earlier.Size }
            : l).ToList();
        ImageManifest manifest = Manifest with { Layers = layers };
        var newLayers = _newLayers.Where(d => !replacements.ContainsKey(d)).ToHashSet();
        var image = new BuiltImage(manifest, manifest.ToBytes(), ConfigBytes, Platform, _base, _store, newLayers);
        image.WrittenNow.UnionWith(WrittenNow.Where(newLayers.Contains));
        image._reusedLayers.UnionWith(_reusedLayers);
        image._reusedLayers.UnionWith(replacements.Where(r => _newLayers.Contains(r.Key)).Select(r => r.Value.Digest));
        return image;
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
        if (_newLayers.Contains(descriptor.Digest))
        {
            return Task.FromResult(_store.OpenRead(descriptor.Digest));
        }
        if (_reusedLayers.Contains(descriptor.Digest))
        {
            throw new ContainerTasksException(ErrorCodes.ReusedBlobMissing,
                $"The layer {descriptor.Digest} was reused from the image the tag pointed at, but the registry no longer has it. Publish again.");
        }
        return _base.Blobs.OpenBlobAsync(descriptor, cancellationToken);
    }
}
