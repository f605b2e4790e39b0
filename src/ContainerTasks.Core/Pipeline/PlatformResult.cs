using ContainerTasks.Model;

namespace ContainerTasks.Pipeline;

/// <summary>One platform image of a build.</summary>
public sealed record PlatformResult(string RuntimeIdentifier, string Platform, Digest ManifestDigest, byte[] Manifest, byte[] Config)
{
    /// <summary>The manifest's layers, base layers first.</summary>
    public IReadOnlyList<LayerResult> Layers { get; init; } = [];
}
