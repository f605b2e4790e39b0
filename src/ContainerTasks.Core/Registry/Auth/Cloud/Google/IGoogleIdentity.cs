namespace ContainerTasks.Registry.Auth.Cloud.Google;

/// <summary>
/// Google's Application Default Credentials, as <c>ContainerTasks.Cloud</c> finds them with Google.Apis.Auth (loaded by
/// <see cref="CloudLibraries"/>; only BCL and core types cross this boundary).
/// </summary>
internal interface IGoogleIdentity
{
    /// <summary>
    /// An access token for the scope <c>https://www.googleapis.com/auth/cloud-platform</c> from the first identity found in
    /// <paramref name="environment"/>. Failures are <see cref="ContainerTasksException"/>s: CT3021 when no identity is found,
    /// CT3022 when Google's token service (or the metadata server) refuses, fails or cannot be reached.
    /// </summary>
    Task<GoogleAccessToken> GetTokenAsync(IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken);
}

/// <summary>An OAuth2 access token of a Google identity. Its text names the identity, never the token.</summary>
internal sealed class GoogleAccessToken
{
    /// <param name="accessToken">The token (a secret).</param>
    /// <param name="expiresAt">When Google says it expires.</param>
    /// <param name="identity">Which identity it is and where it was found, e.g. <c>service account ci@p.iam.gserviceaccount.com (key file from GOOGLE_APPLICATION_CREDENTIALS)</c>.</param>
    public GoogleAccessToken(string accessToken, DateTimeOffset expiresAt, string identity)
    {
        AccessToken = accessToken;
        ExpiresAt = expiresAt;
        Identity = identity;
    }

    /// <summary>The token (a secret: never log it).</summary>
    public string AccessToken { get; }

    /// <summary>When the token expires.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>Which identity the token is of, without secrets.</summary>
    public string Identity { get; }

    /// <inheritdoc/>
    public override string ToString() => $"Google access token of {Identity}, expiring {ExpiresAt:u}";
}
