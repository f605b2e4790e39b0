using System.Text;

namespace ContainerTasks.Supply;

/// <summary>Package URLs (github.com/package-url/purl-spec): the names scanners match packages by.</summary>
internal static class Purls
{
    /// <summary><c>pkg:nuget/Id@Version</c>, each part percent-encoded (a version's <c>+</c> becomes <c>%2B</c>).</summary>
    public static string NuGet(string id, string version) => $"pkg:nuget/{Encode(id)}@{Encode(version)}";

    /// <summary>
    /// <c>pkg:oci/name@sha256%3A…?repository_url=registry/repository&amp;tag=…</c>: the purl-spec's OCI type, whose
    /// name is the repository's last segment (lower case) and whose version is the manifest digest.
    /// </summary>
    public static string Oci(SbomBaseImage image)
    {
        string name = image.Repository[(image.Repository.LastIndexOf('/') + 1)..].ToLowerInvariant();
        var purl = new StringBuilder($"pkg:oci/{Encode(name)}@{Encode(image.ManifestDigest)}");
        var qualifiers = new List<string>();
        if (image.Registry is not null)
        {
            qualifiers.Add("repository_url=" + Encode(image.Registry + "/" + image.Repository).Replace("%2F", "/", StringComparison.Ordinal));
        }
        if (image.Tag is not null)
        {
            qualifiers.Add("tag=" + Encode(image.Tag));
        }
        // Qualifiers are sorted by key (purl-spec); repository_url < tag.
        return qualifiers.Count == 0 ? purl.ToString() : purl.Append('?').Append(string.Join('&', qualifiers)).ToString();
    }

    /// <summary>A self-contained app's runtime pack (<c>Microsoft.NETCore.App.Runtime.linux-x64</c>); null for a framework from the base image, which is no NuGet package.</summary>
    public static string? Framework(SbomFramework framework, string? runtimeIdentifier)
        => framework.SelfContained && runtimeIdentifier is not null
            ? NuGet(framework.PackageName(runtimeIdentifier), framework.Version)
            : null;

    // RFC 3986 unreserved characters stay; everything else (':', '+', '/', '@', '?') is percent-encoded.
    private static string Encode(string value) => Uri.EscapeDataString(value);
}
