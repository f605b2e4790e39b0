namespace ContainerTasks.Supply.Provenance;

/// <summary>
/// A CI system a provenance recognises: the variable that marks it, the variables it may read (the allow-list), and
/// how its builder id and invocation id are made from them. Ids are made from allow-listed values only.
/// </summary>
internal sealed record CiSystem(
    string Name,
    string Marker,
    IReadOnlyList<string> AllowList,
    Func<IReadOnlyDictionary<string, string>, string?> BuilderId,
    Func<IReadOnlyDictionary<string, string>, string?> InvocationId)
{
    /// <summary>GitHub Actions: the builder is the workflow file at its ref; the invocation is the run's attempt.</summary>
    public static CiSystem GitHubActions { get; } = new("github-actions", "GITHUB_ACTIONS",
        ["GITHUB_EVENT_NAME", "GITHUB_JOB", "GITHUB_REF", "GITHUB_REPOSITORY", "GITHUB_REPOSITORY_ID", "GITHUB_REPOSITORY_OWNER_ID",
            "GITHUB_RUN_ATTEMPT", "GITHUB_RUN_ID", "GITHUB_RUN_NUMBER", "GITHUB_SERVER_URL", "GITHUB_SHA", "GITHUB_WORKFLOW_REF",
            "GITHUB_WORKFLOW_SHA", "RUNNER_ARCH", "RUNNER_ENVIRONMENT", "RUNNER_OS"],
        v => Join(v, "GITHUB_SERVER_URL", "{0}/{1}", "GITHUB_WORKFLOW_REF"),
        v => Join(v, "GITHUB_SERVER_URL", "{0}/{1}/actions/runs/{2}/attempts/{3}", "GITHUB_REPOSITORY", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT"));

    /// <summary>GitLab CI: the builder is the project's runner (as GitLab's own provenance names it); the invocation is the job.</summary>
    public static CiSystem GitLabCi { get; } = new("gitlab-ci", "GITLAB_CI",
        ["CI_COMMIT_REF_NAME", "CI_COMMIT_SHA", "CI_CONFIG_PATH", "CI_JOB_ID", "CI_JOB_NAME", "CI_JOB_URL", "CI_PIPELINE_ID",
            "CI_PIPELINE_SOURCE", "CI_PIPELINE_URL", "CI_PROJECT_ID", "CI_PROJECT_PATH", "CI_PROJECT_URL", "CI_RUNNER_ID", "CI_SERVER_URL"],
        v => Join(v, "CI_PROJECT_URL", "{0}/-/runners/{1}", "CI_RUNNER_ID"),
        v => Join(v, "CI_JOB_URL", "{0}"));

    /// <summary>Azure Pipelines: the builder is the pipeline definition; the invocation is the build's results page.</summary>
    public static CiSystem AzurePipelines { get; } = new("azure-pipelines", "TF_BUILD",
        ["BUILD_BUILDID", "BUILD_BUILDNUMBER", "BUILD_DEFINITIONNAME", "BUILD_REASON", "BUILD_REPOSITORY_URI", "BUILD_SOURCEBRANCH",
            "BUILD_SOURCEVERSION", "SYSTEM_COLLECTIONURI", "SYSTEM_DEFINITIONID", "SYSTEM_JOBATTEMPT", "SYSTEM_TEAMPROJECT", "SYSTEM_TEAMPROJECTID"],
        v => Join(v, "SYSTEM_COLLECTIONURI", "{0}/{1}/_build?definitionId={2}", "SYSTEM_TEAMPROJECT", "SYSTEM_DEFINITIONID"),
        v => Join(v, "SYSTEM_COLLECTIONURI", "{0}/{1}/_build/results?buildId={2}", "SYSTEM_TEAMPROJECT", "BUILD_BUILDID"));

    /// <summary>The systems in the order they are looked for.</summary>
    public static IReadOnlyList<CiSystem> All { get; } = [GitHubActions, GitLabCi, AzurePipelines];

    /// <summary>This system's builder, invocation and allow-listed variables in <paramref name="environment"/>.</summary>
    public BuildEnvironment Describe(IReadOnlyDictionary<string, string> environment)
    {
        var allowed = AllowList
            .Where(name => environment.TryGetValue(name, out string? value) && !string.IsNullOrWhiteSpace(value))
            .Order(StringComparer.Ordinal)
            .ToDictionary(name => name, name => RepositoryUrls.WithoutUserInfo(environment[name].Trim()), StringComparer.Ordinal);
        return new BuildEnvironment(Name, BuilderId(allowed) ?? BuildEnvironment.BuilderIdPrefix + Name, InvocationId(allowed),
            allowed.Select(pair => (pair.Key, pair.Value)).ToList());
    }

    // The base URL (first variable) without a trailing '/', then the others, each a path segment escaped; null when one is missing.
    private static string? Join(IReadOnlyDictionary<string, string> values, string baseUrl, string format, params string[] names)
    {
        if (!values.TryGetValue(baseUrl, out string? root) || names.Any(n => !values.ContainsKey(n)))
        {
            return null;
        }
        var parts = names.Select(n => (object)Segment(values[n])).Prepend(root.TrimEnd('/'));
        return string.Format(System.Globalization.CultureInfo.InvariantCulture, format, parts.ToArray());
    }

    // A workflow ref keeps its '/' and '@' (owner/repo/.github/workflows/x.yml@refs/heads/main); anything else in a value is escaped.
    private static string Segment(string value) => string.Join('/', value.Split('/').Select(Uri.EscapeDataString)).Replace("%40", "@", StringComparison.Ordinal);
}
