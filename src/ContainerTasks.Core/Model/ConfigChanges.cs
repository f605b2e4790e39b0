namespace ContainerTasks.Model;

/// <summary>
/// What a build changes in the base image's config, like a Dockerfile's ENV, EXPOSE, LABEL,
/// ENTRYPOINT, CMD, USER, WORKDIR and VOLUME instructions. A null member leaves the base value as it is.
/// </summary>
public sealed record ConfigChanges
{
    /// <summary>Environment variables to set, in order; a name already in the base is replaced in place.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; } = [];

    /// <summary>Ports to expose, <c>number[/tcp|udp]</c>; added to the base's.</summary>
    public IReadOnlyList<string> ExposedPorts { get; init; } = [];

    /// <summary>Labels to set; a key in the base is replaced.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = [];

    /// <summary>Volumes to declare; added to the base's.</summary>
    public IReadOnlyList<string> Volumes { get; init; } = [];

    /// <summary>
    /// The entrypoint. Setting it without <see cref="Cmd"/> clears the base's Cmd, as a Dockerfile's
    /// ENTRYPOINT does, so a base <c>CMD ["sh"]</c> does not become the app's argument.
    /// </summary>
    public IReadOnlyList<string>? Entrypoint { get; init; }

    /// <summary>The default arguments (CMD); an empty list clears the base's.</summary>
    public IReadOnlyList<string>? Cmd { get; init; }

    /// <summary>The user (name or uid, optionally <c>:group</c>).</summary>
    public string? User { get; init; }

    /// <summary>The working directory, an absolute path.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The <c>created</c> time of the config and of the added history entries.</summary>
    public DateTimeOffset? Created { get; init; }
}
