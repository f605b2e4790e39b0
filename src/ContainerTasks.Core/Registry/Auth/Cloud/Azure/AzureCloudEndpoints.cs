namespace ContainerTasks.Registry.Auth.Cloud.Azure;

/// <summary>
/// The Entra ID authority and the audience of the token a registry's <c>/oauth2/exchange</c> takes, by the registry's
/// cloud: <c>azurecr.io</c> (public), <c>azurecr.cn</c> (Azure China), <c>azurecr.us</c> (Azure US Government).
/// <c>AZURE_AUTHORITY_HOST</c> overrides the authority as Azure.Identity reads it; an authority of no known cloud
/// (Azure Stack Hub, a private cloud) is used as it is, without Entra's instance discovery.
/// </summary>
/// <param name="AuthorityHost">The authority, ending with '/'.</param>
/// <param name="Scope">ACR's own audience (<c>https://containerregistry.azure.net/.default</c>, in every cloud): the token is good
/// for registries only, and it is the one a registry takes when its "authentication as ARM" policy is off — which Azure
/// Policy recommends — whereas Azure Resource Manager's audience would also be good for the whole subscription.</param>
/// <param name="KnownAuthority">True when the authority is one of Entra's own clouds.</param>
internal sealed record AzureCloudEndpoints(Uri AuthorityHost, string Scope, bool KnownAuthority)
{
    /// <summary>The variable that overrides the authority, as Azure.Identity names it.</summary>
    public const string AuthorityHostVariable = "AZURE_AUTHORITY_HOST";

    /// <summary>The scope of the token the exchange is given.</summary>
    public const string RegistryScope = "https://containerregistry.azure.net/.default";

    private static readonly string[] KnownAuthorities =
        ["login.microsoftonline.com", "login.chinacloudapi.cn", "login.microsoftonline.us", "login.microsoftonline.de", "login.windows.net", "login.microsoft.com", "sts.windows.net"];

    /// <summary>The endpoints for <paramref name="host"/> in the build's environment.</summary>
    public static AzureCloudEndpoints For(CloudRegistryHost host, CloudContext context)
    {
        string authority = host.Suffix switch
        {
            "azurecr.cn" => "https://login.chinacloudapi.cn/",
            "azurecr.us" => "https://login.microsoftonline.us/",
            _ => "https://login.microsoftonline.com/",
        };
        Uri authorityHost = new(authority);
        if (context.Variable(AuthorityHostVariable) is { } overridden)
        {
            if (!Uri.TryCreate(overridden, UriKind.Absolute, out Uri? parsed) || parsed.Scheme != Uri.UriSchemeHttps)
            {
                throw new ContainerTasksException(ErrorCodes.CloudIdentityNotFound,
                    $"{AuthorityHostVariable} is '{overridden}', which is not an https URL. Set it to the Entra ID authority of your cloud (e.g. https://login.microsoftonline.com/) or unset it.");
            }
            authorityHost = new Uri(parsed.GetLeftPart(UriPartial.Authority) + "/");
        }
        bool known = KnownAuthorities.Contains(authorityHost.Host, StringComparer.OrdinalIgnoreCase);
        return new AzureCloudEndpoints(authorityHost, RegistryScope, known);
    }
}
