using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ContainerTasks.Registry.Auth.Cloud;
using ContainerTasks.Registry.Http;

namespace ContainerTasks.Registry.Auth;

/// <summary>
/// Answers a registry's <c>WWW-Authenticate</c> challenges for one registry: Basic with the credentials,
/// or Bearer tokens from the challenge's realm — anonymous when there are no credentials, with Basic
/// credentials on a GET, or by exchanging an identity token (<c>POST grant_type=refresh_token</c>).
/// Tokens are cached per realm, service and scopes until shortly before they expire. Once a registry
/// has challenged, later requests get a token up front instead of a 401 round trip.
/// </summary>
internal sealed class RegistryAuthenticator
{
    private readonly string _registry;
    private readonly RegistryCredential? _given;
    private readonly CredentialRenewal? _renewal;
    private readonly RegistryTransport _transport;
    private readonly Dictionary<string, (string Token, DateTimeOffset Expires)> _tokens = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Action<string>? _notice;
    private AuthChallenge? _challenge;

    /// <param name="registry">The registry name, for messages.</param>
    /// <param name="credential">The credentials, if any; one with a <see cref="RegistryCredential.Renewal"/> is obtained when first needed.</param>
    /// <param name="transport">The build's shared transport.</param>
    /// <param name="notice">Where retries of token requests are shown (normal verbosity).</param>
    public RegistryAuthenticator(string registry, RegistryCredential? credential, RegistryTransport transport, Action<string>? notice = null)
    {
        _registry = registry;
        _given = credential;
        _renewal = credential?.Renewal is { } source ? CredentialRenewal.For(source) : null;
        _transport = transport;
        _notice = notice;
    }

    /// <summary>The credentials as given (for messages: a renewable one describes its identity).</summary>
    public RegistryCredential? Credential => _given;

    /// <summary>
    /// The Authorization header for a request needing <paramref name="scopes"/>, when a challenge is known, and the credential
    /// it was made from (given back to <see cref="HandleChallengeAsync"/> or <see cref="RenewDeniedAsync"/> if it is refused).
    /// </summary>
    public async Task<(AuthenticationHeaderValue? Header, RegistryCredential? Credential)> GetHeaderAsync(IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        AuthChallenge? challenge = _challenge;
        if (challenge is null)
        {
            return (null, null);
        }
        RegistryCredential? credential = await CurrentAsync(cancellationToken).ConfigureAwait(false);
        if (challenge.IsBasic)
        {
            return (BasicHeader(credential), credential);
        }
        if (credential?.BearerToken is { } bearer)
        {
            return (new AuthenticationHeaderValue("Bearer", bearer), credential);
        }
        string token = await GetTokenAsync(challenge, credential, scopes, forceRefresh: false, cancellationToken).ConfigureAwait(false);
        return (new AuthenticationHeaderValue("Bearer", token), credential);
    }

    /// <summary>
    /// Learns from a 401 response; returns true when the request should be sent again with a new header.
    /// <paramref name="forceRefresh"/> drops a cached token that the registry has just refused; a refused renewable
    /// credential sent as it is (Basic, bearer) — <paramref name="refused"/>, the one the header was made from — is obtained
    /// again, unless another request already did.
    /// </summary>
    public async Task<bool> HandleChallengeAsync(HttpResponseMessage response, IReadOnlyList<string> scopes, RegistryCredential? refused, bool forceRefresh, CancellationToken cancellationToken)
    {
        AuthChallenge? challenge = AuthChallenge.FromResponse(response)
            .OrderByDescending(c => c.IsBearer)
            .FirstOrDefault(c => c.IsBearer || c.IsBasic);
        if (challenge is null)
        {
            return false;
        }
        _challenge = challenge;
        RegistryCredential? credential = await CurrentAsync(cancellationToken).ConfigureAwait(false);
        bool sentAsIs = challenge.IsBasic || credential?.BearerToken is not null;
        bool renewed = forceRefresh && sentAsIs && _renewal is not null;
        if (renewed)
        {
            credential = await _renewal!.RenewAsync(refused ?? credential, cancellationToken).ConfigureAwait(false);
        }
        if (challenge.IsBasic)
        {
            return credential is { Username: not null, Password: not null } && (!forceRefresh || renewed);
        }
        if (credential?.BearerToken is not null)
        {
            return !forceRefresh || renewed;
        }
        await GetTokenAsync(challenge, credential, scopes.Concat(challenge.Scopes).ToList(), forceRefresh, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// After a 403 to a request that carried a renewable credential as it is (Basic, or a bearer token): obtains it again and
    /// returns true, so the request goes once more. Amazon ECR answers a token that expired by its own clock (ours may lag)
    /// with 403 DENIED, not 401; a refusal for want of permission comes back the same and is then reported as such.
    /// </summary>
    public async Task<bool> RenewDeniedAsync(RegistryCredential? refused, CancellationToken cancellationToken)
    {
        if (_renewal is null || _challenge is null || refused is null)
        {
            return false;
        }
        if (!_challenge.IsBasic && refused.BearerToken is null)
        {
            return false;
        }
        await _renewal.RenewAsync(refused, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Why a cloud registry's requests are anonymous (no identity found, or one that gave no credential), once that is known.</summary>
    public ContainerTasksException? MissingIdentity => (_given?.Renewal as CloudIdentityGuard)?.Missing;

    // A cloud source that finds no identity, or one that gives no credential, leaves the registry anonymous: public images still pull.
    private async Task<RegistryCredential?> CurrentAsync(CancellationToken cancellationToken)
    {
        if (_renewal is null)
        {
            return _given;
        }
        try
        {
            return await _renewal.CurrentAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ContainerTasksException e) when (ReferenceEquals(e, MissingIdentity))
        {
            return null;
        }
    }

    private static AuthenticationHeaderValue? BasicHeader(RegistryCredential? credential)
        => credential is { Username: { } user, Password: { } password }
            ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")))
            : null;

    private async Task<string> GetTokenAsync(AuthChallenge challenge, RegistryCredential? credential, IReadOnlyList<string> scopes, bool forceRefresh, CancellationToken cancellationToken)
    {
        string realm = challenge.Realm ?? throw new ContainerTasksException(ErrorCodes.TokenServiceError,
            $"The registry {_registry} asked for a bearer token but named no realm (token service) in its challenge.");
        List<string> merged = MergeScopes(scopes);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Tokens are kept per credential: a renewed one never gets a token the former one was given.
            string key = $"{credential?.Serial}|{realm}|{challenge.Service}|{string.Join(' ', merged)}";
            if (!forceRefresh && _tokens.TryGetValue(key, out var cached) && cached.Expires > DateTimeOffset.UtcNow)
            {
                return cached.Token;
            }
            var (token, lifetime) = await RequestTokenWithRenewalAsync(realm, challenge.Service, credential, merged, cancellationToken).ConfigureAwait(false);
            // Renew a little early so a token does not expire in the middle of a request.
            TimeSpan margin = lifetime > TimeSpan.FromSeconds(20) ? TimeSpan.FromSeconds(10) : lifetime / 4;
            _tokens[key] = (token, DateTimeOffset.UtcNow + lifetime - margin);
            return token;
        }
        finally
        {
            _gate.Release();
        }
    }

    // A renewable credential the token service refuses (an expired refresh token) is obtained again, once.
    private async Task<(string Token, TimeSpan Lifetime)> RequestTokenWithRenewalAsync(string realm, string? service, RegistryCredential? credential, List<string> scopes, CancellationToken cancellationToken)
    {
        try
        {
            return await RequestTokenAsync(realm, service, credential, scopes, cancellationToken).ConfigureAwait(false);
        }
        catch (ContainerTasksException e) when (e.Code == ErrorCodes.RegistryUnauthorized && _renewal is not null)
        {
            RegistryCredential renewed = await _renewal.RenewAsync(credential, cancellationToken).ConfigureAwait(false);
            return await RequestTokenAsync(realm, service, renewed, scopes, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(string Token, TimeSpan Lifetime)> RequestTokenAsync(string realm, string? service, RegistryCredential? credential, List<string> scopes, CancellationToken cancellationToken)
    {
        Uri realmUri = CheckRealm(realm, credential);
        using HttpResponseMessage response = await AskForTokenAsync(realmUri, service, credential, scopes, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden && credential is null && MissingIdentity is { } missing)
        {
            throw new ContainerTasksException(missing.Code, $"The registry {_registry} refused an anonymous token ({(int)response.StatusCode}): it needs a credential. {missing.Message}");
        }
        // A cloud identity the token service forbids is valid but lacks the right, or is kept out by the registry's network
        // rules (ACR answers 403 to a client outside its firewall): renewing it would not help.
        if (response.StatusCode == HttpStatusCode.Forbidden && credential is not null && _given?.Renewal is not null)
        {
            string said = await RegistryErrors.ReadErrorCodesAsync(response, cancellationToken).ConfigureAwait(false);
            throw new ContainerTasksException(ErrorCodes.RegistryDenied,
                $"The token service of {_registry} refused the identity ({credential}) with 403{(said.Length > 0 ? $" ({said})" : "")}: either the registry's network rules "
                + $"(firewall, private endpoint) keep this machine out, or the identity lacks permission; {RegistryErrors.CloudPermissionHint}.");
        }
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new ContainerTasksException(ErrorCodes.RegistryUnauthorized,
                credential is null
                    ? $"The token service of {_registry} refused an anonymous token ({(int)response.StatusCode}). The registry needs credentials: log in (docker login {_registry}) or set DOTNET_CONTAINER_REGISTRY_UNAME/PWORD."
                    : $"The token service of {_registry} refused the credentials ({credential}) with {(int)response.StatusCode}. Check the user name and password or token, or log in again.");
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new ContainerTasksException(ErrorCodes.TokenServiceError,
                $"The token service of {_registry} ({realmUri.GetLeftPart(UriPartial.Path)}) answered {(int)response.StatusCode} {RegistryText.Clean(response.ReasonPhrase)}.");
        }
        return ReadToken(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    // The realm as a URL that may be sent what we have: credentials never go to a plain HTTP realm unless it is insecure.
    private Uri CheckRealm(string realm, RegistryCredential? credential)
    {
        if (!Uri.TryCreate(realm, UriKind.Absolute, out Uri? realmUri) || (realmUri.Scheme != "https" && realmUri.Scheme != "http"))
        {
            throw new ContainerTasksException(ErrorCodes.TokenServiceError, $"The registry {_registry} named '{RegistryText.Clean(realm)}' as its token service, which is not an http(s) URL.");
        }
        bool sendsSecret = credential is not null;
        if (sendsSecret && _given?.Renewal is not null && !IsOwnRealm(realmUri))
        {
            throw new ContainerTasksException(ErrorCodes.InsecureCredentials,
                $"The registry {_registry} sends logins to {realmUri.GetLeftPart(UriPartial.Authority)}; a credential from the build's cloud identity ({credential}) goes only to the registry's own host over HTTPS, so it was not sent. Check that {_registry} is the cloud's registry (and any proxy in between).");
        }
        // The realm's own host decides, not the registry's: a loopback or insecure registry may name a token service anywhere.
        if (sendsSecret && realmUri.Scheme == "http" && !_transport.Settings.IsInsecure(realmUri.Authority) && !_transport.Settings.IsInsecure(realmUri.Host))
        {
            throw new ContainerTasksException(ErrorCodes.InsecureCredentials,
                $"The registry {_registry} sends logins to {realmUri.GetLeftPart(UriPartial.Authority)} over plain HTTP; credentials ({credential}) were not sent. "
                + $"If that is intended (a test token service), list {realmUri.Authority} in DOTNET_CONTAINER_INSECURE_REGISTRIES.");
        }
        return realmUri;
    }

    // A cloud's registries name themselves as their token service (ACR: /oauth2/token, Google: /v2/token); loopback is
    // trusted as everywhere else (a local proxy or test registry). Only the registry's own TLS answer can name one, and
    // what goes there is what the registry's host would be sent anyway.
    private bool IsOwnRealm(Uri realm)
        => HostAddress.IsLoopback(realm.Host)
            || (realm.Scheme == Uri.UriSchemeHttps && string.Equals(realm.Host, RegistrySettings.HostOf(_registry), StringComparison.OrdinalIgnoreCase));

    // An identity token is exchanged by POST; else a GET with Basic credentials, or the password grant for OAuth2-only services.
    private async Task<HttpResponseMessage> AskForTokenAsync(Uri realmUri, string? service, RegistryCredential? credential, List<string> scopes, CancellationToken cancellationToken)
    {
        if (credential?.IdentityToken is { } identityToken)
        {
            return await PostFormAsync(realmUri, Grant("refresh_token", ("refresh_token", identityToken)), cancellationToken).ConfigureAwait(false);
        }
        var query = new StringBuilder();
        if (service is not null)
        {
            query.Append("service=").Append(Uri.EscapeDataString(service));
        }
        foreach (string scope in scopes)
        {
            query.Append(query.Length == 0 ? "" : "&").Append("scope=").Append(Uri.EscapeDataString(scope));
        }
        var builder = new UriBuilder(realmUri) { Query = (realmUri.Query.TrimStart('?') + (realmUri.Query.Length > 1 ? "&" : "") + query).TrimStart('&') };
        HttpResponseMessage response = await SendTokenRequestAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
            request.Headers.Authorization = BasicHeader(credential);
            return request;
        }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed && credential is { Username: { } u, Password: { } p })
        {
            // OAuth2-only token services: the password grant.
            response.Dispose();
            return await PostFormAsync(realmUri, Grant("password", ("username", u), ("password", p)), cancellationToken).ConfigureAwait(false);
        }
        return response;

        Dictionary<string, string> Grant(string type, params (string Name, string Value)[] secrets)
        {
            var form = new Dictionary<string, string> { ["grant_type"] = type };
            foreach (var (name, value) in secrets)
            {
                form[name] = value;
            }
            form["service"] = service ?? "";
            form["scope"] = string.Join(' ', scopes);
            form["client_id"] = "containertasks";
            return form;
        }
    }

    private (string Token, TimeSpan Lifetime) ReadToken(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            JsonElement root = json.RootElement;
            string? token = root.ValueKind != JsonValueKind.Object ? null
                : root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } tv ? tv
                : root.TryGetProperty("access_token", out var a) && a.ValueKind == JsonValueKind.String && a.GetString() is { Length: > 0 } av ? av : null;
            if (token is null)
            {
                throw new ContainerTasksException(ErrorCodes.TokenServiceError, $"The token service of {_registry} answered without a token.");
            }
            int seconds = root.TryGetProperty("expires_in", out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int s) && s > 0 ? s : 60;
            return (token, TimeSpan.FromSeconds(seconds));
        }
        catch (JsonException ex)
        {
            throw new ContainerTasksException(ErrorCodes.TokenServiceError, $"The token service of {_registry} answered with something that is not JSON.", ex);
        }
    }

    private Task<HttpResponseMessage> PostFormAsync(Uri realm, Dictionary<string, string> form, CancellationToken cancellationToken)
        => SendTokenRequestAsync(() => new HttpRequestMessage(HttpMethod.Post, realm) { Content = new FormUrlEncodedContent(form) }, cancellationToken);

    private Task<HttpResponseMessage> SendTokenRequestAsync(Func<HttpRequestMessage> create, CancellationToken cancellationToken)
        => new TokenServiceRequest(_transport, $"getting a token for {_registry}", $"the token service of {_registry}",
            "The registry names this token service in its login challenge: check the registry's status, and the network and proxy settings (HTTPS_PROXY, NO_PROXY).",
            _notice).SendAsync(create, cancellationToken);

    /// <summary>Merges scopes per resource: <c>repository:a:pull</c> + <c>repository:a:push</c> = <c>repository:a:pull,push</c>.</summary>
    internal static List<string> MergeScopes(IEnumerable<string> scopes)
    {
        var byResource = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (string scope in scopes)
        {
            int last = scope.LastIndexOf(':');
            if (last <= 0)
            {
                continue;
            }
            string resource = scope[..last];
            if (!byResource.TryGetValue(resource, out var actions))
            {
                byResource[resource] = actions = new SortedSet<string>(StringComparer.Ordinal);
            }
            foreach (string action in scope[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                actions.Add(action);
            }
        }
        return byResource.Select(p => $"{p.Key}:{string.Join(',', p.Value)}").ToList();
    }
}
