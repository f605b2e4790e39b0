namespace ContainerTasks.Supply.Provenance;

/// <summary>
/// The source a build was made from: the repository (without credentials), the commit, the branch, and the folder
/// that holds the checkout (so the project can be named relative to it, never by a path of the build machine).
/// </summary>
/// <param name="RepositoryUrl">The repository's URL, cleaned by <see cref="RepositoryUrls.Clean"/>; null when unknown.</param>
/// <param name="Commit">The commit id (lower-case hex); null when unknown.</param>
/// <param name="Ref">The branch as a full ref (<c>refs/heads/main</c>); null when unknown or detached.</param>
/// <param name="Root">The checkout's folder on this machine; used to make paths relative, never written.</param>
internal sealed record SourceInfo(string? RepositoryUrl, string? Commit, string? Ref, string? Root)
{
    /// <summary>No source known.</summary>
    public static SourceInfo None { get; } = new(null, null, null, null);

    /// <summary>
    /// The source of the project in <paramref name="projectDirectory"/>: each of the build's values when given
    /// (MSBuild's <c>SourceRevisionId</c>; <c>PrivateRepositoryUrl</c>, else <c>RepositoryUrl</c>; <c>RepositoryBranch</c>),
    /// else what the git checkout the project is in says (<see cref="GitCheckout"/>). A given value that is not a commit
    /// id or not a remote repository's URL is CT4127; a checkout that cannot be read just leaves its values unknown.
    /// </summary>
    public static SourceInfo Find(string projectDirectory, string? sourceRevisionId, string? repositoryUrl, string? branch)
    {
        var checkout = GitCheckout.Find(projectDirectory);
        return new SourceInfo(
            Given(repositoryUrl, RepositoryUrls.Clean, "The repository URL (PrivateRepositoryUrl, RepositoryUrl)", "the URL of the remote repository (https://host/owner/repo)")
                ?? RepositoryUrls.Clean(checkout?.OriginUrl),
            Given(sourceRevisionId, id => GitCheckout.IsCommitId(id.ToLowerInvariant()) ? id.ToLowerInvariant() : null,
                "SourceRevisionId", "the full commit id (40 or 64 hex characters)") ?? checkout?.Commit,
            RepositoryUrls.FullRef(branch) ?? checkout?.Branch,
            checkout?.Root);
    }

    /// <summary>The commit's SPDX download location (<c>git+https://host/owner/repo@refs/heads/main</c>); null without a repository URL.</summary>
    public string? GitUri => RepositoryUrl is null ? null : RepositoryUrls.GitUri(RepositoryUrl, Ref);

    private static string? Given(string? value, Func<string, string?> parse, string property, string expected)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        return parse(value.Trim()) ?? throw new ContainerTasksException(ErrorCodes.InvalidProvenanceSource,
            $"{property} '{RepositoryUrls.WithoutUserInfo(value.Trim())}' cannot be written into the provenance: it is not {expected}. Fix it, or leave it empty to read the git checkout.");
    }
}
