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
    public async Task<PushResult> PushAsync(BuiltImage image, string repository, IReadOnlyList<string> tags, ImageReference? baseOrigin, CancellationToken cancellationToken = default)
    {
        var pending = new List<string>();
        foreach (string tag in tags)
        {
            Descriptor? existing = await _client.HeadManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false);
            if (existing is not null && existing.Digest == image.ManifestDigest)
            {
                _log?.Invoke($"{_client.Registry}/{repository}:{tag} is already {image.ManifestDigest}; not pushed again.");
                continue;
            }
            pending.Add(tag);
        }
        if (pending.Count == 0)
        {
            return new PushResult(image.ManifestDigest, [], 0, 0, 0, 0);
        }

        string? mountFrom = baseOrigin is not null && baseOrigin.Registry == _client.Registry && baseOrigin.Repository != repository
            ? baseOrigin.Repository
            : null;
        var blobs = image.Manifest.Layers
            .Where(l => !MediaTypes.IsNonDistributable(l.MediaType))
            .Append(image.Manifest.Config)
            .DistinctBy(d => d.Digest)
            .ToList();
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
            if (mountFrom is not null && !image.IsNewLayer(blob.Digest) && blob.Digest != image.Manifest.Config.Digest
                && await _client.TryMountBlobAsync(repository, blob.Digest, mountFrom, ct).ConfigureAwait(false))
            {
                Interlocked.Increment(ref mounted);
                return;
            }
            try
            {
                await _client.UploadBlobAsync(repository, blob, c => image.OpenBlobAsync(blob, c), ct).ConfigureAwait(false);
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

        foreach (string tag in pending)
        {
            await _client.PutManifestAsync(repository, tag, image.ManifestBytes, image.Manifest.MediaType, cancellationToken).ConfigureAwait(false);
        }
        _log?.Invoke($"Pushed {_client.Registry}/{repository}:{string.Join(", ", pending)} ({image.ManifestDigest}): {uploaded} blobs uploaded, {mounted} mounted, {present} already there.");
        return new PushResult(image.ManifestDigest, pending, uploaded, bytes, mounted, present);
    }
}
