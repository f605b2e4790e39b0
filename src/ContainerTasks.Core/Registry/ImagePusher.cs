using ContainerTasks.Model;

namespace ContainerTasks.Registry;

/// <summary>
/// Writes an image to a repository as it is: each blob is checked with <c>HEAD</c>; a missing layer is mounted
/// from where it can be mounted from (the base image's repository) when that is on the same registry; anything else
/// is uploaded, several at a time. The manifests go last, and a tag that already points at the same digest is left
/// alone — when all do, the push sends nothing. The pusher never changes the image: steps before it do.
/// </summary>
internal sealed class ImagePusher
{
    private readonly RegistryClient _client;
    private readonly Action<string>? _log;

    /// <summary>Creates a pusher writing through <paramref name="client"/> (a client with push credentials).</summary>
    public ImagePusher(RegistryClient client, Action<string>? log = null)
    {
        _client = client;
        _log = log;
    }

    private int Parallel => _client.ParallelBlobRequests;

    /// <summary>What each of <paramref name="tags"/> points at now (null for a tag that does not exist), asked together.</summary>
    public async Task<IReadOnlyDictionary<string, Descriptor?>> ReadTagsAsync(string repository, IReadOnlyList<string> tags, CancellationToken cancellationToken = default)
    {
        var current = new Descriptor?[tags.Count];
        await ForEachAsync(Enumerable.Range(0, tags.Count), async (i, ct) =>
            current[i] = await _client.HeadManifestAsync(repository, tags[i], ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<string, Descriptor?>(StringComparer.Ordinal);
        for (int i = 0; i < tags.Count; i++)
        {
            result[tags[i]] = current[i];
        }
        return result;
    }

    /// <summary>
    /// Pushes one image, or several platform images and their index: every blob once (shared layers are
    /// uploaded once), each platform manifest by digest only (no extra tags), then the image or index under each tag.
    /// </summary>
    /// <param name="images">The image or images.</param>
    /// <param name="repository">The repository on this client's registry.</param>
    /// <param name="tags">The tags to point at the image.</param>
    /// <param name="current">What the tags point at now, when the caller has asked already (see <see cref="ReadTagsAsync"/>).</param>
    /// <param name="cancellationToken">Cancels the push.</param>
    public async Task<PushResult> PushAsync(IImageSet images, string repository, IReadOnlyList<string> tags,
        IReadOnlyDictionary<string, Descriptor?>? current = null, CancellationToken cancellationToken = default)
    {
        current ??= await ReadTagsAsync(repository, tags, cancellationToken).ConfigureAwait(false);
        Digest root = images.Root.Digest;
        var pending = new List<string>();
        foreach (string tag in tags)
        {
            if (current.GetValueOrDefault(tag) is { } now && now.Digest == root)
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
        var clock = System.Diagnostics.Stopwatch.StartNew();
        BlobCounts counts = await PushBlobsAsync(images, repository, cancellationToken).ConfigureAwait(false);
        await PutManifestsAsync(images, repository, pending, cancellationToken).ConfigureAwait(false);
        _log?.Invoke($"Pushed {_client.Registry}/{repository}:{string.Join(", ", pending)} ({root}) in {Duration(clock.Elapsed)}: {counts.Uploaded} blobs uploaded ({Sizes.Format(counts.Bytes)}), {counts.Mounted} mounted, {counts.Present} already there.");
        return new PushResult(root, pending, counts.Uploaded, counts.Bytes, counts.Mounted, counts.Present);
    }

    private sealed class BlobCounts
    {
        public int Uploaded;
        public int Mounted;
        public int Present;
        public long Bytes;
    }

    private async Task<BlobCounts> PushBlobsAsync(IImageSet images, string repository, CancellationToken cancellationToken)
    {
        var counts = new BlobCounts();
        await ForEachAsync(images.ContentBlobs.ToList(), async (blob, ct) =>
        {
            if (await _client.BlobExistsAsync(repository, blob.Digest, forPush: true, ct).ConfigureAwait(false))
            {
                Interlocked.Increment(ref counts.Present);
                return;
            }
            ImageLayer? layer = images.FindLayer(blob.Digest);
            if (layer?.MountFrom is { } from && from.Registry == _client.Registry && from.Repository != repository
                && await _client.TryMountBlobAsync(repository, blob.Digest, from.Repository, ct).ConfigureAwait(false))
            {
                Interlocked.Increment(ref counts.Mounted);
                return;
            }
            await UploadAsync(images, repository, blob, layer, ct).ConfigureAwait(false);
            Interlocked.Increment(ref counts.Uploaded);
            Interlocked.Add(ref counts.Bytes, blob.Size);
            _log?.Invoke($"Uploaded {blob.Digest} ({Sizes.Format(blob.Size)}) to {_client.Registry}/{repository}.");
        }, cancellationToken, Parallel).ConfigureAwait(false);
        return counts;
    }

    private async Task UploadAsync(IImageSet images, string repository, Descriptor blob, ImageLayer? layer, CancellationToken cancellationToken)
    {
        try
        {
            // Verified while it is sent (a damaged cache entry is found here, not by the registry's digest check),
            // unless this process has just written it.
            bool writtenNow = layer?.WrittenNow == true;
            TransferProgress? progress = TransferProgress.Start(Transfer(blob, layer, repository), blob.Size, _log);
            await _client.UploadBlobAsync(repository, blob, async c =>
            {
                Stream content = await images.OpenBlobAsync(blob, c).ConfigureAwait(false);
                return ProgressStream.Track(writtenNow ? content : new Outputs.VerifyingReadStream(content, blob), progress);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ContainerTasksException e) when (e.Code == ErrorCodes.DigestMismatch)
        {
            bool removed = images.Images.Any(i => i.DiscardLocalBlob(blob.Digest));
            throw new ContainerTasksException(ErrorCodes.DigestMismatch, removed
                ? $"{e.Message} It was a layer in the content cache, which is damaged; the entry was removed, so publishing again rebuilds the layer."
                : layer?.MountFrom is { } from ? $"{e.Message} It was read from {from}, which served other bytes under that digest." : e.Message, e);
        }
        catch (ContainerTasksException e) when (e.Code == ErrorCodes.RegistryUnreachable && _client.Quirks.ResetMeansMissingRepository)
        {
            throw new ContainerTasksException(ErrorCodes.ImageNotFound,
                $"{_client.Registry} closed the connection when a blob was pushed to '{repository}'. This registry does that when the repository does not exist: create it first (it is not created on push).", e);
        }
    }

    // What a progress line names: the blob, and where it goes; a layer of an image in another registry is copied from there.
    private string Transfer(Descriptor blob, ImageLayer? layer, string repository)
    {
        string what = $"{TransferProgress.Noun(blob)} {TransferProgress.Short(blob.Digest)}";
        string to = $"{_client.Registry}/{repository}";
        return layer?.MountFrom is { } from && from.Registry != _client.Registry
            ? $"Copying {what} from {from.Registry}/{from.Repository} to {to}"
            : $"Uploading {what} to {to}";
    }

    // "0.4 s", "12.3 s", "28 min 3 s": a push's time for people.
    private static string Duration(TimeSpan time)
        => time < TimeSpan.FromMinutes(1)
            ? time.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s"
            : $"{(int)time.TotalMinutes} min {time.Seconds} s";

    // Platform manifests first (by digest only: no "<tag>-<rid>" tags), so the index they are in can be accepted; then the tags.
    private async Task PutManifestsAsync(IImageSet images, string repository, IReadOnlyList<string> tags, CancellationToken cancellationToken)
    {
        (byte[] Bytes, string MediaType) root;
        if (images.Index is { } index)
        {
            await ForEachAsync(images.Images, (image, ct) => new ValueTask(PutManifestAsync(repository, image.ManifestDigest.ToString(),
                image.ManifestBytes, image.Manifest.MediaType, ct)), cancellationToken).ConfigureAwait(false);
            root = (index.Bytes, index.Index.MediaType);
        }
        else
        {
            root = (images.Images[0].ManifestBytes, images.Images[0].Manifest.MediaType);
        }
        await ForEachAsync(tags, (tag, ct) => new ValueTask(PutManifestAsync(repository, tag, root.Bytes, root.MediaType, ct)),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Times a manifest is put when the registry says a blob it has just confirmed is unknown.</summary>
    internal const int MaxManifestAttempts = 3;

    // Another build uploading one of the same blobs at once makes the Distribution registry rewrite the repository's link
    // to it in place, and a manifest checked meanwhile reads it empty; an eventually consistent store loses a blob for a
    // moment. Such a refusal is tried again after a pause; a blob that stays unknown fails as before.
    private async Task PutManifestAsync(string repository, string reference, byte[] manifest, string mediaType, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await _client.PutManifestAsync(repository, reference, manifest, mediaType, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ContainerTasksException e) when (attempt < MaxManifestAttempts && RegistryErrors.IsBlobUnknown(e))
            {
                _log?.Invoke($"{_client.Registry}/{repository} did not find a blob of manifest {reference} it had confirmed; trying again ({attempt}/{MaxManifestAttempts - 1}).");
                await Task.Delay(TimeSpan.FromMilliseconds(150 * attempt + Random.Shared.Next(100)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private Task ForEachAsync<T>(IEnumerable<T> items, Func<T, CancellationToken, ValueTask> body, CancellationToken cancellationToken, int? parallel = null)
        => System.Threading.Tasks.Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = parallel ?? Parallel, CancellationToken = cancellationToken }, body);
}
