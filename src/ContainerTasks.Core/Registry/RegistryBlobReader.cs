using ContainerTasks.Content;
using ContainerTasks.Model;
using ContainerTasks.Registry.Http;

namespace ContainerTasks.Registry;

/// <summary>
/// Reads a registry's blobs through the content store: a blob is downloaded once (across processes,
/// under the store's lock), verified against its digest while it streams in, then read from disk.
/// A download cut off midway starts again, within the retry budget.
/// </summary>
internal sealed class RegistryBlobReader : IBlobReader
{
    private readonly RegistryClient _client;
    private readonly string _repository;
    private readonly ContentStore _store;

    /// <summary>Creates a reader of <paramref name="repository"/>'s blobs.</summary>
    public RegistryBlobReader(RegistryClient client, string repository, ContentStore store)
    {
        _client = client;
        _repository = repository;
        _store = store;
    }

    /// <inheritdoc />
    public async Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken = default)
    {
        if (!_store.Contains(descriptor.Digest))
        {
            using IDisposable held = await _store.LockAsync(descriptor.Digest, cancellationToken).ConfigureAwait(false);
            if (!_store.Contains(descriptor.Digest))
            {
                await DownloadAsync(descriptor, cancellationToken).ConfigureAwait(false);
            }
        }
        return _store.OpenRead(descriptor.Digest);
    }

    // The whole download, retries included, ends within the retry budget plus the time its size needs (see RetryPolicy).
    private async Task DownloadAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        var policy = new RetryPolicy(_client.Transport.Settings, bodyBytes: descriptor.Size);
        var retry = new RequestRetry(policy, enabled: true, (cause, delay) => _client.Notice(
            RequestRetry.Line($"Downloading {descriptor.Digest} from {_client.Registry}/{_repository}", cause, delay, policy.Attempts + 1)));
        TransferProgress? progress = TransferProgress.Start(
            $"Downloading {TransferProgress.Noun(descriptor)} {TransferProgress.Short(descriptor.Digest)} from {_client.Registry}/{_repository}", descriptor.Size, _client.Notice);
        while (true)
        {
            using CancellationTokenSource deadline = policy.Deadline(cancellationToken);
            try
            {
                await using Stream body = ProgressStream.Track(await _client.OpenBlobAsync(_repository, descriptor, deadline.Token).ConfigureAwait(false), progress);
                await _store.PutAsync(body, descriptor.Digest, deadline.Token).ConfigureAwait(false);
                return;
            }
            catch (ContainerTasksException e) when (e.Code == ErrorCodes.DigestMismatch)
            {
                throw new ContainerTasksException(ErrorCodes.RegistryDigestMismatch,
                    $"{_client.Registry}/{_repository} served the blob {descriptor.Digest} with other content. The registry or a proxy in between altered it; nothing was stored.", e);
            }
            catch (OperationCanceledException e) when (RetryClassification.IsDeadline(deadline, cancellationToken))
            {
                throw new ContainerTasksException(ErrorCodes.RegistryTimeout,
                    $"Downloading {descriptor.Digest} ({descriptor.Size} bytes) from {_client.Registry}/{_repository} did not finish in {policy.Elapsed.TotalSeconds:0} s, the retry budget plus the time its size needs at {RetryPolicy.SlowestBytesPerSecond / 1024:0} KiB/s; nothing was stored. Check the network; for a very slow link raise CONTAINERTASKS_RETRY_BUDGET_MS.", e);
            }
            catch (Exception e) when (RetryClassification.IsNetworkFailure(e, cancellationToken))
            {
                string cause = NetworkFailure.Describe(e);
                if (!await retry.WaitAsync(null, cause, heardFrom: true, cancellationToken).ConfigureAwait(false))
                {
                    throw new ContainerTasksException(ErrorCodes.RegistryUnreachable,
                        $"Downloading {descriptor.Digest} from {_client.Registry}/{_repository} kept failing: {cause}. Check the network and try again.", e);
                }
            }
        }
    }
}
