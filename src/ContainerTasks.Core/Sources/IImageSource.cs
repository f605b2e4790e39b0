using ContainerTasks.Model;

namespace ContainerTasks.Sources;

/// <summary>A place base images are read from: an OCI layout, an OCI or docker archive, scratch, a registry.</summary>
internal interface IImageSource
{
    /// <summary>Resolves the source's image for <paramref name="platform"/> (an index is narrowed to that platform).</summary>
    Task<SourceImage> GetImageAsync(Platform? platform, CancellationToken cancellationToken = default);
}
