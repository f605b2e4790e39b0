namespace ContainerTasks.Supply.Provenance;

/// <summary>
/// Where a build ran, from an explicit allow-list of CI variables and nothing else of the environment: the CI system,
/// the builder's id, the run's invocation id, and the allow-listed variables themselves (URLs without user
/// information). Outside a known CI system: the local builder, no invocation id, no variables.
/// </summary>
/// <param name="System">The CI system (<c>github-actions</c>, <c>gitlab-ci</c>, <c>azure-pipelines</c>) or <c>local</c>.</param>
/// <param name="BuilderId">The builder's URI (<c>runDetails.builder.id</c>).</param>
/// <param name="InvocationId">The run's URI (<c>runDetails.metadata.invocationId</c>); null when unknown.</param>
/// <param name="Metadata">The allow-listed CI variables that are set, sorted by name.</param>
internal sealed record BuildEnvironment(string System, string BuilderId, string? InvocationId, IReadOnlyList<(string Name, string Value)> Metadata)
{
    /// <summary>The prefix of the builder ids we name ourselves: <c>local</c>, or a CI system whose variables for its own id are missing.</summary>
    public const string BuilderIdPrefix = "https://containertasks.dev/builder/";

    /// <summary>The builder id of a build outside a known CI system: a developer's machine, or an unknown CI.</summary>
    public const string LocalBuilderId = BuilderIdPrefix + "local";

    /// <summary>The environment of a build outside a known CI system.</summary>
    public static BuildEnvironment Local { get; } = new("local", LocalBuilderId, null, []);

    /// <summary>The environment <paramref name="environment"/> describes: the first CI system whose marker variable is set, else <see cref="Local"/>.</summary>
    public static BuildEnvironment From(IReadOnlyDictionary<string, string> environment)
    {
        foreach (var system in CiSystem.All)
        {
            if (environment.TryGetValue(system.Marker, out string? marker) && marker.Equals("true", StringComparison.OrdinalIgnoreCase))
            {
                return system.Describe(environment);
            }
        }
        return Local;
    }
}
