namespace ContainerTasks.Registry.Referrers;

/// <summary>Content to attach to an image: one blob and what it is.</summary>
/// <param name="ArtifactType">The manifest's <c>artifactType</c> (e.g. <c>application/spdx+json</c>).</param>
/// <param name="MediaType">The blob's media type (often the same as <paramref name="ArtifactType"/>).</param>
/// <param name="Content">The blob's bytes.</param>
internal sealed record ReferrerArtifact(string ArtifactType, string MediaType, byte[] Content)
{
    /// <summary>The blob descriptor's annotations (e.g. <c>org.opencontainers.image.title</c>); none when null.</summary>
    public IReadOnlyDictionary<string, string>? BlobAnnotations { get; init; }

    /// <summary>The manifest's annotations (e.g. <c>org.opencontainers.image.created</c>), copied into the referrers list; none when null.</summary>
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}
