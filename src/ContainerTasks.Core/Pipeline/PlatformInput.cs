using ContainerTasks.Layers;
using ContainerTasks.Model;

namespace ContainerTasks.Pipeline;

/// <summary>One platform of a multi-platform build: its publish output and what classifies it.</summary>
/// <param name="RuntimeIdentifier">The runtime identifier, e.g. linux-arm64.</param>
/// <param name="Platform">The image platform; null takes the base image's (a base with one platform).</param>
/// <param name="PublishDirectory">That platform's publish folder.</param>
/// <param name="AppHost">The app host's relative path, if any: executable whatever its content, in its own layer.</param>
/// <param name="PublishedFiles">Item metadata of the published files.</param>
/// <param name="RuntimePackageIds">Package ids of the runtime packs.</param>
public sealed record PlatformInput(string RuntimeIdentifier, Platform? Platform, string PublishDirectory, string? AppHost,
    IReadOnlyList<PublishedFile> PublishedFiles, IReadOnlyList<string> RuntimePackageIds)
{
    /// <summary>
    /// The layers, given explicitly (the command line's <c>--layer</c>); when set, the publish folder is not read
    /// and its files are owned by root.
    /// </summary>
    public IReadOnlyList<LayerInput>? Layers { get; init; }

    /// <summary>The runtime identifier the app was published for, as its NuGet assets file names the target (<c>net10.0/linux-x64</c>); null for a publish without one.</summary>
    public string? AssetsRuntimeIdentifier { get; init; }
}
