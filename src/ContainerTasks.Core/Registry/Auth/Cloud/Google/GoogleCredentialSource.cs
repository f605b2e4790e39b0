namespace ContainerTasks.Registry.Auth.Cloud.Google;

/// <summary>
/// Credentials for Google Artifact Registry (<c>LOCATION-docker.pkg.dev</c>) and Container Registry (<c>gcr.io</c>,
/// <c>*.gcr.io</c>) from Application Default Credentials: an OAuth2 access token sent as the password of the user
/// <c>oauth2accesstoken</c>. Those registries challenge with <c>Bearer realm="https://HOST/v2/token"</c>, and the
/// authenticator sends that user and password as Basic credentials to the realm, as <c>docker login</c> with
/// <c>docker-credential-gcr</c> does. The token's expiry is Google's (<c>expires_in</c>, usually an hour).
/// </summary>
internal sealed class GoogleCredentialSource : ICredentialSource
{
    /// <summary>The user name Google's registries take with an access token as password.</summary>
    public const string AccessTokenUser = "oauth2accesstoken";

    /// <summary>The implementation in <c>ContainerTasks.Cloud</c>.</summary>
    public const string IdentityTypeName = "ContainerTasks.Cloud.Google.GoogleIdentity";

    private readonly CloudRegistryHost _host;
    private readonly CloudContext _context;
    private readonly Func<IGoogleIdentity> _load;
    private IGoogleIdentity? _identity;
    private string? _identityName;

    /// <param name="host">The registry.</param>
    /// <param name="context">The build's environment and logs.</param>
    /// <param name="load">Makes the identity (tests: a fake; else loads <c>ContainerTasks.Cloud</c>).</param>
    public GoogleCredentialSource(CloudRegistryHost host, CloudContext context, Func<IGoogleIdentity>? load = null)
    {
        _host = host;
        _context = context;
        _load = load ?? (() => CloudLibraries.Create<IGoogleIdentity>(IdentityTypeName, context.Log));
    }

    /// <summary>The source for <paramref name="host"/>.</summary>
    public static ICredentialSource Create(CloudRegistryHost host, CloudContext context) => new GoogleCredentialSource(host, context);

    /// <inheritdoc/>
    public string Description => _identityName is { } name
        ? $"Google {name}"
        : $"Google Application Default Credentials for {_host.Host}";

    /// <inheritdoc/>
    public async Task<RegistryCredential> ObtainAsync(CancellationToken cancellationToken)
    {
        _identity ??= _load();
        GoogleAccessToken token;
        try
        {
            token = await _identity.GetTokenAsync(_context.Environment, cancellationToken).ConfigureAwait(false);
        }
        catch (ContainerTasksException e) when (e.Code is ErrorCodes.CloudIdentityNotFound or ErrorCodes.CloudTokenServiceError)
        {
            throw new ContainerTasksException(e.Code, $"Credentials for {_host.Host}: {e.Message}", e.InnerException);
        }
        bool first = _identityName is null;
        _identityName = token.Identity;
        if (first)
        {
            _context.Notice?.Invoke($"Credentials for {_host.Host}: {Description}, an access token as user '{AccessTokenUser}'.");
        }
        _context.Log?.Invoke($"Google access token for {_host.Host} obtained, valid until {token.ExpiresAt:u}.");
        return RegistryCredential.FromUserPassword(AccessTokenUser, token.AccessToken, Description).ExpiringAt(token.ExpiresAt);
    }
}
