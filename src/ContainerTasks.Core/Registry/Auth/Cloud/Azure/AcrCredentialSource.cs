namespace ContainerTasks.Registry.Auth.Cloud.Azure;

/// <summary>
/// Credentials for an Azure Container Registry from the build's Microsoft Entra ID identity: an access token of the
/// registry's cloud (<see cref="AzureCloudEndpoints"/>) from the first identity source that has one
/// (<see cref="IAzureIdentity"/>: environment service principal, workload identity, Azure Pipelines, GitHub Actions,
/// managed identity, Azure CLI), exchanged at the registry (<see cref="AcrTokenExchange"/>) for an ACR refresh token.
/// The registry's authenticator uses that as an identity token and obtains a new one before it expires.
/// </summary>
internal sealed class AcrCredentialSource : ICredentialSource
{
    /// <summary>The type in <c>ContainerTasks.Cloud</c> that implements <see cref="IAzureIdentity"/>.</summary>
    public const string IdentityTypeName = "ContainerTasks.Cloud.Azure.AzureIdentity";

    private readonly CloudRegistryHost _host;
    private readonly CloudContext _context;
    private readonly Func<IAzureIdentity> _createIdentity;
    private IAzureIdentity? _identity;
    private string? _used;

    /// <param name="host">The registry.</param>
    /// <param name="context">The build's environment, transport and logs.</param>
    /// <param name="createIdentity">Makes the identity when first needed (loads the cloud libraries).</param>
    internal AcrCredentialSource(CloudRegistryHost host, CloudContext context, Func<IAzureIdentity> createIdentity)
    {
        _host = host;
        _context = context;
        _createIdentity = createIdentity;
    }

    /// <summary>The source for <paramref name="host"/>; nothing is loaded until a credential is asked for.</summary>
    public static ICredentialSource Create(CloudRegistryHost host, CloudContext context)
        => new AcrCredentialSource(host, context, () => CloudLibraries.Create<IAzureIdentity>(IdentityTypeName, context.Log));

    /// <inheritdoc/>
    public string Description => _used is null ? $"the build's Azure identity (for {_host.Host})" : $"{_used}, exchanged at {_host.Host}";

    /// <inheritdoc/>
    public async Task<RegistryCredential> ObtainAsync(CancellationToken cancellationToken)
    {
        AzureCloudEndpoints cloud = AzureCloudEndpoints.For(_host, _context);
        _identity ??= _createIdentity();
        AzureAccessToken accessToken = await _identity.GetTokenAsync(
            new AzureTokenRequest(_host.Host, cloud.Scope, cloud.AuthorityHost, cloud.KnownAuthority, _context), cancellationToken).ConfigureAwait(false);
        if (_used != accessToken.Source)
        {
            _used = accessToken.Source;
            _context.Notice?.Invoke($"{_host.Host}: credentials from {accessToken.Source} (Entra ID token from {cloud.AuthorityHost.Host}, exchanged at the registry).");
        }
        string? tenant = accessToken.TenantId ?? JwtClaims.Text(accessToken.Token, "tid");
        var (refreshToken, expiresAt) = await AcrTokenExchange.ExchangeAsync(_context, _host.Host, tenant, accessToken, cancellationToken).ConfigureAwait(false);
        _context.Log?.Invoke($"{_host.Host}: ACR refresh token obtained for {accessToken.Source}, valid until {expiresAt:u}.");
        return RegistryCredential.FromIdentityToken(refreshToken, null, Description).ExpiringAt(expiresAt);
    }
}
