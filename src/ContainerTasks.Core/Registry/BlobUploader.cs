using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using ContainerTasks.Model;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Registry.Http;

namespace ContainerTasks.Registry;

/// <summary>
/// Uploads blobs to one registry: a session (POST), then the content in one PUT, or in PATCH chunks when forced or
/// required by the registry. Upload requests carry bodies that cannot be replayed after a partial send, so they are
/// not retried one by one: a failure that <see cref="RetryClassification"/> calls transient restarts the whole upload,
/// within the retry budget plus the time the blob's size needs. A blob still being made goes up in one streamed PATCH
/// instead (<see cref="StreamAsync"/>), which is never restarted.
/// </summary>
internal sealed class BlobUploader
{
    private readonly RequestSender _sender;
    private readonly RegistryEndpoint _endpoint;
    private readonly RegistrySettings _settings;
    private readonly RegistryQuirks _quirks;
    private readonly RegistryCredential? _credential;
    private readonly Action<string>? _notice;

    // Repositories an upload has started in (see RegistryQuirks.ResetMeansMissingRepository).
    private readonly ConcurrentDictionary<string, bool> _uploadsStarted = new(StringComparer.Ordinal);

    /// <param name="sender">The registry's request steps.</param>
    /// <param name="endpoint">The registry's endpoint.</param>
    /// <param name="settings">Chunk size and forced chunking, timeouts and budgets.</param>
    /// <param name="quirks">The registry's deviations (chunked only, missing repository as a reset).</param>
    /// <param name="credential">The credentials, for error messages (never their secret).</param>
    /// <param name="notice">Where restarts are shown (normal verbosity).</param>
    public BlobUploader(RequestSender sender, RegistryEndpoint endpoint, RegistrySettings settings, RegistryQuirks quirks, RegistryCredential? credential, Action<string>? notice)
    {
        _sender = sender;
        _endpoint = endpoint;
        _settings = settings;
        _quirks = quirks;
        _credential = credential;
        _notice = notice;
    }

    private string Registry => _endpoint.Registry;

    /// <summary>Uploads <paramref name="blob"/>, whose bytes <paramref name="open"/> opens anew for each attempt.</summary>
    public async Task UploadAsync(string repository, Descriptor blob, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        var policy = new RetryPolicy(_settings, bodyBytes: blob.Size);
        var retry = new RequestRetry(policy, enabled: true, (cause, delay) => _notice?.Invoke(
            $"Upload of {blob.Digest} to {Registry}/{repository} was interrupted ({cause}); restarting in {delay.TotalSeconds:0.#} s (attempt {policy.Attempts + 1})."));
        while (true)
        {
            using CancellationTokenSource deadline = policy.Deadline(cancellationToken);
            try
            {
                await UploadOnceAsync(repository, blob, open, deadline.Token).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException e) when (RetryClassification.IsDeadline(deadline, cancellationToken))
            {
                throw new ContainerTasksException(ErrorCodes.RegistryTimeout,
                    $"Uploading {blob.Digest} ({blob.Size} bytes) to {Registry}/{repository} did not finish in {policy.Elapsed.TotalSeconds:0} s, the retry budget plus the time its size needs at {RetryPolicy.SlowestBytesPerSecond / 1024:0} KiB/s. Check the network; for a very slow link raise CONTAINERTASKS_RETRY_BUDGET_MS.", e);
            }
            catch (TransientUploadException e)
            {
                if (!await retry.WaitAsync(e.Response, RegistryText.Clean(e.Message), heardFrom: true, cancellationToken).ConfigureAwait(false))
                {
                    throw e.Final ?? new ContainerTasksException(ErrorCodes.RegistryError,
                        $"Uploading {blob.Digest} to {Registry}/{repository} kept failing ({e.Message}) until the retry budget ran out. Check the network and the registry, then try again.");
                }
            }
        }
    }

    private async Task UploadOnceAsync(string repository, Descriptor blob, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        var (location, minimumChunk) = await StartAsync(repository, cancellationToken).ConfigureAwait(false);
        if (!_settings.ForceChunkedUpload && !_quirks.RequiresChunkedUpload)
        {
            await PutContentAsync(repository, blob, location, open, cancellationToken).ConfigureAwait(false);
            return;
        }
        long chunkSize = Math.Max(Math.Max(_settings.ChunkSize, minimumChunk), _quirks.MinimumChunkSize);
        await using (Stream content = await open(cancellationToken).ConfigureAwait(false))
        {
            for (long offset = 0; offset < blob.Size; offset += chunkSize)
            {
                location = await PatchAsync(repository, location, content, offset, Math.Min(chunkSize, blob.Size - offset), cancellationToken).ConfigureAwait(false);
            }
        }
        await FinishAsync(repository, location, blob.Digest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Uploads one blob whose bytes arrive while it is sent: a session (POST), the bytes in one PATCH of unknown length
    /// (chunked transfer encoding, no Content-Range), then a PUT with the digest, known only when <paramref name="finished"/>
    /// is. Nothing is retried (the body cannot be replayed): any failure throws, and the caller uploads the blob later.
    /// </summary>
    /// <param name="repository">The repository.</param>
    /// <param name="body">The bytes; sent once.</param>
    /// <param name="finished">The blob's descriptor, once all its bytes are in <paramref name="body"/>.</param>
    /// <param name="cancellationToken">Abandons the upload.</param>
    public async Task StreamAsync(string repository, StreamedBody body, Task<Descriptor> finished, CancellationToken cancellationToken)
    {
        var (location, _) = await StartAsync(repository, cancellationToken, retry: false).ConfigureAwait(false);
        using (var patch = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            // The PATCH lasts as long as the blob takes to make, so it has no overall timeout: a stalled upload is the
            // body's writer's to notice, and once the body is sent the answer must come within the read timeout.
            body.WhenSent = () => patch.CancelAfter(_settings.ReadTimeout);
            body.WhenStalled = patch.Cancel;
            try
            {
                location = await SendPatchAsync(repository, location, body.TakeAsync, StreamedBody.UnknownLength, patch.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (RetryClassification.IsDeadline(patch, cancellationToken))
            {
                throw new ContainerTasksException(ErrorCodes.RegistryTimeout,
                    $"{Registry}/{repository} took no bytes of an upload, or gave no answer after its last byte, for {_settings.ReadTimeout.TotalSeconds:0} s.", e);
            }
        }
        Descriptor blob = await finished.WaitAsync(cancellationToken).ConfigureAwait(false);
        await FinishAsync(repository, location, blob.Digest, cancellationToken).ConfigureAwait(false);
    }

    // The PUT that ends an upload whose bytes are all sent.
    private async Task FinishAsync(string repository, Uri location, Digest digest, CancellationToken cancellationToken)
    {
        using HttpResponseMessage done = await SendUploadAsync(new RegistryRequest(HttpMethod.Put, WithDigest(location, digest).ToString(), repository, "finishing an upload")
        {
            Scopes = [RegistryClient.PullPush(repository)],
            Content = _ => Task.FromResult<HttpContent>(new ByteArrayContent([])),
            ContentLength = 0,
        }, cancellationToken).ConfigureAwait(false);
        if (done.StatusCode != HttpStatusCode.Created)
        {
            await ThrowUploadFailureAsync(done, repository, "PUT", cancellationToken).ConfigureAwait(false);
        }
    }

    // The session's location, and the smallest chunk the registry takes (OCI-Chunk-Min-Length).
    private async Task<(Uri Location, long MinimumChunk)> StartAsync(string repository, CancellationToken cancellationToken, bool retry = true)
    {
        using HttpResponseMessage start = await _sender.SendAsync(new RegistryRequest(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/", repository, "starting an upload")
        {
            Scopes = [RegistryClient.PullPush(repository)],
            Content = _ => Task.FromResult<HttpContent>(new ByteArrayContent([])),
            ContentLength = 0,
            // A registry that closes the connection for a missing repository (ECR): one quick retry, not minutes of them.
            MaxAttempts = _quirks.ResetMeansMissingRepository && !_uploadsStarted.ContainsKey(repository) ? 2 : RetryPolicy.DefaultMaxAttempts,
            Retry = retry,
        }, cancellationToken).ConfigureAwait(false);
        if (start.StatusCode == HttpStatusCode.Accepted)
        {
            _uploadsStarted.TryAdd(repository, true);
        }
        if (start.StatusCode != HttpStatusCode.Accepted || start.Headers.Location is null)
        {
            await EnsureSuccessAsync(start, repository, "POST upload", cancellationToken).ConfigureAwait(false);
            throw new ContainerTasksException(ErrorCodes.RegistryError,
                $"{Registry}/{repository} answered {(int)start.StatusCode} without an upload location when an upload was started.");
        }
        long minimumChunk = start.Headers.TryGetValues("OCI-Chunk-Min-Length", out var min) && long.TryParse(min.FirstOrDefault(), out long m) ? m : 0;
        return (RegistryEndpoint.Resolve(start.RequestMessage!.RequestUri!, start.Headers.Location), minimumChunk);
    }

    // One chunk; the registry's next location.
    private Task<Uri> PatchAsync(string repository, Uri location, Stream content, long start, long length, CancellationToken cancellationToken)
        => SendPatchAsync(repository, location, _ =>
        {
            HttpContent body = new StreamContent(new SubStream(content, start, length));
            body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            body.Headers.ContentLength = length;
            // The distribution spec's Content-Range is "start-end" without a unit, which HttpClient's parser rejects.
            body.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + length - 1}");
            return Task.FromResult(body);
        }, length, cancellationToken);

    // A PATCH of the upload at location; the registry's next location.
    private async Task<Uri> SendPatchAsync(string repository, Uri location, Func<CancellationToken, Task<HttpContent>> content, long length, CancellationToken cancellationToken)
    {
        using HttpResponseMessage patch = await SendUploadAsync(new RegistryRequest(HttpMethod.Patch, location.ToString(), repository, "uploading a chunk")
        {
            Scopes = [RegistryClient.PullPush(repository)],
            Content = content,
            ContentLength = length,
        }, cancellationToken).ConfigureAwait(false);
        if (patch.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.NoContent or HttpStatusCode.Created) || patch.Headers.Location is null)
        {
            await ThrowUploadFailureAsync(patch, repository, "PATCH", cancellationToken).ConfigureAwait(false);
        }
        return RegistryEndpoint.Resolve(location, patch.Headers.Location!);
    }

    private async Task PutContentAsync(string repository, Descriptor blob, Uri location, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        Stream? content = null;
        try
        {
            using HttpResponseMessage put = await SendUploadAsync(new RegistryRequest(HttpMethod.Put, WithDigest(location, blob.Digest).ToString(), repository, "uploading a blob")
            {
                Scopes = [RegistryClient.PullPush(repository)],
                Content = async ct =>
                {
                    if (content is not null)
                    {
                        await content.DisposeAsync().ConfigureAwait(false);
                    }
                    content = await open(ct).ConfigureAwait(false);
                    HttpContent body = new StreamContent(content, 128 * 1024);
                    body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    body.Headers.ContentLength = blob.Size;
                    return body;
                },
                ContentLength = blob.Size,
            }, cancellationToken).ConfigureAwait(false);
            if (put.StatusCode != HttpStatusCode.Created)
            {
                await ThrowUploadFailureAsync(put, repository, "PUT", cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (content is not null)
            {
                await content.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task ThrowUploadFailureAsync(HttpResponseMessage response, string repository, string step, CancellationToken cancellationToken)
    {
        if (RetryClassification.RestartsUpload(response.StatusCode))
        {
            throw new TransientUploadException($"{step} answered {(int)response.StatusCode}", CloneForRetry(response),
                await RegistryErrors.FromResponseAsync(response, Registry, repository, $"{step} upload", _credential, cancellationToken).ConfigureAwait(false));
        }
        await EnsureSuccessAsync(response, repository, $"{step} upload", cancellationToken).ConfigureAwait(false);
        throw await RegistryErrors.FromResponseAsync(response, Registry, repository, $"{step} upload", _credential, cancellationToken).ConfigureAwait(false);
    }

    // Only what the wait needs (status, Retry-After): the answer itself is disposed.
    private static HttpResponseMessage CloneForRetry(HttpResponseMessage response)
    {
        var clone = new HttpResponseMessage(response.StatusCode);
        if (response.Headers.RetryAfter is { } retryAfter)
        {
            clone.Headers.RetryAfter = retryAfter;
        }
        return clone;
    }

    private async Task<HttpResponseMessage> SendUploadAsync(RegistryRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await _sender.SendAsync(request with { Retry = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (ContainerTasksException e) when (RetryClassification.IsNetworkFailure(e))
        {
            throw new TransientUploadException(e.Message, null, e);
        }
    }

    private Task EnsureSuccessAsync(HttpResponseMessage response, string repository, string operation, CancellationToken cancellationToken)
        => RegistryErrors.EnsureSuccessAsync(response, Registry, repository, operation, _credential, cancellationToken);

    private static Uri WithDigest(Uri location, Digest digest)
    {
        string separator = string.IsNullOrEmpty(location.Query) ? "?" : "&";
        return new Uri(location + separator + "digest=" + Uri.EscapeDataString(digest.ToString()));
    }

    private sealed class TransientUploadException(string message, HttpResponseMessage? response, ContainerTasksException? final) : Exception(message)
    {
        public HttpResponseMessage? Response { get; } = response;

        public ContainerTasksException? Final { get; } = final;
    }
}
