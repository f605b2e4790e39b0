using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Outputs;
using ContainerTasks.Registry;
using ContainerTasks.Sources;

namespace ContainerTasks.Pipeline;

/// <summary>
/// Finds, for one platform, a blob that another image already has for a layer's content (diff_id): the images of
/// <see cref="KnownLayers"/> are read once (manifest and config, cached by digest) and asked in order. An image that
/// cannot be read is said and skipped: a cache image that does not exist yet is the first build of a branch.
/// </summary>
internal sealed class LayerFinder
{
    private readonly KnownLayers _known;
    private readonly IContainerBuildLog _log;
    private readonly Task<IReadOnlyList<Candidate>> _images;

    internal LayerFinder(KnownLayers known, Task<IReadOnlyList<CandidateImage>> listed, Platform? platform, Task<SourceImage> baseImage, IContainerBuildLog log,
        CancellationToken cancellationToken)
    {
        _known = known;
        _log = log;
        _images = ReadAllAsync(listed, platform, baseImage, cancellationToken);
        // Observed even when no layer is looked up (all were in the layer cache).
        _images.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>
    /// One image read for the platform: where its layers are, and whether its claims need no check (the base's only: an
    /// image this machine pushed also carries claims nobody here checked; its own layers' pairs are in the verified record).
    /// </summary>
    private sealed record Candidate(LayerOrigin Origin, IReadOnlyList<ImageLayer> Layers, bool Trusted, RegistryClient? Client = null);

    /// <summary>
    /// The first blob, in the images' order, whose diff_id is <paramref name="diffId"/> and whose compression is the
    /// build's; null when none has it (or, with <see cref="KnownLayers.Verify"/>, none that checks out).
    /// </summary>
    public async Task<FoundLayer?> FindAsync(Digest diffId, long tarSize, LayerCompression compression, CancellationToken cancellationToken)
    {
        foreach (Candidate image in await _images.WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            ImageLayer? match = Match(image, diffId, tarSize, compression);
            if (match is null || (!image.Trusted && _known.Verify && !await CheckAsync(match, tarSize, image.Origin, cancellationToken).ConfigureAwait(false))
                || !await IsThereAsync(match.Descriptor, image, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }
            return new FoundLayer(new Descriptor(compression.MediaType, match.Descriptor.Digest, match.Descriptor.Size), image.Origin);
        }
        return null;
    }

    // The image's layer with this content and compression: one whose pair this machine wrote or checked first (an image
    // may carry another image's claim of the same diff_id below it, e.g. a layer image's), else the first.
    private ImageLayer? Match(Candidate image, Digest diffId, long tarSize, LayerCompression compression)
    {
        var matches = image.Layers.Where(l => l.DiffId == diffId && SameCompression(l.Descriptor.MediaType, compression)
            && l.Descriptor.Size <= LargestBlob(tarSize, compression)).ToList();
        return matches.FirstOrDefault(l => _known.Store.WasVerified(l.Descriptor.Digest, l.DiffId)) ?? matches.FirstOrDefault();
    }

    // A blob of this content cannot be larger (gzip adds at most a few bytes per 16 KiB block and per piece): a claim of
    // more is false, and would only make the push copy that many bytes.
    private static long LargestBlob(long tarSize, LayerCompression compression) => compression.IsGzip ? tarSize + tarSize / 256 + 1024 * 1024 : tarSize;

    /// <summary>
    /// True when an image other than the base could be read: only then is hashing a layer before compressing it worth
    /// its cost. The base's layers alone are rarely a planned layer's content; they are looked up after it is written.
    /// </summary>
    public async Task<bool> HasImagesBeyondBaseAsync(CancellationToken cancellationToken)
        => (await _images.WaitAsync(cancellationToken).ConfigureAwait(false)).Any(i => i.Origin.Source != LayerSources.Base);

    private static bool SameCompression(string mediaType, LayerCompression compression) => compression.IsGzip
        ? mediaType is MediaTypes.OciLayerGzip or MediaTypes.DockerLayerGzip
        : mediaType is MediaTypes.OciLayer or MediaTypes.DockerLayer;

    private async Task<IReadOnlyList<Candidate>> ReadAllAsync(Task<IReadOnlyList<CandidateImage>> listed, Platform? platform, Task<SourceImage> baseImage,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<CandidateImage> candidates = await listed.ConfigureAwait(false);
        SourceImage resolvedBase = await baseImage.ConfigureAwait(false);
        Platform target = platform ?? resolvedBase.Platform;
        Candidate?[] read = await Task.WhenAll(candidates.Select(c => ReadAsync(c, target, cancellationToken))).ConfigureAwait(false);
        var images = read.OfType<Candidate>().ToList();
        if (resolvedBase.Origin is { } origin && !resolvedBase.IsScratch)
        {
            // The base's claims are the base's: an image built on it has them whatever this build does.
            images.Add(new Candidate(new LayerOrigin(origin, resolvedBase.Blobs, LayerSources.Base), resolvedBase.Layers, Trusted: true));
        }
        return images;
    }

    private async Task<Candidate?> ReadAsync(CandidateImage candidate, Platform platform, CancellationToken cancellationToken)
    {
        // A cache image gets a while to answer, not the whole retry budget: every layer waits for it.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (candidate.Source == LayerSources.CacheFrom)
        {
            deadline.CancelAfter(CacheImageWait);
        }
        try
        {
            SourceImage image = await new RegistryImageSource(candidate.Reference, candidate.Client, _known.Store).GetImageAsync(platform, deadline.Token).ConfigureAwait(false);
            IReadOnlyList<ImageLayer> layers = image.Layers;
            _log.Detail($"Layers of {candidate.Reference} ({candidate.Source}, {platform}) may be reused by content: {layers.Count}.");
            // Even an image this machine pushed is not trusted whole: the layers it built are known as verified pairs.
            return new Candidate(new LayerOrigin(candidate.Reference, new DirectBlobReader(candidate.Client, candidate.Reference.Repository), candidate.Source), layers, Trusted: false,
                candidate.Client);
        }
        catch (ContainerTasksException e) when (e.Code is ErrorCodes.ImageNotFound or ErrorCodes.NoMatchingPlatform || candidate.Source != LayerSources.CacheFrom)
        {
            _log.Progress($"{Describe(candidate)} {candidate.Reference} has no image for {platform} to reuse layers from ({e.Message}).");
            return null;
        }
        catch (Exception e) when (IsUnusable(e, cancellationToken))
        {
            string reason = e is OperationCanceledException ? $"it did not answer within {CacheImageWait.TotalSeconds:0} s" : e.Message;
            _log.Warning(ErrorCodes.CacheImageUnreadable, $"The cache image {candidate.Reference} (ContainerCacheFrom or CONTAINERTASKS_CACHE_FROM) could not be read, so none of its layers are reused: {reason}");
            return null;
        }
    }

    // A cache image's blob is copied or mounted at push time: one that is gone (deleted, or never pushed whole) is not
    // taken, so the layer is built instead of the push failing. The destination's blobs are its own, the base's are read
    // as the base.
    private async Task<bool> IsThereAsync(Descriptor blob, Candidate image, CancellationToken cancellationToken)
    {
        if (image.Origin.Source != LayerSources.CacheFrom || image.Client is null)
        {
            return true;
        }
        try
        {
            if (await image.Client.BlobExistsAsync(image.Origin.Image.Repository, blob.Digest, forPush: false, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
            _log.Progress($"The layer {blob.Digest} of {image.Origin.Image} is no longer in {image.Origin.Image.Registry}; it is built instead.");
        }
        catch (Exception e) when (IsUnusable(e, cancellationToken))
        {
            _log.Progress($"The layer {blob.Digest} of {image.Origin.Image} could not be found ({e.Message}); it is built instead.");
        }
        return false;
    }

    /// <summary>How long a cache image may take to be read (manifest, index, config).</summary>
    internal static readonly TimeSpan CacheImageWait = TimeSpan.FromSeconds(30);

    // What makes an image or a blob unusable rather than the build failed: anything but the build being cancelled.
    private static bool IsUnusable(Exception e, CancellationToken build)
        => e is ContainerTasksException or IOException or HttpRequestException || (e is OperationCanceledException && !build.IsCancellationRequested);

    private static string Describe(CandidateImage candidate) => candidate.Source == LayerSources.CacheFrom ? "The cache image" : "The destination's image";

    // ContainerCacheVerify: the blob is downloaded and inflated once; a pair that checks out is remembered.
    private async Task<bool> CheckAsync(ImageLayer layer, long tarSize, LayerOrigin origin, CancellationToken cancellationToken)
    {
        Descriptor blob = layer.Descriptor;
        if (_known.Store.WasVerified(blob.Digest, layer.DiffId))
        {
            return true;
        }
        Digest? actual;
        try
        {
            TransferProgress? progress = TransferProgress.Start(
                $"Downloading layer {TransferProgress.Short(blob.Digest)} from {origin.Image.Registry}/{origin.Image.Repository} to check it", blob.Size, _log.Progress);
            await using Stream stream = new VerifyingReadStream(
                ProgressStream.Track(await origin.Blobs.OpenBlobAsync(blob, cancellationToken).ConfigureAwait(false), progress), blob);
            actual = await LayerContent.DiffIdOfAsync(stream, blob.MediaType is MediaTypes.OciLayerGzip or MediaTypes.DockerLayerGzip, tarSize, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsUnusable(e, cancellationToken))
        {
            _log.Progress($"The layer {blob.Digest} of {origin.Image} could not be checked ({e.Message}); it is not used.");
            return false;
        }
        if (actual != layer.DiffId)
        {
            _log.Warning(ErrorCodes.CacheLayerMismatch,
                $"The layer {blob.Digest} of {origin.Image} does not hold what its config claims (diff_id {layer.DiffId}, but it inflates to {actual?.ToString() ?? "something else"}); it is not used and the layer is built. Whoever pushed that image made it wrong.");
            return false;
        }
        _known.Store.MarkVerified(blob.Digest, layer.DiffId);
        return true;
    }
}
