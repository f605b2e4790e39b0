using ContainerTasks.Model;

namespace ContainerTasks.Pipeline;

/// <summary>What a build produced.</summary>
public sealed record ContainerBuildResult
{
    /// <summary>The image's manifest digest.</summary>
    public required Digest ManifestDigest { get; init; }

    /// <summary>The manifest.</summary>
    public required byte[] Manifest { get; init; }

    /// <summary>The config.</summary>
    public required byte[] Config { get; init; }

    /// <summary>The manifest media type.</summary>
    public required string MediaType { get; init; }

    /// <summary>The registry pushed to, if any.</summary>
    public string? Registry { get; init; }

    /// <summary>The repository.</summary>
    public required string Repository { get; init; }

    /// <summary>The tags.</summary>
    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>Full names: <c>registry/repository:tag</c>, or <c>repository:tag</c> without a registry.</summary>
    public required IReadOnlyList<string> Names { get; init; }

    /// <summary>The archive written, if any.</summary>
    public string? ArchivePath { get; init; }

    /// <summary>Where the image went, for messages: "pushed to …", "written to …", "loaded into …".</summary>
    public required string Destination { get; init; }

    /// <summary>The image in one line: <c>name@digest (layers, destination)</c>.</summary>
    public string Summary { get; init; } = "";

    /// <summary>The base image's manifest digest (of the first platform); for a local engine's image, its image id.</summary>
    public required Digest BaseDigest { get; init; }

    /// <summary>Every platform image (one for a single-platform build).</summary>
    public IReadOnlyList<PlatformResult> Platforms { get; init; } = [];

    /// <summary>The index JSON, for a multi-platform build.</summary>
    public byte[]? Index { get; init; }

    /// <summary>The documents made about the image (SBOMs), and where they were attached.</summary>
    public IReadOnlyList<ArtifactResult> Artifacts { get; init; } = [];
}
