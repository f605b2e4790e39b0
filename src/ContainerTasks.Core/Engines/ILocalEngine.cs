using ContainerTasks.Model;

namespace ContainerTasks.Engines;

/// <summary>A local engine found for this build, reached through its API or, failing that, its CLI.</summary>
internal interface ILocalEngine
{
    /// <summary><c>docker</c> or <c>podman</c>, as messages name it ("loaded into podman").</summary>
    string Name { get; }

    /// <summary>Loads the images as a docker archive named <paramref name="names"/>; CT4108 with the engine's message when it refuses them.</summary>
    Task LoadAsync(IImageSet images, IReadOnlyList<ImageReference> names, DateTimeOffset time, CancellationToken cancellationToken);

    /// <summary>What the engine holds under <paramref name="name"/> (the engine resolves it: Podman's <c>localhost/</c> short names); null when it holds no such image. CT4132 when the engine cannot be asked.</summary>
    Task<EngineImage?> InspectAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Exports the image (by its id) in <c>docker save</c>'s format, handing the tar to <paramref name="read"/> as it arrives;
    /// CT4132 when the engine fails, or brings more than <paramref name="maxLength"/> bytes.
    /// </summary>
    Task ExportAsync(EngineImage image, long maxLength, Func<Stream, CancellationToken, Task> read, CancellationToken cancellationToken);
}
