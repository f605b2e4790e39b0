using ContainerTasks.Building;
using ContainerTasks.Model;

namespace ContainerTasks.Registry;

/// <summary>What a push did, counted by the client (tests count from the registry's own log).</summary>
public sealed record PushResult(Digest ManifestDigest, IReadOnlyList<string> TagsPushed, int BlobsUploaded, long BytesUploaded, int BlobsMounted, int BlobsAlreadyPresent)
{
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
        Digest root = images.Root.Digest;
        var pending = new List<string>();
        foreach (string tag in tags)
        {
            Descriptor? existing = await _client.HeadManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false);
            if (existing is not null && existing.Digest == root)
            {
                _log?.Invoke($"{_client.Registry}/{repository}:{tag} is already {root}; not pushed again.");
                continue;
            }
            pending.Add(tag);
        }
        if (pending.Count == 0)
        {
            return new PushResult(root, [], 0, 0, 0, 0);
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
                await _client.UploadBlobAsync(repository, blob, c => images.OpenBlobAsync(blob, c), ct).ConfigureAwait(false);
            }
            catch (ContainerTasksException e) when (e.Code == ErrorCodes.RegistryUnreachable && _client.Quirks.ResetMeansMissingRepository)
            {
                throw new ContainerTasksException(ErrorCodes.ImageNotFound,
                    $"{_client.Registry} closed the connection when a blob was pushed to '{repository}'. This registry does that when the repository does not exist: create it first (it is not created on push).", e);
            }
            Interlocked.Increment(ref uploaded);
            Interlocked.Add(ref bytes, blob.Size);
            _log?.Invoke($"Uploaded {blob.Digest} ({blob.Size} bytes) to {_client.Registry}/{repository}.");
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
        return new PushResult(root, pending, uploaded, bytes, mounted, present);
    }
}
