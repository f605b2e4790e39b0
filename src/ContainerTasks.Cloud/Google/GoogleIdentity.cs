using ContainerTasks.Registry.Auth.Cloud.Google;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;

namespace ContainerTasks.Cloud.Google;

/// <summary>
/// Access tokens of the build's Google identity (<see cref="ApplicationDefaultCredentials"/>), from Google.Apis.Auth: it
/// signs the service account's JWT assertion, exchanges a federated token at Google's STS, or asks the metadata server,
/// and keeps the token until shortly before it expires. Loaded by the core's <c>CloudLibraries</c>; one instance per
/// registry host, whose calls the core serializes.
/// </summary>
public sealed class GoogleIdentity : IGoogleIdentity
{
    private FoundCredential? _found;
    private string? _lastToken;

    /// <inheritdoc/>
    async Task<GoogleAccessToken> IGoogleIdentity.GetTokenAsync(IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        _found ??= await ApplicationDefaultCredentials.FindAsync(environment, cancellationToken).ConfigureAwait(false);
        ICredential credential = _found.Credential.UnderlyingCredential;
        string token;
        try
        {
            token = await FetchAsync(credential, cancellationToken).ConfigureAwait(false);
        }
        catch (TokenResponseException e)
        {
            throw Refused(_found, e.Error);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
                $"Google's token service cannot be reached for {_found.Identity}: {e.GetBaseException().Message}. Check the network and any proxy (HTTPS_PROXY, NO_PROXY) between the build and Google (oauth2.googleapis.com, sts.googleapis.com, or the metadata server).", e);
        }
        catch (Exception e) when (e is InvalidOperationException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            throw new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
                $"No Google access token could be obtained for {_found.Identity}: {e.Message}", e);
        }
        if (string.IsNullOrEmpty(token))
        {
            throw Refused(_found, new TokenErrorResponse { Error = "no access_token", ErrorDescription = "the answer had no token" });
        }
        return new GoogleAccessToken(token, Expiry(credential) ?? DateTimeOffset.UtcNow.AddMinutes(30), _found.Identity);
    }

    /// <summary>
    /// A token other than the last one given: the core asks again only when the last is about to expire or was refused,
    /// and the library would hand out its cached token until a few minutes before expiry, refused or not.
    /// The library's HttpClient honours HTTPS_PROXY/NO_PROXY and the trust store of the process itself.
    /// </summary>
    private async Task<string> FetchAsync(ICredential credential, CancellationToken cancellationToken)
    {
        string token = await credential.GetAccessTokenForRequestAsync(null, cancellationToken).ConfigureAwait(false);
        if (token == _lastToken)
        {
            token = credential switch
            {
                ServiceCredential service when await service.RequestAccessTokenAsync(cancellationToken).ConfigureAwait(false) => service.Token?.AccessToken ?? token,
                UserCredential user when await user.RefreshTokenAsync(cancellationToken).ConfigureAwait(false) => user.Token?.AccessToken ?? token,
                _ => token,
            };
        }
        _lastToken = token;
        return token;
    }

    /// <summary>When the library's current token expires, as Google said (<c>expires_in</c> after it was issued).</summary>
    private static DateTimeOffset? Expiry(ICredential credential)
    {
        TokenResponse? response = credential switch
        {
            ServiceCredential service => service.Token,
            UserCredential user => user.Token,
            _ => null,
        };
        return response?.ExpiresInSeconds is { } seconds
            ? new DateTimeOffset(DateTime.SpecifyKind(response.IssuedUtc, DateTimeKind.Utc)).AddSeconds(seconds)
            : null;
    }

    private static ContainerTasksException Refused(FoundCredential found, TokenErrorResponse? error)
    {
        string code = error?.Error ?? "error";
        string detail = error?.ErrorDescription is { Length: > 0 } description ? $" ({Shortened(description)})" : "";
        return new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
            $"Google's token service refused {found.Identity}: {code}{detail}. {RefusalHint(found.Type)}");
    }

    private static string RefusalHint(string type) => type switch
    {
        "service_account" => "Check that the service account exists and is enabled, and that this key was not deleted (IAM > Service accounts > Keys); create a new key if it was.",
        "external_account" => "Check the workload identity pool's provider: its issuer and allowed audiences must match this CI's OIDC token and its attribute condition must accept this pipeline; if the configuration impersonates a service account, the pool's principal needs the Workload Identity User role on it.",
        "metadata_server" => "Check that the VM, node pool or service has a service account attached and that its access scopes allow cloud-platform.",
        _ => "Run 'gcloud auth application-default login' again, or use a service account key or workload identity federation instead.",
    };

    private static string Shortened(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
