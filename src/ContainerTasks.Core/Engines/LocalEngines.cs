namespace ContainerTasks.Engines;

/// <summary>
/// Finds the local engine a build loads its image into: the API at each candidate address in order
/// (<see cref="EngineEndpoints"/>), then, when none answers, the engine's CLI as before the API was asked.
/// </summary>
internal static class LocalEngines
{
    /// <summary>
    /// The engine, or null when there is none and none was asked for (the build then writes an archive, CT4107).
    /// CT4108 when <c>LocalRegistry</c>, DOCKER_HOST or CONTAINER_HOST names an engine that does not answer; CT4128 when
    /// a socket named that way refuses this user (a default socket that refuses is warning CT4128, then the archive); CT4110 for an unknown <c>LocalRegistry</c>, CT4129 for a malformed variable.
    /// </summary>
    public static Task<ILocalEngine?> FindAsync(string? localRegistry, IReadOnlyDictionary<string, string> environment, Action<string> detail,
        Action<string, string> warning, CancellationToken cancellationToken)
        => FindAsync(localRegistry, environment, detail, warning, null, cancellationToken);

    /// <summary>
    /// The engine that must be there for <paramref name="neededFor"/> (a base image in it): as <see cref="FindAsync(string?, IReadOnlyDictionary{string, string}, Action{string}, Action{string, string}, CancellationToken)"/>,
    /// but no engine is CT4108 and a socket that refuses this user CT4128, never a fallback.
    /// </summary>
    public static async Task<ILocalEngine> FindRequiredAsync(string? localRegistry, IReadOnlyDictionary<string, string> environment, Action<string> detail,
        string neededFor, CancellationToken cancellationToken)
        => (await FindAsync(localRegistry, environment, detail, (_, _) => { }, neededFor, cancellationToken).ConfigureAwait(false))!;

    private static async Task<ILocalEngine?> FindAsync(string? localRegistry, IReadOnlyDictionary<string, string> environment, Action<string> detail,
        Action<string, string> warning, string? neededFor, CancellationToken cancellationToken)
    {
        EngineKind? wanted = EngineKinds.FromLocalRegistry(localRegistry);
        IReadOnlyList<EngineEndpoint> endpoints = EngineEndpoints.Candidates(wanted, environment);
        var failures = new List<EngineProbeResult>();
        foreach (EngineEndpoint endpoint in endpoints)
        {
            EngineProbeResult probe = await EngineProbe.ProbeAsync(endpoint, cancellationToken).ConfigureAwait(false);
            if (probe.Engine is { } engine)
            {
                detail($"Local engine: {engine}.");
                return engine;
            }
            detail($"No engine API at {endpoint} ({endpoint.Origin}): {probe.Failure}.");
            failures.Add(probe);
        }
        // The CLI reaches what this API client cannot (ssh, TLS, a Windows pipe), and engines set up as before.
        if (LocalDaemon.Find(wanted ?? ImpliedKind(endpoints), environment, cancellationToken) is { } daemon)
        {
            detail($"Local engine: the {daemon.Name} CLI ('{daemon.Name} info' answered).");
            return daemon;
        }
        return NoEngine(wanted, failures, warning, neededFor);
    }

    // DOCKER_HOST alone names an engine the docker CLI reaches; CONTAINER_HOST alone, one podman's reaches.
    private static EngineKind? ImpliedKind(IReadOnlyList<EngineEndpoint> endpoints)
        => endpoints.Where(e => e.Named).Select(e => e.Variable).Distinct().ToList() switch
        {
            ["DOCKER_HOST"] => EngineKind.Docker,
            ["CONTAINER_HOST"] => EngineKind.Podman,
            _ => null,
        };

    private static ILocalEngine? NoEngine(EngineKind? wanted, List<EngineProbeResult> failures, Action<string, string> warning, string? neededFor)
    {
        string tried = string.Join("; ", failures.Select(f => $"{f.Endpoint} ({f.Endpoint.Origin}): {f.Failure}"));
        if (failures.FirstOrDefault(f => f.PermissionDenied) is { } denied)
        {
            var refused = new ContainerTasksException(ErrorCodes.EngineSocketDenied,
                $"The engine's socket {denied.Endpoint} ({denied.Endpoint.Origin}) refuses this user: permission denied. Give the user access to it "
                + "(Docker: membership of the 'docker' group, 'sudo usermod -aG docker $USER', then log in again; Podman: the user's own socket, "
                + "'systemctl --user enable --now podman.socket'), or set ContainerRegistry or ContainerArchiveOutputPath instead.");
            // An engine asked for is an error; a default socket that refuses is said, and the image goes to the archive as with no engine.
            if (wanted is not null || denied.Endpoint.Named || neededFor is not null)
            {
                throw refused;
            }
            warning(refused.Code, refused.Message);
        }
        if (neededFor is not null)
        {
            throw new ContainerTasksException(ErrorCodes.DaemonLoadFailed,
                $"{neededFor} needs a local Docker or Podman engine, but none answers ({tried}), nor does 'docker info' or 'podman info'. Start the engine (or point DOCKER_HOST at it), or take the base from a registry: ContainerBaseImageSource=registry.");
        }
        if (wanted is { } kind)
        {
            throw new ContainerTasksException(ErrorCodes.DaemonLoadFailed,
                $"LocalRegistry is {kind}, but no {kind} engine answers ({tried}), nor does '{kind.CommandName()} info'. Is the engine running? Or set ContainerRegistry or ContainerArchiveOutputPath instead.");
        }
        if (failures.FirstOrDefault(f => f.Endpoint.Named) is { } named)
        {
            throw new ContainerTasksException(ErrorCodes.DaemonLoadFailed,
                $"{named.Endpoint.Variable} names an engine, but none answers ({tried}). Start the engine, correct or unset {named.Endpoint.Variable}, or set ContainerRegistry or ContainerArchiveOutputPath instead.");
        }
        return null;
    }
}
