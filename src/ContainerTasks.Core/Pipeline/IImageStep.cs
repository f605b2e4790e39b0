using ContainerTasks.Building;

namespace ContainerTasks.Pipeline;

/// <summary>A step that changes the image before a destination writes it (e.g. keeping blobs the registry already has).</summary>
internal interface IImageStep
{
    /// <summary>Returns the image to write: <paramref name="images"/> itself, or a changed copy.</summary>
    Task<ImageSet> RunAsync(ImageSet images, CancellationToken cancellationToken);
}
