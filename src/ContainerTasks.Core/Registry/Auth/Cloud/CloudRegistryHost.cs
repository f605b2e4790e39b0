using System.Text.RegularExpressions;

namespace ContainerTasks.Registry.Auth.Cloud;

/// <summary>The clouds whose registries get credentials from the build's cloud identity.</summary>
internal enum CloudKind
{
    /// <summary>Azure Container Registry.</summary>
    Azure,

    /// <summary>Amazon Elastic Container Registry (private registries).</summary>
    Aws,

    /// <summary>Google Artifact Registry and Container Registry.</summary>
    Google,
}

/// <summary>
/// A registry host of a cloud, recognised by its name alone:
/// <list type="bullet">
/// <item>Azure: <c>NAME.azurecr.io</c> (public cloud), <c>NAME.azurecr.cn</c> (Azure China), <c>NAME.azurecr.us</c> (Azure US Government), each also as <c>NAME-HASH</c> (a domain name label scope).</item>
/// <item>AWS: <c>ACCOUNT.dkr.ecr.REGION.amazonaws.com</c>, <c>ACCOUNT.dkr.ecr-fips.REGION.amazonaws.com</c>, <c>ACCOUNT.dkr.ecr.REGION.amazonaws.com.cn</c> (China).</item>
/// <item>Google: <c>LOCATION-docker.pkg.dev</c> (Artifact Registry), <c>gcr.io</c> and <c>*.gcr.io</c> (Container Registry).</item>
/// </list>
/// A port or any other host is not a cloud's registry.
/// </summary>
/// <param name="Kind">The cloud.</param>
/// <param name="Host">The registry host, lower case.</param>
/// <param name="Suffix">The cloud's DNS suffix after the registry's own name: <c>azurecr.io</c>, <c>amazonaws.com.cn</c>, <c>pkg.dev</c>, <c>gcr.io</c>.</param>
/// <param name="Account">The ACR registry name or the AWS account id; null for Google.</param>
/// <param name="Region">The AWS region or the Artifact Registry location; null otherwise.</param>
/// <param name="Fips">True for an ECR FIPS endpoint.</param>
internal sealed record CloudRegistryHost(CloudKind Kind, string Host, string Suffix, string? Account, string? Region, bool Fips)
{
    // A login server with a domain name label scope has the label's hash after the name: NAME-HASH.azurecr.io.
    private static readonly Regex Acr = new(@"^(?<name>[a-z0-9]{5,50})(-[a-z0-9]{1,32})?\.(?<suffix>azurecr\.(io|cn|us))$", RegexOptions.CultureInvariant);
    private static readonly Regex Ecr = new(@"^(?<account>[0-9]{12})\.dkr\.ecr(?<fips>-fips)?\.(?<region>[a-z]{2}(-[a-z]+)+-[0-9]+)\.(?<suffix>amazonaws\.com(\.cn)?)$", RegexOptions.CultureInvariant);
    private static readonly Regex ArtifactRegistry = new(@"^(?<location>[a-z0-9-]+)-docker\.pkg\.dev$", RegexOptions.CultureInvariant);
    private static readonly Regex ContainerRegistry = new(@"^([a-z0-9-]+\.)?gcr\.io$", RegexOptions.CultureInvariant);

    /// <summary>The cloud registry <paramref name="registry"/> is, or null.</summary>
    public static CloudRegistryHost? Recognize(string registry)
    {
        string host = registry.Trim().ToLowerInvariant();
        if (Acr.Match(host) is { Success: true } acr)
        {
            return new(CloudKind.Azure, host, acr.Groups["suffix"].Value, acr.Groups["name"].Value, null, false);
        }
        if (Ecr.Match(host) is { Success: true } ecr)
        {
            return new(CloudKind.Aws, host, ecr.Groups["suffix"].Value, ecr.Groups["account"].Value, ecr.Groups["region"].Value, ecr.Groups["fips"].Success);
        }
        if (ArtifactRegistry.Match(host) is { Success: true } ar)
        {
            return new(CloudKind.Google, host, "pkg.dev", null, ar.Groups["location"].Value, false);
        }
        return ContainerRegistry.IsMatch(host) ? new(CloudKind.Google, host, "gcr.io", null, null, false) : null;
    }
}
