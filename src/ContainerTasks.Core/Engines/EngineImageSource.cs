using System.Diagnostics;
using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Sources;

namespace ContainerTasks.Engines;

/// <summary>
/// A base image in a local engine's store (<c>ContainerBaseImageSource=local</c>, <c>ctimage --from docker-daemon:NAME</c>):
/// asked for by name (the engine resolves it, e.g. Podman's <c>localhost/</c> short names), checked against each platform of
/// the build, and exported once, in <c>docker save</c>'s format, into the content store — or not at all when the store
/// still holds the export of the same image id. Its layers are read from the store; no registry is asked.
/// </summary>
internal sealed class EngineImageSource : IImageSource
{
    private readonly ILocalEngine _engine;
    private readonly EngineImage _image;
    private readonly ContentStore _store;
    private readonly Action<string> _progress;
    private readonly object _gate = new();
    private Task<SourceImage>? _resolved;

    private EngineImageSource(ILocalEngine engine, EngineImage image, ContentStore store, Action<string> progress)
    {
        _engine = engine;
        _image = image;
        _store = store;
        _progress = progress;
    }

    /// <summary>
    /// Finds the engine (<paramref name="localRegistry"/> may name it; CT4108 when none answers) and asks it for
    /// <paramref name="name"/>: CT4130 when it holds no such image.
    /// </summary>
    public static async Task<EngineImageSource> OpenAsync(string name, string? localRegistry, IReadOnlyDictionary<string, string> environment, ContentStore store,
        Action<string> detail, Action<string> progress, CancellationToken cancellationToken)
    {
        CheckName(name);
        ILocalEngine engine = await LocalEngines.FindRequiredAsync(localRegistry, environment, detail, $"The base image {name} (ContainerBaseImageSource=local)", cancellationToken)
            .ConfigureAwait(false);
        EngineImage image = await engine.InspectAsync(name, cancellationToken).ConfigureAwait(false) ?? throw NotInEngine(name, engine);
        detail($"Base image {image.Describe(engine.Name)}: {image.Platform}, named {string.Join(", ", image.RepoTags.Select(t => Registry.RegistryText.Clean(t, 200)))}.");
        return new EngineImageSource(engine, image, store, progress);
    }

    /// <inheritdoc />
    public async Task<SourceImage> GetImageAsync(Platform? platform, CancellationToken cancellationToken = default)
    {
        // The engine keeps one platform per name: a build for another one cannot use it (checked before anything is exported).
        if (platform is not null && !_image.Platform.Satisfies(platform))
        {
            throw new ContainerTasksException(ErrorCodes.NoMatchingPlatform,
                $"The base image {_image.Describe(_engine.Name)} is for {_image.Platform}, not {platform}: a local engine holds one platform per image name. "
                + $"Build or pull the base for {platform} under a name of its own ('{_engine.Name} build --platform {platform} -t NAME .'), publish that platform with it, or take a multi-platform base from a registry.");
        }
        Task<SourceImage> resolving;
        lock (_gate)
        {
            resolving = _resolved ??= ResolveAsync(cancellationToken);
        }
        SourceImage image = await resolving.ConfigureAwait(false);
        // The description is the engine's word; the exported config is what the image is: it must agree.
        Platform exported = ImageConfig.Parse(image.ConfigBytes).Platform;
        if (platform is not null && !exported.Satisfies(platform))
        {
            string said = Registry.RegistryText.Clean(exported.ToString(), 100);
            throw new ContainerTasksException(ErrorCodes.NoMatchingPlatform,
                $"The base image {_image.Describe(_engine.Name)} is for {said} as {_engine.Name} exported it, not {platform} (though the engine described it as {_image.Platform}). "
                + $"Check the image with '{_engine.Name} image inspect {_image.Name}', rebuild it for {platform}, or take the base from a registry.");
        }
        return image;
    }

    private async Task<SourceImage> ResolveAsync(CancellationToken cancellationToken)
    {
        string label = $"{_engine.Name}'s image {_image.Name}";
        if (FromStore(label) is { } cached)
        {
            _progress($"Base image {_image.Describe(_engine.Name)}: its layers are in the content cache from an earlier export; not exported again.");
            return cached;
        }
        var clock = Stopwatch.StartNew();
        SourceImage exported = await ExportAsync(label, cancellationToken).ConfigureAwait(false);
        long size = exported.Manifest.Layers.Sum(l => l.Size);
        int count = exported.Manifest.Layers.Count;
        _progress($"Exported the base image {_image.Describe(_engine.Name)} from {_engine.Name}: {count} {(count == 1 ? "layer" : "layers")} ({Sizes.Format(size)}) in {clock.Elapsed.TotalSeconds:0.0} s.");
        clock.Restart();
        SourceImage compressed = await Task.Run(() => CompressedAsync(exported, label, cancellationToken), cancellationToken).ConfigureAwait(false);
        long compressedSize = compressed.Manifest.Layers.Sum(l => l.Size);
        if (compressedSize != size)
        {
            _progress($"Base image {_image.Name}: its layers compressed to {Sizes.Format(compressedSize)} in {clock.Elapsed.TotalSeconds:0.0} s.");
        }
        _store.Put(compressed.ManifestBytes);
        _store.RememberEngineImage(_image.Id, compressed.ManifestDigest);
        return compressed;
    }

    // Podman and Docker's classic store export layers as plain tars: gzipped here once, a push sends a fraction of the bytes
    // and an archive is as small as one of a pulled base. Docker's containerd store exports them as it holds them (gzipped):
    // those are inflated once to check them against their diff_ids. The config, and with it the diff_ids and the image id,
    // is the engine's, unchanged.
    private async Task<SourceImage> CompressedAsync(SourceImage exported, string label, CancellationToken cancellationToken)
    {
        IReadOnlyList<ImageLayer> layers = exported.Layers;
        var descriptors = new List<Descriptor>();
        foreach (ImageLayer layer in layers)
        {
            if (!StoredLayerCompression.IsUncompressed(layer.Descriptor))
            {
                await CheckCompressedAsync(layer, cancellationToken).ConfigureAwait(false);
                descriptors.Add(layer.Descriptor);
                continue;
            }
            // A plain tar is its own diff_id: a layer that is not the one its config names is caught here, before it is compressed.
            if (layer.Descriptor.Digest != layer.DiffId)
            {
                throw EngineApi.ExportFailed(_engine.Name,
                    $"What {_engine.Name} exported of {_image.Describe(_engine.Name)} is inconsistent: the layer {layer.Descriptor.Digest} is not the diff_id {layer.DiffId} its config names", null);
            }
            descriptors.Add(StoredLayerCompression.Compress(_store, layer.Descriptor, cancellationToken));
        }
        byte[] manifestBytes = (exported.Manifest with { Layers = descriptors }).ToBytes();
        return new SourceImage(label, manifestBytes, ImageManifest.Parse(manifestBytes), exported.ConfigBytes,
            new StoreBlobReader(_store, label, descriptors.Select(d => d.Digest).ToHashSet())) { FromEngine = (_image.Name, _image.Id) };
    }

    // A gzipped layer inflates to its diff_id (once per blob and diff_id on this machine: the store remembers the check).
    // Another compression (zstd) is taken as the engine gave it: nothing here inflates it.
    private async Task CheckCompressedAsync(ImageLayer layer, CancellationToken cancellationToken)
    {
        Descriptor blob = layer.Descriptor;
        if (blob.MediaType is not (MediaTypes.OciLayerGzip or MediaTypes.DockerLayerGzip) || _store.WasVerified(blob.Digest, layer.DiffId))
        {
            return;
        }
        Digest? actual;
        await using (Stream stream = _store.OpenRead(blob.Digest))
        {
            actual = await LayerContent.DiffIdOfAsync(stream, gzip: true, _image.ExportLimit, cancellationToken).ConfigureAwait(false);
        }
        if (actual != layer.DiffId)
        {
            throw EngineApi.ExportFailed(_engine.Name,
                $"What {_engine.Name} exported of {_image.Describe(_engine.Name)} is inconsistent: the layer {blob.Digest} does not inflate to the diff_id {layer.DiffId} its config names", null);
        }
        _store.MarkVerified(blob.Digest, layer.DiffId);
    }

    private async Task<SourceImage> ExportAsync(string label, CancellationToken cancellationToken)
    {
        DockerArchiveSource? archive = null;
        try
        {
            // An export is as large as the image it holds (uncompressed), as the engine reported it at inspect: an engine that
            // streams more (hostile or broken) is stopped there by the engine's stream, not when the disk is full; what it wrote is discarded.
            long limit = _image.ExportLimit;
            // Progress lines as a download has them (a large base takes a while): its size is the engine's, about the export's.
            Registry.TransferProgress? progress = Registry.TransferProgress.Start($"Exporting the base image {_image.Describe(_engine.Name)} from {_engine.Name}", _image.Size, _progress);
            await _engine.ExportAsync(_image, limit, async (tar, token) => archive = await DockerArchiveSource.OpenAsync(
                Registry.ProgressStream.Track(tar, progress), label, long.MaxValue, _store, token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            SourceImage image = await archive!.GetImageAsync(null, cancellationToken).ConfigureAwait(false);
            CheckIdentity(image, archive.ListedAs);
            return image;
        }
        catch (ContainerTasksException e) when (e.Code is ErrorCodes.InvalidSource or ErrorCodes.ImageNotInSource or ErrorCodes.InvalidManifest or ErrorCodes.DigestMismatch)
        {
            throw EngineApi.ExportFailed(_engine.Name, $"What {_engine.Name} exported of {_image.Describe(_engine.Name)} is not a readable image archive: {e.Message}", e);
        }
    }

    // The engine's image id is the digest of its config (Podman, Docker's classic store) or of its manifest or index (Docker's
    // containerd store): an export of anything else is not the image that was asked for, and is not taken as it.
    private void CheckIdentity(SourceImage exported, Digest? listedAs)
    {
        Digest id = _image.Id;
        if (exported.Manifest.Config.Digest != id && exported.ManifestDigest != id && listedAs != id)
        {
            throw EngineApi.ExportFailed(_engine.Name,
                $"What {_engine.Name} exported as {_image.Describe(_engine.Name)} is another image: neither its config ({exported.Manifest.Config.Digest}) nor its manifest ({exported.ManifestDigest}) is the image id {id}", null);
        }
    }

    // The image as exported before, when the store still has its manifest, config and every layer.
    private SourceImage? FromStore(string label)
    {
        if (_store.EngineImageManifest(_image.Id) is not { } manifestDigest || !_store.Contains(manifestDigest))
        {
            return null;
        }
        try
        {
            byte[] manifestBytes = ReadSmall(manifestDigest);
            ImageManifest manifest = ImageManifest.Parse(manifestBytes);
            if (!_store.Contains(manifest.Config.Digest) || manifest.Layers.Any(l => !_store.Contains(l.Digest)))
            {
                return null;
            }
            byte[] config = ReadSmall(manifest.Config.Digest);
            var blobs = new StoreBlobReader(_store, label, manifest.Layers.Select(l => l.Digest).ToHashSet());
            return new SourceImage(label, manifestBytes, manifest, config, blobs) { FromEngine = (_image.Name, _image.Id) };
        }
        catch (Exception e) when (e is ContainerTasksException or IOException)
        {
            return null; // Damaged or pruned meanwhile: exported again.
        }
    }

    private byte[] ReadSmall(Digest digest)
    {
        using Stream stream = _store.OpenRead(digest);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        byte[] bytes = buffer.ToArray();
        return digest.IsDigestOf(bytes) ? bytes : throw new IOException($"{digest} in the store does not match its digest");
    }

    // The name goes into the engine's URL path, or the CLI's arguments: only the characters of image names, ids and
    // digests, starting with a letter or digit (never an option such as --help), and no "." or ".." segment (the URL
    // a/../../containers/json would be another API call once its path is normalised).
    private static void CheckName(string name)
    {
        bool valid = name.Length is > 0 and <= 512 && char.IsAsciiLetterOrDigit(name[0]) && name[^1] != '/' && !name.Contains("//", StringComparison.Ordinal)
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':' or '/' or '@')
            && !name.Split('/').Any(segment => segment is "." or "..");
        if (!valid)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidBaseImageSource,
                $"ContainerBaseImage '{Registry.RegistryText.Clean(name, 200)}' is not the name of an image in a local engine. With ContainerBaseImageSource=local, give the name as 'docker image ls' or 'podman image ls' shows it, e.g. my-base:1 or localhost/my-base:1.");
        }
    }

    private static ContainerTasksException NotInEngine(string name, ILocalEngine engine)
        => new(ErrorCodes.BaseNotInEngine,
            $"The base image {name} is not in the local engine ({engine}): ContainerBaseImageSource=local takes the base from the engine's own images. "
            + $"Build it there ('{engine.Name} build -t {name} .'), pull it ('{engine.Name} pull REGISTRY/{name}'), or check the name with '{engine.Name} image ls'; "
            + "to take the base from a registry instead, remove ContainerBaseImageSource=local.");
}
