using ContainerTasks.Content;
using ContainerTasks.Model;
using ContainerTasks.Sources;

namespace ContainerTasks.Building;

/// <summary>A built image: manifest and config bytes, and a reader for every blob it references.</summary>
internal sealed class BuiltImage : IImage
{
    private readonly SourceImage _base;
    private readonly ContentStore _store;
    private readonly HashSet<Digest> _newLayers;
    private readonly HashSet<Digest> _writtenNow;
    private readonly HashSet<Digest> _reusedLayers;
    private readonly IReadOnlyDictionary<Digest, LayerOrigin> _found;

    // newLayers: the layers this build wrote (or took from the layer cache), whose bytes are in the store; found: the
    // layers it found by diff_id in other images, and where their bytes are; reusedLayers: earlier blobs the destination holds.
    internal BuiltImage(ImageManifest manifest, byte[] configBytes, Platform platform, SourceImage baseImage, ContentStore store,
        HashSet<Digest> newLayers, HashSet<Digest> writtenNow, IReadOnlyDictionary<Digest, LayerOrigin>? found = null, HashSet<Digest>? reusedLayers = null)
    {
        Manifest = manifest;
        ManifestBytes = manifest.ToBytes();
        ManifestDigest = Digest.Sha256(ManifestBytes);
        ConfigBytes = configBytes;
        Platform = platform;
        _base = baseImage;
        _store = store;
        _newLayers = newLayers;
        _writtenNow = writtenNow;
        _reusedLayers = reusedLayers ?? [];
        _found = found ?? new Dictionary<Digest, LayerOrigin>();
        Layers = LayersOf(manifest, ImageConfig.Parse(configBytes).DiffIds, baseImage.Origin, newLayers, writtenNow, _found);
    }

    /// <inheritdoc />
    public ImageManifest Manifest { get; }

    /// <inheritdoc />
    public byte[] ManifestBytes { get; }

    /// <inheritdoc />
    public Digest ManifestDigest { get; }

    /// <inheritdoc />
    public byte[] ConfigBytes { get; }

    /// <inheritdoc />
    public Platform Platform { get; }

    /// <inheritdoc />
    public IReadOnlyList<ImageLayer> Layers { get; }

    /// <summary>The manifest's descriptor, with platform, for an index.</summary>
    public Descriptor Descriptor => new(Manifest.MediaType, ManifestDigest, ManifestBytes.Length) { Platform = Platform };



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
        var newLayers = _newLayers.Where(d => !replacements.ContainsKey(d)).ToHashSet();
        var reused = _reusedLayers.Concat(replacements.Where(r => _newLayers.Contains(r.Key)).Select(r => r.Value.Digest)).ToHashSet();
        return new BuiltImage(Manifest with { Layers = layers }, ConfigBytes, Platform, _base, _store, newLayers, _writtenNow.Where(newLayers.Contains).ToHashSet(), _found, reused);
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
        if (_found.TryGetValue(descriptor.Digest, out LayerOrigin? origin))
        {
            return origin.Blobs.OpenBlobAsync(descriptor, cancellationToken);
        }
        if (_reusedLayers.Contains(descriptor.Digest))
        {
            throw new ContainerTasksException(ErrorCodes.ReusedBlobMissing,
                $"The layer {descriptor.Digest} was reused from the image the tag pointed at, but the registry no longer has it. Publish again.");
        }
        return _base.Blobs.OpenBlobAsync(descriptor, cancellationToken);
    }

    // The base's layers can be mounted from where the base came from; the layers this build found, from the image
    // they were found in; the layers this build made, from nowhere.
    private static List<ImageLayer> LayersOf(ImageManifest manifest, IReadOnlyList<Digest> diffIds, ImageReference? baseOrigin,
        HashSet<Digest> newLayers, HashSet<Digest> writtenNow, IReadOnlyDictionary<Digest, LayerOrigin> found)
    {
        var layers = new List<ImageLayer>();
        for (int i = 0; i < manifest.Layers.Count; i++)
        {
            Descriptor layer = manifest.Layers[i];
            bool isNew = newLayers.Contains(layer.Digest);
            LayerOrigin? origin = isNew ? null : found.GetValueOrDefault(layer.Digest);
            layers.Add(new ImageLayer(layer, i < diffIds.Count ? diffIds[i] : default)
            {
                IsNew = isNew || origin is not null,
                WrittenNow = writtenNow.Contains(layer.Digest),
                MountFrom = isNew ? null : origin?.Image ?? baseOrigin,
            });
        }
        return layers;
    }
}
