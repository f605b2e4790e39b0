namespace ContainerTasks.Compose;

/// <summary>
/// One project's service in a compose file: what its last delivered image needs to run. Kept as a record of its own
/// (<see cref="ComposeRecords"/>) so that projects published in parallel each add theirs, and any of them can write the file.
/// </summary>
public sealed record ComposeService
{
    /// <summary>The service name (a key under <c>services:</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The project file, full path.</summary>
    public required string Project { get; init; }

    /// <summary>The image: <c>registry/repository@sha256:…</c> when pushed, else the name it was loaded or written under.</summary>
    public required string Image { get; init; }

    /// <summary>True when <see cref="Image"/> is a tag (a local engine or an archive), not a digest.</summary>
    public bool ByTag { get; init; }

    /// <summary>
    /// The image's digest, kept in the record (not in the file) so that a service named by tag notices a rebuilt image:
    /// the tag stays, the digest moves, and so does the publish time.
    /// </summary>
    public string? Digest { get; init; }

    /// <summary>When this project first delivered this very service (image, ports, …): a publish with no change keeps it.</summary>
    public DateTimeOffset Published { get; init; }

    /// <summary>The published ports.</summary>
    public IReadOnlyList<ComposePort> Ports { get; init; } = [];

    /// <summary>
    /// True when the project chose its ports (<c>ContainerComposePorts</c>): a clash is then an error. False for the
    /// default (each exposed port on the same host port), which moves to a free host port on a clash.
    /// </summary>
    public bool PortsChosen { get; init; }

    /// <summary>What the file writer changed for this service (a default host port moved), for its comment; not saved.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The project's environment variables (<c>ContainerEnvironmentVariable</c>), by name.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; } = [];

    /// <summary>The image's volume paths (<c>ContainerVolume</c>), each given a named volume.</summary>
    public IReadOnlyList<string> Volumes { get; init; } = [];

    /// <summary>The project's references (full paths): those that are services of the file become <c>depends_on</c>.</summary>
    public IReadOnlyList<string> References { get; init; } = [];

    /// <summary>Valid compose service names (and what a repository's last segment always is).</summary>
    public static bool IsValidName(string name) => System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-zA-Z0-9][a-zA-Z0-9_.-]*$");

    /// <summary>True when both describe the same service, whenever each was published.</summary>
    public bool SameAs(ComposeService other)
        => Name == other.Name && Project == other.Project && Image == other.Image && ByTag == other.ByTag
            && Digest == other.Digest && PortsChosen == other.PortsChosen
            && Ports.SequenceEqual(other.Ports) && Environment.SequenceEqual(other.Environment)
            && Volumes.SequenceEqual(other.Volumes) && References.SequenceEqual(other.References);
}
