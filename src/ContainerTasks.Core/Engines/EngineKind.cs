namespace ContainerTasks.Engines;

/// <summary>The local engines an image can be loaded into.</summary>
internal enum EngineKind
{
    /// <summary>Docker Engine (dockerd), or anything that answers its API as Docker does.</summary>
    Docker,

    /// <summary>Podman, through its Docker-compatible API or its CLI.</summary>
    Podman,
}

/// <summary>Reads the <c>LocalRegistry</c> property.</summary>
internal static class EngineKinds
{
    /// <summary>Docker or Podman (any case); null when empty (detect one); CT4110 for anything else.</summary>
    public static EngineKind? FromLocalRegistry(string? localRegistry) => (localRegistry ?? "").Trim().ToLowerInvariant() switch
    {
        "" => null,
        "docker" => EngineKind.Docker,
        "podman" => EngineKind.Podman,
        _ => throw new ContainerTasksException(ErrorCodes.UnknownLocalRegistry, $"LocalRegistry is '{localRegistry}'. Use Docker or Podman, or leave it empty to detect one."),
    };

    /// <summary>The name of the engine's command, as messages say it: <c>docker</c>, <c>podman</c>.</summary>
    public static string CommandName(this EngineKind kind) => kind == EngineKind.Docker ? "docker" : "podman";
}
