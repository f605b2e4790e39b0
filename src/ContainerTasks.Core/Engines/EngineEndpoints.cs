namespace ContainerTasks.Engines;

/// <summary>
/// The addresses a local engine is looked for at, in order, from the build's environment snapshot (never this process's):
/// DOCKER_HOST, then CONTAINER_HOST (Podman's); when neither is set, the default sockets of Docker and of Podman (the
/// user's, then the system's). <c>LocalRegistry</c> keeps the ones of the engine it names.
/// </summary>
internal static class EngineEndpoints
{
    /// <summary>Docker's socket when DOCKER_HOST is not set.</summary>
    public const string DockerSocket = "/var/run/docker.sock";

    /// <summary>Rootful Podman's socket (systemd's podman.socket).</summary>
    public const string PodmanSystemSocket = "/run/podman/podman.sock";

    /// <summary>The candidates for <paramref name="wanted"/> (null: either engine); CT4129 for a malformed variable.</summary>
    public static IReadOnlyList<EngineEndpoint> Candidates(EngineKind? wanted, IReadOnlyDictionary<string, string> environment)
    {
        var named = new List<EngineEndpoint>();
        EngineTls? tls = EngineTls.From(environment);
        if (wanted != EngineKind.Podman && Value(environment, "DOCKER_HOST") is { } dockerHost)
        {
            named.Add(EngineEndpoint.Parse("DOCKER_HOST", dockerHost, tls));
        }
        else if (wanted != EngineKind.Podman && tls is not null)
        {
            // As the docker CLI: TLS asked for and no DOCKER_HOST is the engine at localhost:2376.
            string variable = tls.Verify ? "DOCKER_TLS_VERIFY" : "DOCKER_TLS";
            named.Add(EngineEndpoint.Parse(variable, EngineTls.DefaultHost, tls) with { Origin = $"{variable} without DOCKER_HOST" });
        }
        if (wanted != EngineKind.Docker && Value(environment, "CONTAINER_HOST") is { } containerHost)
        {
            named.Add(EngineEndpoint.Parse("CONTAINER_HOST", containerHost));
        }
        // A variable says where the engine is, as it does for the engines' own CLIs: the default sockets are not tried then.
        return named.Count > 0 ? named : DefaultSockets(wanted, environment);
    }

    private static List<EngineEndpoint> DefaultSockets(EngineKind? wanted, IReadOnlyDictionary<string, string> environment)
    {
        var sockets = new List<EngineEndpoint>();
        // A Docker context other than the default one points the docker CLI elsewhere (Docker Desktop, rootless, colima):
        // the default socket would be another engine then, so only the CLI, which follows the context, is asked.
        if (wanted != EngineKind.Podman && !DockerContextActive(environment))
        {
            sockets.Add(EngineEndpoint.Socket(DockerSocket, "the default Docker socket"));
        }
        if (wanted != EngineKind.Docker)
        {
            if (Value(environment, "XDG_RUNTIME_DIR") is { } runtime && Path.IsPathFullyQualified(runtime))
            {
                sockets.Add(EngineEndpoint.Socket(Path.Combine(runtime, "podman", "podman.sock"), "the user's Podman socket"));
            }
            sockets.Add(EngineEndpoint.Socket(PodmanSystemSocket, "the system's Podman socket"));
        }
        return sockets;
    }

    /// <summary>True when DOCKER_CONTEXT, or <c>currentContext</c> of the docker CLI's config.json, names a context other than <c>default</c>.</summary>
    internal static bool DockerContextActive(IReadOnlyDictionary<string, string> environment)
    {
        if (Value(environment, "DOCKER_CONTEXT") is { } context)
        {
            return context != "default";
        }
        string? folder = Value(environment, "DOCKER_CONFIG") ?? (Value(environment, "HOME") is { } home ? Path.Combine(home, ".docker") : null);
        if (folder is null || !Path.IsPathFullyQualified(folder))
        {
            return false;
        }
        try
        {
            byte[]? config = FileSystem.RegularFile.TryReadAll(Path.Combine(folder, "config.json"), 1024 * 1024);
            using var document = config is null ? null : System.Text.Json.JsonDocument.Parse(config);
            return document?.RootElement is { ValueKind: System.Text.Json.JsonValueKind.Object } root && root.TryGetProperty("currentContext", out var current)
                && current.ValueKind == System.Text.Json.JsonValueKind.String && current.GetString() is { Length: > 0 } name && name != "default";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return false;
        }
    }

    /// <summary>An engine variable's value; unset and empty are the same, as for the engines' CLIs.</summary>
    internal static string? Value(IReadOnlyDictionary<string, string> environment, string name)
        => environment.TryGetValue(name, out string? value) && !string.IsNullOrWhiteSpace(value) ? value : null;
}
