using ContainerTasks.Building;
using ContainerTasks.Content;
using ContainerTasks.Model;
using ContainerTasks.Sources;

namespace ContainerTasks.Registry;

/// <summary>What a push did, counted by the client (tests count from the registry's own log).</summary>
public sealed record PushResult(Digest ManifestDigest, IReadOnlyList<string> TagsPushed, int BlobsUploaded, long BytesUploaded, int BlobsMounted, int BlobsAlreadyPresent)
{
    /// <summary>What was pushed: the image given, or the same image with layers reused from the tag's previous image.</summary>
    public ImageSet? Images { get; init; }

    /// <summary>Layers whose earlier blob (same content) was kept instead of this build's.</summary>
    public int LayersReused { get; init; }

    /// <summary>True when every tag already pointed at this image, so nothing was sent.</summary>
    public bool UpToDate => TagsPushed.Count == 0;
}

/// <summary>
/// Pushes a built image to a repository: each blob is checked with <c>HEAD</c>; a missing base layer is
/// mounted from the base image's repository when both are on the same registry; anything else is
/// uploaded, several at a time. The manifest goes last, once per tag, and a tag that already points at
/// the same digest is left alone — when all do, the push sends nothing.
/// </summary>
public sealed class ImagePusher
{
    private readonly RegistryClient _client;
    private readonly Action<string>? _log;

    /// <summary>
    /// When set, a push to a tag that points at another image first looks at that image: a layer of this build
    /// with the same content (diff_id) as one of its layers but another blob (compressed by another zlib, or at
    /// another level) keeps the earlier blob, so the image digest stays and nothing is uploaded again. The earlier
    /// manifest and config are read through this store (cached by digest); pushed manifests and configs are put in it.
    /// </summary>
    public ContentStore? ReuseThrough { get; init; }

    /// <summary>Creates a pusher writing through <paramref name="client"/> (a client with push credentials).</summary>
    public ImagePusher(RegistryClient client, Action<string>? log = null)
    {
        _client = client;
        _log = log;
    }

    /// <summary>Pushes <paramref name="image"/> to <paramref name="repository"/> under <paramref name="tags"/>.</summary>
    /// <param name="image">The image.</param>
    /// <param name="repository">The repository on this client's registry.</param>
    /// <param name="tags">The tags to point at the image.</param>
    /// <param name="baseOrigin">Where the base image came from; its layers are mounted when it is on this registry.</param>
    /// <param name="cancellationToken">Cancels the push.</param>
    public Task<PushResult> PushAsync(BuiltImage image, string repository, IReadOnlyList<string> tags, ImageReference? baseOrigin, CancellationToken cancellationToken = default)
        => PushAsync(ImageSet.Single(image), repository, tags, baseOrigin, cancellationToken);

    /// <summary>
    /// Pushes one image, or several platform images and their index: every blob once (shared layers are
    /// uploaded once), each platform manifest by digest only (no extra tags), then the index under each tag.
    /// </summary>
    public async Task<PushResult> PushAsync(ImageSet images, string repository, IReadOnlyList<string> tags, ImageReference? baseOrigin, CancellationToken cancellationToken = default)
    {
        var existing = new Dictionary<string, Descriptor?>();
        foreach (string tag in tags)
        {
            existing[tag] = await _client.HeadManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false);
        }
        int reused = 0;
        // Only when no tag has this build's image yet (else it would move that tag), and only from an image this
        // machine pushed: a blob someone else put under a diff_id is never taken on trust.
        if (ReuseThrough is not null && !existing.Values.Any(d => d is not null && d.Digest == images.Root.Digest)
            && existing.Values.FirstOrDefault(d => d is not null && !d.Digest.IsEmpty) is { } previous && ReuseThrough.WasPushedHere(previous.Digest))
        {
            (images, reused) = await ReuseLayersAsync(images, repository, previous, ReuseThrough, cancellationToken).ConfigureAwait(false);
        }
        Digest root = images.Root.Digest;
        var pending = new List<string>();
        foreach (string tag in tags)
        {
            if (existing[tag] is { } current && current.Digest == root)
            {
                _log?.Invoke($"{_client.Registry}/{repository}:{tag} is already {root}; not pushed again.");
                continue;
            }
            pending.Add(tag);
        }
        if (pending.Count == 0)
        {
            if (ReuseThrough is not null)
            {
                ReuseThrough.MarkPushedHere(root);   // this build's own digest (or one already trusted)
            }
            return new PushResult(root, [], 0, 0, 0, 0) { Images = images, LayersReused = reused };
        }

        string? mountFrom = baseOrigin is not null && baseOrigin.Registry == _client.Registry && baseOrigin.Repository != repository
            ? baseOrigin.Repository
            : null;
        var blobs = images.ContentBlobs.ToList();
        var configs = images.Images.Select(i => i.Manifest.Config.Digest).ToHashSet();
        int parallel = _client.Quirks.SequentialUploads ? 1 : Math.Max(1, _client.Transport.Settings.ParallelUploads);
        int uploaded = 0, mounted = 0, present = 0;
        long bytes = 0;
        await Parallel.ForEachAsync(blobs, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken }, async (blob, ct) =>
        {
            if (await _client.BlobExistsAsync(repository, blob.Digest, forPush: true, ct).ConfigureAwait(false))
            {
                Interlocked.Increment(ref present);
                return;
            }
            if (mountFrom is not null && !configs.Contains(blob.Digest) && !images.Images.Any(i => i.IsNewLayer(blob.Digest))
                && await _client.TryMountBlobAsync(repository, blob.Digest, mountFrom, ct).ConfigureAwait(false))
            {
                Interlocked.Increment(ref mounted);
                return;
            }
            try
            {
                // Verified while it is sent (a damaged cache entry is found here, not by the registry's digest check),
                // unless this process has just written it.
                bool writtenNow = images.Images.Any(i => i.IsWrittenNow(blob.Digest));
                await _client.UploadBlobAsync(repository, blob, async c =>
                {
                    Stream content = await images.OpenBlobAsync(blob, c).ConfigureAwait(false);
                    return writtenNow ? content : new Outputs.VerifyingReadStream(content, blob);
                }, ct).ConfigureAwait(false);
            }
            catch (ContainerTasksException e) when (e.Code == ErrorCodes.DigestMismatch)
            {
                bool removed = images.Images.Any(i => i.DiscardLocalBlob(blob.Digest));
                throw new ContainerTasksException(ErrorCodes.DigestMismatch, removed
                    ? $"{e.Message} It was a layer in the content cache, which is damaged; the entry was removed, so publishing again rebuilds the layer."
                    : e.Message, e);
            }
            catch (ContainerTasksException e) when (e.Code == ErrorCodes.RegistryUnreachable && _client.Quirks.ResetMeansMissingRepository)
            {
                throw new ContainerTasksException(ErrorCodes.ImageNotFound,
                    $"{_client.Registry} closed the connection when a blob was pushed to '{repository}'. This registry does that when the repository does not exist: create it first (it is not created on push).", e);
            }
            Interlocked.Increment(ref uploaded);
            Interlocked.Add(ref bytes, blob.Size);
            _log?.Invoke($"Uploaded {blob.Digest} ({Sizes.Format(blob.Size)}) to {_client.Registry}/{repository}.");
        }).ConfigureAwait(false);

        if (images.Index is { } index)
        {
            // Platform manifests by digest only: no "<tag>-<rid>" tags.
            foreach (BuiltImage image in images.Images)
            {
                await _client.PutManifestAsync(repository, image.ManifestDigest.ToString(), image.ManifestBytes, image.Manifest.MediaType, cancellationToken).ConfigureAwait(false);
            }
            foreach (string tag in pending)
            {
                await _client.PutManifestAsync(repository, tag, index.Bytes, index.Index.MediaType, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            BuiltImage image = images.Images[0];
            foreach (string tag in pending)
            {
                await _client.PutManifestAsync(repository, tag, image.ManifestBytes, image.Manifest.MediaType, cancellationToken).ConfigureAwait(false);
            }
        }
        _log?.Invoke($"Pushed {_client.Registry}/{repository}:{string.Join(", ", pending)} ({root}): {uploaded} blobs uploaded, {mounted} mounted, {present} already there.");
        if (ReuseThrough is not null)
        {
            // The next build finds this image's manifest and config here when it looks at what the tag points at.
            foreach (BuiltImage image in images.Images)
            {
                ReuseThrough.Put(image.ManifestBytes);
                ReuseThrough.Put(image.ConfigBytes);
            }
            if (images.Index is { } pushedIndex)
            {
                ReuseThrough.Put(pushedIndex.Bytes);
            }
            ReuseThrough.MarkPushedHere(root);
        }
        return new PushResult(root, pending, uploaded, bytes, mounted, present) { Images = images, LayersReused = reused };
    }

    /// <summary>
    /// For each platform image, the layers of <paramref name="previous"/> (what a tag points at now) with the same
    /// diff_id as one of this build's layers but another blob, which the repository still has: this build's
    /// manifest is rewritten to point at those blobs. Anything unusable about the previous image (another
    /// platform, an unreadable manifest) just means no reuse.
    /// </summary>
    private async Task<(ImageSet Images, int Reused)> ReuseLayersAsync(ImageSet images, string repository, Descriptor previous, ContentStore store, CancellationToken cancellationToken)
    {
        var source = new RegistryImageSource(ImageReference.Parse($"{_client.Registry}/{repository}@{previous.Digest}"), _client, store);
        var result = new List<BuiltImage>();
        int reused = 0;
        foreach (BuiltImage image in images.Images)
        {
            SourceImage earlier;
            try
            {
                earlier = await source.GetImageAsync(image.Platform, cancellationToken).ConfigureAwait(false);
            }
            catch (ContainerTasksException e)
            {
                _log?.Invoke($"The image {_client.Registry}/{repository}@{previous.Digest} has nothing to compare with {image.Platform} ({e.Message}); no layers reused for it.");
                result.Add(image);
                continue;
            }
            IReadOnlyList<Digest> diffIds = ImageConfig.Parse(earlier.ConfigBytes).DiffIds;
            var earlierByDiffId = new Dictionary<Digest, Descriptor>();
            for (int i = 0; i < earlier.Manifest.Layers.Count && i < diffIds.Count; i++)
            {
                Descriptor layer = earlier.Manifest.Layers[i];
                if (layer.MediaType is MediaTypes.OciLayerGzip or MediaTypes.DockerLayerGzip)
                {
                    earlierByDiffId.TryAdd(diffIds[i], layer);
                }
            }
            var candidates = new List<(Digest Ours, Digest DiffId, Descriptor Earlier)>();
            foreach (var (digest, diffId) in image.NewLayerDiffIds())
            {
                Descriptor ours = image.Manifest.Layers.First(l => l.Digest == digest);
                if (ours.MediaType is MediaTypes.OciLayerGzip or MediaTypes.DockerLayerGzip
                    && earlierByDiffId.TryGetValue(diffId, out Descriptor? match) && match.Digest != digest)
                {
                    candidates.Add((digest, diffId, match));
                }
            }
            // Only blobs the repository still has (checked together).
            bool[] present = await Task.WhenAll(candidates.Select(c => _client.BlobExistsAsync(repository, c.Earlier.Digest, forPush: true, cancellationToken))).ConfigureAwait(false);
            var replacements = new Dictionary<Digest, Descriptor>();
            for (int i = 0; i < candidates.Count; i++)
            {
                if (present[i])
                {
                    replacements[candidates[i].Ours] = candidates[i].Earlier;
                    _log?.Invoke($"Layer {candidates[i].DiffId} (same content as in {_client.Registry}/{repository}@{previous.Digest}): keeping its blob {candidates[i].Earlier.Digest} instead of {candidates[i].Ours}.");
                }
            }
            reused += replacements.Count;
            result.Add(replacements.Count > 0 ? image.WithReusedLayers(replacements) : image);
        }
        if (reused == 0)
        {
            return (images, 0);
        }
        return (images.Index is null ? ImageSet.Single(result[0]) : ImageSet.Multi(result, ImageIndexBuilder.Build(result)), reused);
    }
}
