using System.Text.RegularExpressions;

namespace ContainerTasks.Supply.Provenance;

/// <summary>
/// Repository URLs as a provenance names them: no user name, password or token (a clone URL can carry one), no query
/// or fragment, and no trailing <c>.git</c>.
/// </summary>
internal static partial class RepositoryUrls
{
    /// <summary>
    /// The URL of a remote repository without credentials, or null when <paramref name="url"/> names none (empty, a
    /// local path, a <c>file:</c> URL). The scp-like <c>git@host:owner/repo.git</c> becomes <c>ssh://host/owner/repo</c>.
    /// </summary>
    public static string? Clean(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }
        string value = ScpToSsh(url.Trim());
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.IsFile || uri.IsUnc || string.IsNullOrEmpty(uri.Host))
        {
            return null;
        }
        string path = uri.GetComponents(UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/');
        if (path.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^4];
        }
        string server = uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped);
        return path.Length == 0 ? server : $"{server}/{path}";
    }

    /// <summary>
    /// <paramref name="value"/> with the user information of an absolute URL removed
    /// (<c>https://user:token@host/x</c> → <c>https://host/x</c>); any other value as it is.
    /// </summary>
    public static string WithoutUserInfo(string value) => UserInfo().Replace(value, "$1", 1);

    /// <summary>The SPDX download location of a commit's source: <c>git+https://host/owner/repo@refs/heads/main</c>.</summary>
    public static string GitUri(string repositoryUrl, string? gitRef)
        => gitRef is null ? $"git+{repositoryUrl}" : $"git+{repositoryUrl}@{gitRef}";

    /// <summary>A branch as a full ref: <c>main</c> → <c>refs/heads/main</c>; a full ref stays.</summary>
    public static string? FullRef(string? branch)
    {
        if (string.IsNullOrWhiteSpace(branch))
        {
            return null;
        }
        string value = branch.Trim();
        return value.StartsWith("refs/", StringComparison.Ordinal) ? value : "refs/heads/" + value;
    }

    // The scheme and "//", then the authority's part up to its last '@' (RFC 3986 userinfo); the rest is kept byte for byte.
    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#]*@")]
    private static partial Regex UserInfo();

    // git reads "[user@]host:path" as ssh when no "://" comes first and the colon precedes any slash ("C:" is a drive).
    private static string ScpToSsh(string value)
    {
        int colon = value.IndexOf(':');
        int slash = value.IndexOf('/');
        if (colon <= 1 || value.Contains("://", StringComparison.Ordinal) || (slash >= 0 && slash < colon))
        {
            return value;
        }
        string host = value[..colon];
        host = host[(host.LastIndexOf('@') + 1)..];
        return $"ssh://{host}/{value[(colon + 1)..].TrimStart('/')}";
    }
}
