using ContainerTasks.Model;

namespace ContainerTasks.Engines;

/// <summary>A local engine found for this build, reached through its API or, failing that, its CLI.</summary>
internal interface ILocalEngine
{
    /// <summary><c>docker</c> or <c>podman</c>, as messages name it ("loaded into podman").</summary>
    string Name { get; }

    /// <summary>Loads the images as a docker archive named <paramref name="names"/>; CT4108 with the engine's message when it refuses them.</summary>
    Task LoadAsync(IImageSet images, IReadOnlyList<ImageReference> names, DateTimeOffset time, CancellationToken cancellationToken);
}
