using System.Net;
using System.Net.Http.Headers;
using ContainerTasks.Model;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Registry.Http;

namespace ContainerTasks.Registry;

/// <summary>
/// The OCI distribution API of one registry: manifests and blobs, with authentication, retries of
/// transient failures (connection errors, timeouts, 408, 429, 5xx), redirects that never carry
/// credentials to another host, and the HTTPS-then-HTTP fallback of insecure registries.
/// </summary>
internal sealed class RegistryClient
{
    /// <summary>What a manifest request accepts: every manifest and index type of OCI and Docker.</summary>
    public static readonly string[] ManifestAccept =
    [
        MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest,
        MediaTypes.DockerSchema1SignedManifest, MediaTypes.DockerSchema1Manifest,
    ];

    private readonly RegistryTransport _transport;
    private readonly RegistryAuthenticator _auth;
    private readonly Action<string>? _notice;
    private readonly Action<string>? _log;
    private readonly RegistryEndpoint _endpoint;
    private readonly RequestSender _sender;
    private readonly BlobUploader _uploader;

    /// <summary>Creates a client for <paramref name="registry"/> (as in references: <c>docker.io</c>, <c>host:port</c>).</summary>
    /// <param name="registry">The registry name.</param>
    /// <param name="transport">The build's shared transport.</param>
    /// <param name="credential">The credentials, if any.</param>
    /// <param name="log">Details (diagnostic verbosity).</param>
    /// <param name="notice">What a user waiting should see (normal verbosity): retries and their cause. Default: <paramref name="log"/>.</param>
    public RegistryClient(string registry, RegistryTransport transport, RegistryCredential? credential, Action<string>? log = null, Action<string>? notice = null)
    {
        _notice = notice ?? log;
        _log = log;
        Registry = registry;
        ApiHost = DockerHub.ApiHostOf(registry);
        _transport = transport;
        _auth = new RegistryAuthenticator(registry, credential, transport, _notice);
        Quirks = RegistryQuirks.For(ApiHost);
        _endpoint = new RegistryEndpoint(registry, ApiHost, transport);
        _sender = new RequestSender(_endpoint, transport, _auth, log, _notice);
        _uploader = new BlobUploader(_sender, _endpoint, transport.Settings, Quirks, credential, _notice);
    }

    /// <summary>The registry name.</summary>
    public string Registry { get; }

    /// <summary>The host that serves its API.</summary>
    public string ApiHost { get; }

    /// <summary>The registry's known deviations from the distribution spec.</summary>
    public RegistryQuirks Quirks { get; }

    /// <summary>How many blob requests may run at once against this registry (one where it needs sequential uploads).</summary>
    public int ParallelBlobRequests => Quirks.SequentialUploads ? 1 : Math.Max(1, Transport.Settings.ParallelUploads);

    internal RegistryTransport Transport => _transport;

    internal RegistryCredential? Credential => _auth.Credential;

    /// <summary>A manifest's digest, media type and size from a <c>HEAD</c> (which registries do not count as a pull); null when absent.</summary>
    public async Task<Descriptor?> HeadManifestAsync(string repository, string reference, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await SendAsync(new RegistryRequest(HttpMethod.Head, $"/v2/{repository}/manifests/{reference}", repository, "checking the manifest")
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
        using HttpResponseMessage response = await SendAsync(new RegistryRequest(HttpMethod.Get, $"/v2/{repository}/manifests/{reference}", repository, "reading the manifest")
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

    /// <summary>
    /// Puts a manifest under a tag or digest. With <paramref name="ifMatch"/> (an ETag), a registry that honours it
    /// answers 412 when the content changed meanwhile: the result then says so and nothing was written.
    /// </summary>
    public async Task<ManifestPutResult> PutManifestAsync(string repository, string reference, byte[] manifest, string mediaType, CancellationToken cancellationToken = default,
        string? ifMatch = null)
    {
        using HttpResponseMessage response = await SendAsync(new RegistryRequest(HttpMethod.Put, $"/v2/{repository}/manifests/{reference}", repository, "pushing the manifest")
        {
            Scopes = [PullPush(repository)],
            Content = _ => Task.FromResult<HttpContent>(new ByteArrayContent(manifest) { Headers = { ContentType = new MediaTypeHeaderValue(mediaType) } }),
            ContentLength = manifest.Length,
            IfMatch = ifMatch,
        }, cancellationToken).ConfigureAwait(false);
        if (ifMatch is not null && response.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            return new ManifestPutResult(null, null) { PreconditionFailed = true };
        }
        await EnsureSuccessAsync(response, repository, $"PUT manifest {reference}", cancellationToken).ConfigureAwait(false);
        Digest? digest = Digest.TryParse(Header(response, "Docker-Content-Digest"), out Digest d) ? d : null;
        return new ManifestPutResult(digest, Header(response, "OCI-Subject"));
    }

    /// <summary>A manifest or index by tag or digest with its ETag; null when absent (404). A digest reference is verified.</summary>
    public async Task<FetchedManifest?> TryGetManifestAsync(string repository, string reference, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await SendAsync(new RegistryRequest(HttpMethod.Get, $"/v2/{repository}/manifests/{reference}", repository, "reading the manifest")
        {
            Accept = ManifestAccept,
            Scopes = [Pull(repository)],
            BodyLimit = ResponseBody.ManifestLimit,
        }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        await EnsureSuccessAsync(response, repository, $"GET manifest {reference}", cancellationToken).ConfigureAwait(false);
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (Digest.TryParse(reference, out Digest expected) && !expected.IsDigestOf(bytes))
        {
            throw new ContainerTasksException(ErrorCodes.RegistryDigestMismatch,
                $"{Registry}/{repository}@{reference} served a manifest that does not match its digest. The registry or a proxy in between altered it.");
        }
        return new FetchedManifest(bytes, response.Content.Headers.ContentType?.MediaType, response.Headers.ETag?.ToString() ?? Header(response, "ETag"));
    }

    /// <summary>
    /// The referrers API (<c>GET /v2/NAME/referrers/DIGEST</c>): one page of the list and the address of the next
    /// (its <c>Link</c> header, rel="next"), or null when the registry has no such API (404). <paramref name="artifactType"/>
    /// asks the registry to filter; it may not. <paramref name="page"/> is a next page's address from an earlier answer.
    /// </summary>
    public async Task<ReferrersPage?> TryGetReferrersAsync(string repository, Digest subject, string? artifactType, CancellationToken cancellationToken = default,
        string? page = null)
    {
        string query = artifactType is null ? "" : $"?artifactType={Uri.EscapeDataString(artifactType)}";
        using HttpResponseMessage response = await SendAsync(new RegistryRequest(HttpMethod.Get, page ?? $"/v2/{repository}/referrers/{subject}{query}", repository, "listing the referrers")
        {
            Accept = [MediaTypes.OciIndex],
            Scopes = [Pull(repository)],
            BodyLimit = ResponseBody.ManifestLimit,
        }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.BadRequest)
        {
            return null;
        }
        await EnsureSuccessAsync(response, repository, $"GET referrers {subject}", cancellationToken).ConfigureAwait(false);
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return new ReferrersPage(bytes, NextPage(response));
    }

    // Link: </v2/app/referrers/sha256:…?n=10&last=…>; rel="next"
    private static string? NextPage(HttpResponseMessage response)
    {
        string? link = response.Headers.TryGetValues("Link", out var values) ? values.FirstOrDefault(v => v.Contains("rel=\"next\"", StringComparison.Ordinal)) : null;
        int open = link?.IndexOf('<') ?? -1;
        int close = link?.IndexOf('>') ?? -1;
        return open >= 0 && close > open ? link![(open + 1)..close] : null;
    }

    private static string? Header(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    /// <summary>True when the repository has the blob.</summary>
    public async Task<bool> BlobExistsAsync(string repository, Digest digest, bool forPush, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await SendAsync(new RegistryRequest(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}", repository, "checking a blob")
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
        HttpResponseMessage response = await SendAsync(new RegistryRequest(HttpMethod.Get, $"/v2/{repository}/blobs/{digest}", repository, "downloading a blob")
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
        using HttpResponseMessage response = await SendAsync(new RegistryRequest(HttpMethod.Post,
            $"/v2/{repository}/blobs/uploads/?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(fromRepository)}", repository, "mounting a blob")
        {
            Scopes = [PullPush(repository), Pull(fromRepository)],
            Content = _ => Task.FromResult<HttpContent>(new ByteArrayContent([])),
            ContentLength = 0,
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
    /// Uploads a blob: a session (POST), then the content in one PUT, or in PATCH chunks when forced or
    /// required by the registry. A failed upload is restarted within the retry budget.
    /// </summary>
    public Task UploadBlobAsync(string repository, Descriptor blob, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken = default)
        => _uploader.UploadAsync(repository, blob, open, cancellationToken);

    /// <summary>
    /// Uploads a blob whose bytes arrive while it is sent: a session, one PATCH of unknown length, then a PUT with the
    /// digest <paramref name="finished"/> gives. Nothing is retried (the body cannot be replayed); a failure throws.
    /// </summary>
    internal Task StreamBlobAsync(string repository, StreamedBody body, Task<Descriptor> finished, CancellationToken cancellationToken)
        => _uploader.StreamAsync(repository, body, finished, cancellationToken);

    private async Task CancelUploadAsync(string repository, Uri location, CancellationToken cancellationToken)
    {
        try
        {
            using HttpResponseMessage _ = await SendAsync(new RegistryRequest(HttpMethod.Delete, _endpoint.Resolve(location).ToString(), repository, "cancelling an upload")
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

    private Task<HttpResponseMessage> SendAsync(RegistryRequest request, CancellationToken cancellationToken) => _sender.SendAsync(request, cancellationToken);

    /// <summary>Logs a line at detail (diagnostic) verbosity.</summary>
    internal void Detail(string line) => _log?.Invoke(line);

    /// <summary>Shows a line at normal verbosity (a retry a user is waiting for).</summary>
    internal void Notice(string line) => _notice?.Invoke(line);

    private Task EnsureSuccessAsync(HttpResponseMessage response, string repository, string operation, CancellationToken cancellationToken)
        => RegistryErrors.EnsureSuccessAsync(response, Registry, repository, operation, Credential, cancellationToken);

    internal static string Pull(string repository) => $"repository:{repository}:pull";

    internal static string PullPush(string repository) => $"repository:{repository}:pull,push";
}
