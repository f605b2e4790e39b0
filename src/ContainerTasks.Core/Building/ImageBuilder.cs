using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Sources;

namespace ContainerTasks.Building;

/// <summary>
/// Assembles a new image from a base image, added layers and config changes: the config keeps every
/// base field it does not change, gains one <c>rootfs.diff_ids</c> and one <c>history</c> entry per layer,
/// and the manifest is written in one format with every media type converted consistently.
/// </summary>
internal sealed class ImageBuilder
{
    private readonly SourceImage _base;
    private readonly ContentStore _store;
    private readonly List<(BuiltLayer Layer, string CreatedBy, string? Comment)> _layers = new();
    private readonly Dictionary<string, string> _annotations = new(StringComparer.Ordinal);
    private readonly List<string> _addedEnvironment = new();
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

    /// <summary>
    /// Adds another image's layers on top of the base and of the images added before (call before <see cref="AddLayer"/>:
    /// the build's own layers go above), each with a history entry naming the image by digest; with
    /// <see cref="AddedImage.MergeEnvironment"/>, its <c>Env</c> entries whose names are not set yet (see <see cref="Build"/>).
    /// Its labels and other config fields are not taken.
    /// </summary>
    public ImageBuilder AddImage(AddedImage added)
    {
        if (_layers.Any(l => l.Layer.Origin?.Source != LayerSources.LayerImage))
        {
            throw new InvalidOperationException("Images are added before the build's own layers.");
        }
        for (int i = 0; i < added.Layers.Count; i++)
        {
            ImageLayer layer = added.Layers[i];
            _layers.Add((new BuiltLayer(layer.Descriptor, layer.DiffId, 0) { Origin = added.Origin }, added.CreatedBy, $"layer {i + 1} of {added.Layers.Count}"));
        }
        if (added.MergeEnvironment)
        {
            _addedEnvironment.AddRange(ImageConfig.Parse(added.Image.ConfigBytes).Env);
        }
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

    /// <summary>
    /// Builds the config and manifest. The environment is the base's, then the added images' variables whose names are
    /// not set yet (the first image that sets a name wins), then the config changes (the project's), which replace any.
    /// </summary>
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
        config.AddMissingEnvironment(_addedEnvironment);
        config.Apply(_changes with { Created = created });
        config.AppendLayers(_layers.Select(l => (l.Layer.DiffId, new HistoryEntry(l.CreatedBy, created) { Comment = l.Comment })).ToList());
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
        var newLayers = _layers.Where(l => l.Layer.Origin is null).Select(l => l.Layer.Descriptor.Digest).ToHashSet();
        var writtenNow = _layers.Where(l => l.Layer.WrittenNow).Select(l => l.Layer.Descriptor.Digest).ToHashSet();
        var found = new Dictionary<Digest, LayerOrigin>();
        foreach (var (layer, _, _) in _layers.Where(l => l.Layer.Origin is not null && !newLayers.Contains(l.Layer.Descriptor.Digest)))
        {
            found.TryAdd(layer.Descriptor.Digest, layer.Origin!);
        }
        return new BuiltImage(manifest, configBytes, config.Platform, _base, _store, newLayers, writtenNow, found);
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
