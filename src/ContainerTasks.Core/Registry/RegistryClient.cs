using System.Net;
using System.Net.Http.Headers;
using ContainerTasks.Model;
using ContainerTasks.Registry.Auth;

namespace ContainerTasks.Registry;

/// <summary>
/// The OCI distribution API of one registry: manifests and blobs, with authentication, retries of
/// transient failures (connection errors, timeouts, 408, 429, 5xx), redirects that never carry
/// credentials to another host, and the HTTPS-then-HTTP fallback of insecure registries.
/// </summary>
public sealed class RegistryClient
{
    /// <summary>What a manifest request accepts: every manifest and index type of OCI and Docker.</summary>
    public static readonly string[] ManifestAccept =
    [
        MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest,
        MediaTypes.DockerSchema1SignedManifest, MediaTypes.DockerSchema1Manifest,
    ];

    private const int MaxRedirects = 5;
    private readonly RegistryTransport _transport;
    private readonly RegistryAuthenticator _auth;
    private readonly Action<string>? _log;
    private readonly Action<string>? _notice;

    // Repositories this client has started an upload in (see RegistryQuirks.ResetMeansMissingRepository).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _uploadsStarted = new(StringComparer.Ordinal);

    /// <summary>Creates a client for <paramref name="registry"/> (as in references: <c>docker.io</c>, <c>host:port</c>).</summary>
    /// <param name="registry">The registry name.</param>
    /// <param name="transport">The build's shared transport.</param>
    /// <param name="credential">The credentials, if any.</param>
    /// <param name="log">Details (diagnostic verbosity).</param>
    /// <param name="notice">What a user waiting should see (normal verbosity): retries and their cause. Default: <paramref name="log"/>.</param>
    public RegistryClient(string registry, RegistryTransport transport, RegistryCredential? credential, Action<string>? log = null, Action<string>? notice = null)
    {
        _notice = notice ?? log;
        Registry = registry;
        ApiHost = registry == ImageReference.DockerHub ? "registry-1.docker.io" : registry;
        _transport = transport;
        _auth = new RegistryAuthenticator(registry, credential, transport, _notice);
        _log = log;
        Quirks = RegistryQuirks.For(ApiHost);
    }

    /// <summary>The registry name.</summary>
    public string Registry { get; }

    /// <summary>The host that serves its API.</summary>
    public string ApiHost { get; }

    /// <summary>The registry's known deviations from the distribution spec.</summary>
    public RegistryQuirks Quirks { get; }

    internal RegistryTransport Transport => _transport;

    internal RegistryCredential? Credential => _auth.Credential;

    /// <summary>A manifest's digest, media type and size from a <c>HEAD</c> (which registries do not count as a pull); null when absent.</summary>
    public async Task<Descriptor?> HeadManifestAsync(string repository, string reference, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await SendAsync(new Request(HttpMethod.Head, $"/v2/{repository}/manifests/{reference}", repository, "checking the manifest")
        {
            Accept = ManifestAccept,
            Scopes = [Pull(repository)],
        }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        await EnsureSuccessAsync(response, repository, $"HEAD manifest {reference}", cancellationToken).ConfigureAwait(false);
        string mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        long size = response.Content.Headers.ContentLength ?? -1;
        // A registry that omits Docker-Content-Digest gives a HEAD nothing to go by: the caller must GET.
        if (!response.Headers.TryGetValues("Docker-Content-Digest", out var values) || !Digest.TryParse(values.FirstOrDefault(), out Digest digest))
        {
            return Digest.TryParse(reference, out Digest byDigest) ? new Descriptor(mediaType, byDigest, size) : new Descriptor(mediaType, default, size);
        }
        return new Descriptor(mediaType, digest, size);
    }

    /// <summary>Gets a manifest's bytes and content type; CT3004 when absent. A digest reference is verified.</summary>
    public async Task<(byte[] Bytes, string? ContentType)> GetManifestAsync(string repository, string reference, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await SendAsync(new Request(HttpMethod.Get, $"/v2/{repository}/manifests/{reference}", repository, "reading the manifest")
        {
            Accept = ManifestAccept,
            Scopes = [Pull(repository)],
            BodyLimit = ResponseBody.ManifestLimit,
        }, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, repository, $"GET manifest {reference}", cancellationToken).ConfigureAwait(false);
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (Digest.TryParse(reference, out Digest expected) && !expected.IsDigestOf(bytes))
        {
            throw new ContainerTasksException(ErrorCodes.RegistryDigestMismatch,
                $"{Registry}/{repository}@{reference} served a manifest that does not match its digest. The registry or a proxy in between altered it.");
        }
        return (bytes, response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Puts a manifest under a tag or digest.</summary>
    public async Task PutManifestAsync(string repository, string reference, byte[] manifest, string mediaType, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await SendAsync(new Request(HttpMethod.Put, $"/v2/{repository}/manifests/{reference}", repository, "pushing the manifest")
        {
            Scopes = [PullPush(repository)],
            Content = _ => Task.FromResult<HttpContent>(new ByteArrayContent(manifest) { Headers = { ContentType = new MediaTypeHeaderValue(mediaType) } }),
            ContentLength = manifest.Length,
        }, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, repository, $"PUT manifest {reference}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True when the repository has the blob.</summary>
    public async Task<bool> BlobExistsAsync(string repository, Digest digest, bool forPush, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await SendAsync(new Request(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}", repository, "checking a blob")
        {
            Scopes = [forPush ? PullPush(repository) : Pull(repository)],
        }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        await EnsureSuccessAsync(response, repository, $"HEAD blob {digest}", cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Opens a blob's bytes; more bytes than <paramref name="blob"/>'s size stop the read with CT3014 (a registry that
    /// streams forever must not fill the disk). The caller verifies the digest.
    /// </summary>
    public async Task<Stream> OpenBlobAsync(string repository, Descriptor blob, CancellationToken cancellationToken = default)
    {
        Digest digest = blob.Digest;
        HttpResponseMessage response = await SendAsync(new Request(HttpMethod.Get, $"/v2/{repository}/blobs/{digest}", repository, "downloading a blob")
        {
            Scopes = [Pull(repository)],
            StreamBody = true,
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureSuccessAsync(response, repository, $"GET blob {digest}", cancellationToken).ConfigureAwait(false);
            Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new IdleTimeoutStream(body, response, _transport.Settings.ReadTimeout, blob.Size, () => new ContainerTasksException(ErrorCodes.RegistryDigestMismatch,
                $"{Registry}/{repository} sent more than the {blob.Size} bytes of the blob {digest}; the download was stopped and nothing was stored. The registry or a proxy in between is misbehaving."));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Asks the registry to link a blob from another repository of the same registry. Returns true when
    /// mounted (201). A 202 (the registry started an upload instead) or a refusal (401/403/404) returns false,
    /// and the caller uploads.
    /// </summary>
    public async Task<bool> TryMountBlobAsync(string repository, Digest digest, string fromRepository, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await SendAsync(new Request(HttpMethod.Post,
            $"/v2/{repository}/blobs/uploads/?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(fromRepository)}", repository, "mounting a blob")
        {
            Scopes = [PullPush(repository), Pull(fromRepository)],
            Content = _ => Task.FromResult<HttpContent>(new ByteArrayContent([])),
            ContentLength = 0,
            TolerateUnauthorized = true,
        }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Created)
        {
            return true;
        }
        if (response.StatusCode == HttpStatusCode.Accepted && response.Headers.Location is { } location)
        {
            // An upload session we will not use: cancel it so it does not linger on the registry.
            await CancelUploadAsync(repository, location, cancellationToken).ConfigureAwait(false);
        }
        return false;
    }

    /// <summary>
    /// Uploads a blob: a session (POST), then the content in one PUT, or in PATCH chunks when forced,
    /// required by the registry, or resuming. A failed upload is restarted within the retry budget.
    /// </summary>
    public async Task UploadBlobAsync(string repository, Descriptor blob, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken = default)
    {
        var retry = new RetryPolicy(_transport.Settings, bodyBytes: blob.Size);
        while (true)
        {
            using CancellationTokenSource deadline = retry.Deadline(cancellationToken);
            try
            {
                await UploadOnceAsync(repository, blob, open, deadline.Token).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new ContainerTasksException(ErrorCodes.RegistryTimeout,
                    $"Uploading {blob.Digest} ({blob.Size} bytes) to {Registry}/{repository} did not finish in {retry.Elapsed.TotalSeconds:0} s, the retry budget plus the time its size needs at {RetryPolicy.SlowestBytesPerSecond / 1024:0} KiB/s. Check the network; for a very slow link raise CONTAINERTASKS_RETRY_BUDGET_MS.", e);
            }
            catch (TransientUploadException e)
            {
                if (!await retry.WaitAsync(e.Response, cancellationToken, announce: delay =>
                        Notice($"Upload of {blob.Digest} to {Registry}/{repository} was interrupted ({RegistryText.Clean(e.Message)}); restarting in {delay.TotalSeconds:0.#} s (attempt {retry.Attempts + 1}).")).ConfigureAwait(false))
                {
                    throw e.Final ?? new ContainerTasksException(ErrorCodes.RegistryError,
                        $"Uploading {blob.Digest} to {Registry}/{repository} kept failing ({e.Message}) until the retry budget ran out. Check the network and the registry, then try again.");
                }
            }
        }
    }

    private async Task UploadOnceAsync(string repository, Descriptor blob, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        Uri location;
        long minimumChunk;
        using (HttpResponseMessage start = await SendAsync(new Request(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/", repository, "starting an upload")
        {
            Scopes = [PullPush(repository)],
            Content = _ => Task.FromResult<HttpContent>(new ByteArrayContent([])),
            ContentLength = 0,
            // A registry that closes the connection for a missing repository (ECR): one quick retry, not minutes of them.
            MaxAttempts = Quirks.ResetMeansMissingRepository && !_uploadsStarted.ContainsKey(repository) ? 2 : RetryPolicy.DefaultMaxAttempts,
        }, cancellationToken).ConfigureAwait(false))
        {
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
            location = Resolve(start.RequestMessage!.RequestUri!, start.Headers.Location);
            minimumChunk = start.Headers.TryGetValues("OCI-Chunk-Min-Length", out var min) && long.TryParse(min.FirstOrDefault(), out long m) ? m : 0;
        }

        bool chunked = _transport.Settings.ForceChunkedUpload || Quirks.RequiresChunkedUpload;
        if (!chunked)
        {
            await PutContentAsync(repository, blob, location, open, cancellationToken).ConfigureAwait(false);
            return;
        }
        long chunkSize = Math.Max(Math.Max(_transport.Settings.ChunkSize, minimumChunk), Quirks.MinimumChunkSize);
        await using Stream content = await open(cancellationToken).ConfigureAwait(false);
        long offset = 0;
        while (offset < blob.Size)
        {
            long length = Math.Min(chunkSize, blob.Size - offset);
            long start = offset;
            using HttpResponseMessage patch = await SendUploadAsync(new Request(HttpMethod.Patch, location.ToString(), repository, "uploading a chunk")
            {
                Scopes = [PullPush(repository)],
                Content = _ =>
                {
                    HttpContent body = new StreamContent(new SubStream(content, start, length));
                    body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    body.Headers.ContentLength = length;
                    // The distribution spec's Content-Range is "start-end" without a unit, which HttpClient's parser rejects.
                    body.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + length - 1}");
                    return Task.FromResult(body);
                },
                ContentLength = length,
            }, cancellationToken).ConfigureAwait(false);
            if (patch.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.NoContent or HttpStatusCode.Created) || patch.Headers.Location is null)
            {
                await ThrowUploadFailureAsync(patch, repository, "PATCH", cancellationToken).ConfigureAwait(false);
            }
            location = Resolve(location, patch.Headers.Location!);
            offset += length;
        }
        using HttpResponseMessage done = await SendUploadAsync(new Request(HttpMethod.Put, WithDigest(location, blob.Digest).ToString(), repository, "finishing an upload")
        {
            Scopes = [PullPush(repository)],
            Content = _ => Task.FromResult<HttpContent>(new ByteArrayContent([])),
            ContentLength = 0,
        }, cancellationToken).ConfigureAwait(false);
        if (done.StatusCode != HttpStatusCode.Created)
        {
            await ThrowUploadFailureAsync(done, repository, "PUT", cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PutContentAsync(string repository, Descriptor blob, Uri location, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        Stream? content = null;
        try
        {
            using HttpResponseMessage put = await SendUploadAsync(new Request(HttpMethod.Put, WithDigest(location, blob.Digest).ToString(), repository, "uploading a blob")
            {
                Scopes = [PullPush(repository)],
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
        if (RetryPolicy.IsTransient(response.StatusCode) || response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // A lost or broken session (e.g. after a reset): start again.
            throw new TransientUploadException($"{step} answered {(int)response.StatusCode}", CloneForRetry(response),
                await RegistryErrors.FromResponseAsync(response, Registry, repository, $"{step} upload", Credential, cancellationToken).ConfigureAwait(false));
        }
        await EnsureSuccessAsync(response, repository, $"{step} upload", cancellationToken).ConfigureAwait(false);
        throw await RegistryErrors.FromResponseAsync(response, Registry, repository, $"{step} upload", Credential, cancellationToken).ConfigureAwait(false);
    }

    private static HttpResponseMessage CloneForRetry(HttpResponseMessage response)
    {
        var clone = new HttpResponseMessage(response.StatusCode);
        if (response.Headers.RetryAfter is { } retryAfter)
        {
            clone.Headers.RetryAfter = retryAfter;
        }
        return clone;
    }

    private async Task CancelUploadAsync(string repository, Uri location, CancellationToken cancellationToken)
    {
        try
        {
            using HttpResponseMessage _ = await SendAsync(new Request(HttpMethod.Delete, Resolve(new Uri($"{_transport.SchemeFor(ApiHost)}://{ApiHost}/"), location).ToString(), repository, "cancelling an upload")
            {
                Scopes = [PullPush(repository)],
                Retry = false,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ContainerTasksException)
        {
            // Best effort: registries expire abandoned sessions themselves.
        }
    }

    // Upload requests carry bodies that cannot be replayed after a partial send; failures restart the upload.
    private async Task<HttpResponseMessage> SendUploadAsync(Request request, CancellationToken cancellationToken)
    {
        try
        {
            return await SendAsync(request with { Retry = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (ContainerTasksException e) when (e.Code is ErrorCodes.RegistryUnreachable or ErrorCodes.RegistryTimeout)
        {
            throw new TransientUploadException(e.Message, null, e);
        }
    }

    /// <summary>A request as the client sends it; <see cref="Content"/> is created anew for each attempt.</summary>
    private sealed record Request(HttpMethod Method, string PathOrUri, string Repository, string Operation)
    {
        public IReadOnlyList<string> Accept { get; init; } = [];
        public IReadOnlyList<string> Scopes { get; init; } = [];
        public Func<CancellationToken, Task<HttpContent>>? Content { get; init; }
        public long ContentLength { get; init; }
        public bool StreamBody { get; init; }
        /// <summary>The most bytes of a body read into memory (<see cref="StreamBody"/> off); a longer success answer is CT3020.</summary>
        public int BodyLimit { get; init; } = ResponseBody.SmallLimit;
        public bool Retry { get; init; } = true;
        public int MaxAttempts { get; init; } = RetryPolicy.DefaultMaxAttempts;
        public bool TolerateUnauthorized { get; init; }
    }

    private async Task<HttpResponseMessage> SendAsync(Request spec, CancellationToken cancellationToken)
    {
        var retry = new RetryPolicy(_transport.Settings, spec.MaxAttempts, spec.ContentLength);
        int authRounds = 0;
        int redirects = 0;
        bool fellBack = false;
        Uri? redirectTarget = null;
        HttpMethod method = spec.Method;
        while (true)
        {
            Uri uri = redirectTarget ?? BuildUri(spec.PathOrUri);
            // Credentials go only to the registry itself (same host and port), and never down to plain HTTP
            // unless the registry is an insecure one that speaks only HTTP.
            bool toRegistry = IsRegistry(uri) && (uri.Scheme == Uri.UriSchemeHttps || _transport.SchemeFor(ApiHost) == "http");
            using var request = new HttpRequestMessage(method, uri);
            foreach (string accept in spec.Accept)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
            }
            if (spec.Content is not null && method != HttpMethod.Get && method != HttpMethod.Head)
            {
                request.Content = await spec.Content(cancellationToken).ConfigureAwait(false);
            }
            AuthenticationHeaderValue? auth = toRegistry ? await _auth.GetHeaderAsync(spec.Scopes, cancellationToken).ConfigureAwait(false) : null;
            request.Headers.Authorization = auth;

            bool heard = _transport.HasAnswered(uri.Authority);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(retry.AttemptTimeout(heard));
            HttpResponseMessage response;
            try
            {
                response = await ReceiveAsync(request, spec, uri, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not ContainerTasksException && CodedCause(e) is { } coded)
            {
                // Our own content stream failed (e.g. a blob that does not match its digest): not a network problem to retry.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(coded).Throw();
                throw;
            }
            catch (HttpRequestException e) when (IsTlsFailure(e))
            {
                if (uri.Scheme == "https" && IsRegistry(uri) && redirectTarget is null && !fellBack && _transport.Settings.IsInsecure(Registry))
                {
                    fellBack = true;
                    _log?.Invoke($"{Registry} does not speak TLS; using plain HTTP (it is an insecure registry).");
                    _transport.FallBackToHttp(ApiHost);
                    continue;
                }
                throw TlsError(uri, spec.Operation, e);
            }
            catch (Exception e) when ((e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                && uri.Scheme == "http" && IsRegistry(uri) && redirectTarget is null
                && (_transport.ForgetRememberedHttp(ApiHost) || _transport.SchemeFor(ApiHost) == "https"))
            {
                _log?.Invoke($"{Registry} no longer answers plain HTTP ({Innermost(e)}); trying HTTPS again.");
                continue;
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                await RetryOrThrowAsync(e, spec, uri, retry, heard, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (uri.Scheme == "http" && IsRegistry(uri) && redirectTarget is null)
            {
                // A HEAD answer has no body to tell; a registry's own 400s come with a JSON error body.
                if (response.StatusCode == HttpStatusCode.BadRequest && (method == HttpMethod.Head || await IsTlsServerAnswerAsync(response, cancellationToken).ConfigureAwait(false))
                    && (_transport.ForgetRememberedHttp(ApiHost) || _transport.SchemeFor(ApiHost) == "https"))
                {
                    _log?.Invoke($"{Registry} answered plain HTTP as a TLS server does; trying HTTPS again.");
                    response.Dispose();
                    continue;
                }
                if (response.IsSuccessStatusCode || response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.NotFound)
                {
                    _transport.ConfirmHttp(ApiHost);
                }
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized && toRegistry && authRounds < 2)
            {
                authRounds++;
                bool again;
                try
                {
                    again = await _auth.HandleChallengeAsync(response, spec.Scopes, forceRefresh: auth is not null, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    response.Dispose();
                    throw;
                }
                if (again)
                {
                    response.Dispose();
                    continue;
                }
            }
            if (response.StatusCode is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
                    or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect
                && response.Headers.Location is { } next && redirects < MaxRedirects)
            {
                redirects++;
                redirectTarget = Resolve(uri, next);
                if (response.StatusCode == HttpStatusCode.SeeOther)
                {
                    method = HttpMethod.Get;
                }
                response.Dispose();
                continue;
            }
            if (spec.Retry && RetryPolicy.IsTransient(response.StatusCode)
                && await retry.WaitAsync(response, cancellationToken, announce: delay => Retrying(spec, $"{(int)response.StatusCode} {RegistryText.Clean(response.ReasonPhrase)}", delay, retry)).ConfigureAwait(false))
            {
                response.Dispose();
                redirectTarget = null;
                continue;
            }
            return response;
        }
    }

    // Headers within the attempt's timeout; a body kept in memory within it too, and only up to its limit.
    private async Task<HttpResponseMessage> ReceiveAsync(HttpRequestMessage request, Request spec, Uri uri, CancellationToken timeout)
    {
        HttpResponseMessage response = await _transport.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout).ConfigureAwait(false);
        _transport.MarkAnswered(uri.Authority);
        try
        {
            if (!spec.StreamBody && request.Method != HttpMethod.Head
                && !await ResponseBody.BufferAsync(response, spec.BodyLimit, timeout).ConfigureAwait(false) && response.IsSuccessStatusCode)
            {
                throw new ContainerTasksException(ErrorCodes.RegistryResponseTooLarge,
                    $"{uri.Authority} answered with more than {ResponseBody.Describe(spec.BodyLimit)} while {spec.Operation} ({uri.AbsolutePath}); no registry answer of that kind is so large, so it was not read. Check that {Registry} is the registry you mean, and any proxy in between.");
            }
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    // A request that got no HTTP answer: one retry classification for every operation (see RetryPolicy), each retry shown.
    private async Task RetryOrThrowAsync(Exception e, Request spec, Uri uri, RetryPolicy retry, bool heard, CancellationToken cancellationToken)
    {
        if (ProxyLoginError(e, uri) is { } proxyLogin)
        {
            throw proxyLogin;
        }
        NetworkFailure failure = NetworkFailure.From(e, uri, e is OperationCanceledException ? retry.LastAttemptTimeout : null);
        if (spec.Retry && await retry.WaitAsync(null, cancellationToken, heard, delay => Retrying(spec, failure.Cause, delay, retry)).ConfigureAwait(false))
        {
            return;
        }
        string tries = $"{retry.Attempts} attempt{(retry.Attempts == 1 ? "" : "s")} in {retry.Elapsed.TotalSeconds:0} s";
        throw failure.TimedOut
            ? new ContainerTasksException(ErrorCodes.RegistryTimeout, $"{Registry} did not answer while {spec.Operation} ({uri.AbsolutePath}): {failure.Cause} ({tries}). {failure.Fix}", e)
            : new ContainerTasksException(ErrorCodes.RegistryUnreachable, $"{Registry} cannot be reached while {spec.Operation}: {failure.Cause} ({tries}). {failure.Fix}", e);
    }

    /// <summary>Shows a line at normal verbosity (a retry a user is waiting for).</summary>
    internal void Notice(string line) => _notice?.Invoke(line);

    private void Retrying(Request spec, string cause, TimeSpan delay, RetryPolicy retry)
        => _notice?.Invoke($"{spec.Operation} on {Registry}: {cause}; retrying in {delay.TotalSeconds:0.#} s (attempt {retry.Attempts + 1}).");

    // "Client sent an HTTP request to an HTTPS server." (Go), "The plain HTTP request was sent to HTTPS port" (nginx).
    private static async Task<bool> IsTlsServerAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await response.Content.LoadIntoBufferAsync().ConfigureAwait(false);   // the error path may read it again
            string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return body.Contains("HTTPS", StringComparison.OrdinalIgnoreCase) && !body.Contains("\"errors\"", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return false;
        }
    }

    private static ContainerTasksException? CodedCause(Exception e)
    {
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is ContainerTasksException coded)
            {
                return coded;
            }
        }
        return null;
    }

    private bool IsRegistry(Uri uri)
    {
        string host = RegistrySettings.HostOf(ApiHost).Trim('[', ']');
        int colon = ApiHost.LastIndexOf(':');
        int? port = colon > 0 && !ApiHost.EndsWith(']') && int.TryParse(ApiHost[(colon + 1)..], out int p) ? p : null;
        return uri.IdnHost.Trim('[', ']').Equals(host, StringComparison.OrdinalIgnoreCase) && (port is null ? uri.IsDefaultPort : uri.Port == port);
    }

    private Uri BuildUri(string pathOrUri)
        => Uri.TryCreate(pathOrUri, UriKind.Absolute, out Uri? absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal)
            ? Rescheme(absolute)
            : new Uri($"{_transport.SchemeFor(ApiHost)}://{ApiHost}{pathOrUri}");

    // An upload Location from before an HTTPS-to-HTTP fallback keeps its host but follows the new scheme.
    private Uri Rescheme(Uri uri)
        => IsRegistry(uri) && uri.Scheme != _transport.SchemeFor(ApiHost)
            ? new UriBuilder(uri) { Scheme = _transport.SchemeFor(ApiHost), Port = uri.Port }.Uri
            : uri;

    private static Uri Resolve(Uri baseUri, Uri location) => location.IsAbsoluteUri ? location : new Uri(baseUri, location);

    private static Uri WithDigest(Uri location, Digest digest)
    {
        string separator = string.IsNullOrEmpty(location.Query) ? "?" : "&";
        return new Uri(location + separator + "digest=" + Uri.EscapeDataString(digest.ToString()));
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string repository, string operation, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await RegistryErrors.FromResponseAsync(response, Registry, repository, operation, Credential, cancellationToken).ConfigureAwait(false);
        }
    }

    // A proxy that wants (other) credentials answers the same way every time: CT3013 at once, not retries.
    private static ContainerTasksException? ProxyLoginError(Exception e, Uri uri)
    {
        // A CONNECT refused with 407 comes back as a proxy-tunnel error whose message quotes the status ('407'); nothing
        // else is taken for it (a port 40712 or a host reg407 in another error must not read as a proxy login).
        if (e is HttpRequestException { StatusCode: HttpStatusCode.ProxyAuthenticationRequired }
            || (e is HttpRequestException { HttpRequestError: HttpRequestError.ProxyTunnelError } && e.Message.Contains("'407'", StringComparison.Ordinal)))
        {
            return new ContainerTasksException(ErrorCodes.ProxyError,
                $"The HTTP proxy refused the connection to {uri.Authority} with 407 (proxy authentication required). Put the proxy user and password in the proxy URL: HTTPS_PROXY=http://user:password@proxy:port.", e);
        }
        // .NET's SocksException is internal; its messages about the login all speak of authentication.
        bool socksLogin = e is HttpRequestException { HttpRequestError: HttpRequestError.ProxyTunnelError, InnerException: { } inner }
            && inner.GetType().Name == "SocksException" && inner.Message.Contains("auth", StringComparison.OrdinalIgnoreCase);
        return socksLogin
            ? new ContainerTasksException(ErrorCodes.ProxyError,
                $"The SOCKS proxy refused the login for the connection to {uri.Authority} ({Secrets.Scrub(e.InnerException!.Message)}). Put the proxy user and password in the proxy URL: ALL_PROXY=socks5://user:password@proxy:port.", e)
            : null;
    }

    // The reason the certificate was refused, when the transport saw one, chooses the fix; else the handshake's own error.
    private ContainerTasksException TlsError(Uri uri, string operation, HttpRequestException e)
        => new(ErrorCodes.RegistryCertificate, _transport.RefusalFor(uri.Host) is { } problem
            ? $"The TLS certificate of {uri.Authority} was refused while {operation}: {problem.Reason}. {problem.Fix(uri.Authority)}"
            : $"The TLS connection to {uri.Authority} failed while {operation}: {Innermost(e)}. If the registry uses a private CA, put it in /etc/docker/certs.d/{uri.Authority}/ca.crt or in the bundle SSL_CERT_FILE names; for a test registry, list it in DOTNET_CONTAINER_INSECURE_REGISTRIES.", e);

    private static bool IsTlsFailure(HttpRequestException e)
        => e.HttpRequestError == HttpRequestError.SecureConnectionError || e.InnerException is System.Security.Authentication.AuthenticationException;

    private static string Innermost(Exception e) => NetworkFailure.Describe(e);

    internal static string Pull(string repository) => $"repository:{repository}:pull";

    internal static string PullPush(string repository) => $"repository:{repository}:pull,push";

    private sealed class TransientUploadException(string message, HttpResponseMessage? response, ContainerTasksException? final) : Exception(message)
    {
        public HttpResponseMessage? Response { get; } = response;

        public ContainerTasksException? Final { get; } = final;
    }
}
