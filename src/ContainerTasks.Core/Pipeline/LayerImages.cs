using ContainerTasks.Building;
using ContainerTasks.Content;
using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Sources;

namespace ContainerTasks.Pipeline;

/// <summary>
/// The images whose layers a build adds on top of its base (<c>ContainerLayerImage</c>), read through the build's
/// registry session: each tag is resolved once per build, and each platform takes the image of its own platform (from
/// an index, the matching entry). Their layers' bytes are read as the base's are: mounted by a push to their registry,
/// copied (downloaded, then uploaded) to another, downloaded for an archive, a layout or a local engine.
/// </summary>
internal sealed class LayerImages
{
    private const string RegistryPrefix = "docker://";
    private readonly IReadOnlyList<Item> _items;

    private LayerImages(IReadOnlyList<Item> items) => _items = items;

    /// <summary>One item: the reference as given, whether its environment is merged, and its source.</summary>
    private sealed record Item(ImageReference Reference, bool MergeEnvironment, RegistryImageSource Source)
    {
        // Platforms read the image one at a time: the first resolves the tag (one HEAD), the others read the cached index.
        public SemaphoreSlim OneAtATime { get; } = new(1, 1);
    }

    /// <summary>None.</summary>
    public static LayerImages None { get; } = new([]);

    /// <summary>The items of a request, each checked (CT4133); <paramref name="client"/> gives the client that reads a reference.</summary>
    public static LayerImages Open(IReadOnlyList<LayerImageInput> inputs, Func<ImageReference, RegistryClient> client, ContentStore store)
    {
        var items = new List<Item>();
        foreach (LayerImageInput input in inputs)
        {
            ImageReference reference = Parse(input.Reference);
            items.Add(new Item(reference, input.MergeEnvironment, new RegistryImageSource(reference, client(reference), store)));
        }
        return new LayerImages(items);
    }

    /// <summary>The reference of a <c>ContainerLayerImage</c> item; CT4133 for anything else (a file source, scratch, no reference).</summary>
    public static ImageReference Parse(string text)
    {
        string trimmed = text.Trim();
        string reference = trimmed.StartsWith(RegistryPrefix, StringComparison.Ordinal) ? trimmed[RegistryPrefix.Length..] : trimmed;
        bool fileSource = trimmed.Length > 0 && !trimmed.StartsWith(RegistryPrefix, StringComparison.Ordinal) && ImageSources.IsFileSource(trimmed);
        if (fileSource || !ImageReference.TryParse(reference, out ImageReference? parsed) || parsed is null)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidLayerImage,
                $"ContainerLayerImage '{Secrets.WithoutUserInfo(trimmed)}' is not an image reference in a registry. Name an image as registry/repository:tag, e.g. "
                + "<ContainerLayerImage Include=\"myregistry.example.com/otel/autoinstrumentation-dotnet:1.9\" /> (without a registry, Docker Hub is meant); "
                + "files (oci:, oci-archive:, docker-archive:) and scratch are not taken, and credentials go in the environment or an auth file, never in a reference.");
        }
        return parsed;
    }

    /// <summary>
    /// Each item's image for <paramref name="platform"/>, in item order, with the layers to add (those it shares with the
    /// bottom of the base left out); CT1010 when one has no image for the platform, CT4134 when its layers cannot be added.
    /// </summary>
    public async Task<IReadOnlyList<AddedImage>> ResolveAsync(Platform platform, SourceImage baseImage, IContainerBuildLog log, CancellationToken cancellationToken)
    {
        if (_items.Count == 0)
        {
            return [];
        }
        SourceImage[] images = await Task.WhenAll(_items.Select(item => ResolveAsync(item, platform, cancellationToken))).ConfigureAwait(false);
        IReadOnlyList<Digest> baseDiffIds = baseImage.IsScratch ? [] : ImageConfig.Parse(baseImage.ConfigBytes).DiffIds;
        var added = new List<AddedImage>();
        for (int i = 0; i < images.Length; i++)
        {
            IReadOnlyList<ImageLayer> layers = images[i].Layers;
            int shared = AddedImage.SharedWithBase(layers, baseDiffIds);
            ImageReference pinned = _items[i].Reference.WithDigest(images[i].ManifestDigest);
            added.Add(new AddedImage(images[i], new LayerOrigin(pinned, images[i].Blobs, LayerSources.LayerImage), layers.Skip(shared).ToList(), _items[i].MergeEnvironment));
            log.Progress($"Layer image {pinned} ({platform}): {layers.Count - shared} layer{(layers.Count - shared == 1 ? "" : "s")} added above the base"
                + (shared > 0 ? $" ({shared} it shares with the base left out)" : "")
                + (_items[i].MergeEnvironment ? $", its environment merged where the base and the project do not set a name ({EnvironmentNames(images[i])})" : "") + ".");
        }
        return added;
    }

    // The names an image's environment brings (never the values: they may be secrets), for the log.
    private static string EnvironmentNames(SourceImage image)
    {
        var names = ImageConfig.Parse(image.ConfigBytes).Env.Where(e => e.IndexOf('=') > 0).Select(e => RegistryText.Clean(e[..e.IndexOf('=')], 100)).ToList();
        const int shown = 20;
        return names.Count == 0 ? "none" : string.Join(", ", names.Take(shown)) + (names.Count > shown ? $" and {names.Count - shown} more" : "");
    }

    private static async Task<SourceImage> ResolveAsync(Item item, Platform platform, CancellationToken cancellationToken)
    {
        SourceImage image;
        await item.OneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            image = await item.Source.GetImageAsync(platform, cancellationToken).ConfigureAwait(false);
        }
        catch (ContainerTasksException e) when (e.Code == ErrorCodes.NoMatchingPlatform)
        {
            IReadOnlyList<Platform> offered = await item.Source.PlatformsAsync(cancellationToken).ConfigureAwait(false);
            string list = RegistryText.Clean(string.Join(", ", offered.Select(p => p.ToString()).Distinct()), 300);
            throw new ContainerTasksException(ErrorCodes.LayerImagePlatformMissing,
                $"ContainerLayerImage '{item.Reference}' has no image for {platform}, the platform of the image being built; it offers {(list.Length == 0 ? "none" : list)}. "
                + $"Name an image (or a multi-platform index) that has {platform}, or build only for the platforms it offers.", e);
        }
        finally
        {
            item.OneAtATime.Release();
        }
        CheckPlatform(item.Reference, image, platform);
        CheckLayers(item.Reference, image);
        CheckConfig(item, image);
        return image;
    }

    /// <summary>The most layers one layer image may add: runtimes mount about 128 layers in all, and an agent has a few.</summary>
    internal const int MaxLayers = 100;

    /// <summary>The largest config of a layer image (its environment is read from it): real ones are a few kilobytes.</summary>
    internal const int MaxConfigBytes = 1024 * 1024;

    /// <summary>The most environment entries a layer image may bring.</summary>
    internal const int MaxEnvironment = 1024;

    // An index entry says its platform; the image's own config must say the same, or an arm64 image would get amd64 files.
    private static void CheckPlatform(ImageReference reference, SourceImage image, Platform platform)
    {
        if (!image.Platform.Satisfies(platform))
        {
            throw new ContainerTasksException(ErrorCodes.LayerImagePlatformMissing,
                $"ContainerLayerImage '{reference}' lists an image for {platform}, but that image's config says it is for {RegistryText.Clean(image.Platform.ToString(), 100)}. "
                + "Its publisher labelled it wrongly: name an image whose config is for the platform being built.");
        }
    }

    private static void CheckConfig(Item item, SourceImage image)
    {
        if (image.ConfigBytes.Length > MaxConfigBytes || (item.MergeEnvironment && ImageConfig.Parse(image.ConfigBytes).Env.Count > MaxEnvironment))
        {
            throw new ContainerTasksException(ErrorCodes.UnusableLayerImage,
                $"ContainerLayerImage '{item.Reference}' has a config of {image.ConfigBytes.Length:N0} bytes{(item.MergeEnvironment ? $" with {ImageConfig.Parse(image.ConfigBytes).Env.Count:N0} environment entries" : "")}: "
                + $"more than an agent's image has (at most {MaxConfigBytes / 1024:N0} KiB and {MaxEnvironment} entries are taken). Name the agent's own image.");
        }
    }

    // Only a container image's filesystem layers can go into another image: a foreign layer is never copied, and an
    // artifact's "layers" (a chart, a module) are not filesystems.
    internal static void CheckLayers(ImageReference reference, SourceImage image)
    {
        if (image.Manifest.Config.MediaType is not (MediaTypes.OciConfig or MediaTypes.DockerConfig))
        {
            throw new ContainerTasksException(ErrorCodes.UnusableLayerImage,
                $"ContainerLayerImage '{reference}' is not a container image: its config is '{RegistryText.Clean(image.Manifest.Config.MediaType, 100)}'. Name an image built for containers, whose layers are folders and files.");
        }
        if (image.Manifest.Layers.Count > MaxLayers)
        {
            throw new ContainerTasksException(ErrorCodes.UnusableLayerImage,
                $"ContainerLayerImage '{reference}' has {image.Manifest.Layers.Count} layers; at most {MaxLayers} are added (a runtime mounts about 128 in all). Name an image of a few layers, as agents' images are.");
        }
        foreach (Descriptor layer in image.Manifest.Layers)
        {
            if (MediaTypes.IsNonDistributable(layer.MediaType))
            {
                throw new ContainerTasksException(ErrorCodes.UnusableLayerImage,
                    $"ContainerLayerImage '{reference}' has a foreign (non-distributable) layer {layer.Digest} ('{RegistryText.Clean(layer.MediaType, 100)}'), which may not be copied into another image (Windows base layers are such). Name a Linux image whose layers are ordinary ones.");
            }
            if (layer.MediaType is not (MediaTypes.OciLayer or MediaTypes.OciLayerGzip or MediaTypes.OciLayerZstd or MediaTypes.DockerLayer or MediaTypes.DockerLayerGzip))
            {
                throw new ContainerTasksException(ErrorCodes.UnusableLayerImage,
                    $"ContainerLayerImage '{reference}' has a layer {layer.Digest} of type '{RegistryText.Clean(layer.MediaType, 100)}', which is not a filesystem layer (tar, tar+gzip or tar+zstd). Name an image built for containers.");
            }
        }
    }
}
