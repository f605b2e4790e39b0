namespace ContainerTasks.Registry.Auth.Cloud.Azure;

/// <summary>
/// The build's Microsoft Entra ID identity: implemented with Azure.Identity in <c>ContainerTasks.Cloud</c>
/// (<c>ContainerTasks.Cloud.Azure.AzureIdentity</c>, loaded by <see cref="CloudLibraries"/>). Only BCL and core types
/// cross this boundary. The first source that gives a token is kept for the later calls of one instance.
/// </summary>
internal interface IAzureIdentity
{
    /// <summary>An access token for <see cref="AzureTokenRequest.Scope"/>. No identity: CT3021; Entra ID refused or unreachable: CT3022.</summary>
    Task<AzureAccessToken> GetTokenAsync(AzureTokenRequest request, CancellationToken cancellationToken);
}

/// <summary>What token an <see cref="IAzureIdentity"/> is asked for.</summary>
/// <param name="Registry">The registry host the token is for (for messages).</param>
/// <param name="Scope">The scope, e.g. <c>https://containerregistry.azure.net/.default</c>.</param>
/// <param name="AuthorityHost">The Entra ID authority, e.g. <c>https://login.microsoftonline.com/</c>.</param>
/// <param name="KnownAuthority">False for an authority of no known cloud (Azure Stack Hub, a private cloud): used as it is, without Entra's instance discovery.</param>
/// <param name="Context">The build's environment, transport and logs.</param>
internal sealed record AzureTokenRequest(string Registry, string Scope, Uri AuthorityHost, bool KnownAuthority, CloudContext Context);

/// <summary>An Entra ID access token and the identity it is of. <see cref="ToString"/> names the identity, never the token.</summary>
internal sealed class AzureAccessToken
{
    /// <param name="token">The access token.</param>
    /// <param name="source">Which identity source gave it and whose it is, e.g. <c>Azure workload identity (client …, tenant …)</c>.</param>
    /// <param name="tenantId">The tenant, when the source knows it.</param>
    public AzureAccessToken(string token, string source, string? tenantId)
    {
        Token = token;
        Source = source;
        TenantId = tenantId;
    }

    /// <summary>The access token (a secret).</summary>
    public string Token { get; }

    /// <summary>The identity source and identity, for logs and messages.</summary>
    public string Source { get; }

    /// <summary>The tenant, when known.</summary>
    public string? TenantId { get; }

    /// <inheritdoc/>
    public override string ToString() => Source;
}
