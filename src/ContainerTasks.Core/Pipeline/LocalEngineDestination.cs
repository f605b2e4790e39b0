using ContainerTasks.Building;
using ContainerTasks.Engines;
using ContainerTasks.Model;

namespace ContainerTasks.Pipeline;

/// <summary>A local Docker or Podman: the image goes in as a docker archive, through the engine's API or its CLI.</summary>
internal sealed class LocalEngineDestination(ILocalEngine engine, IReadOnlyList<ImageReference> names, DateTimeOffset time) : ImageDestination
{
    public override async Task<Delivery> WriteAsync(ImageSet images, CancellationToken cancellationToken)
    {
        await engine.LoadAsync(images, names, time, cancellationToken).ConfigureAwait(false);
        return new Delivery(images, null, $"loaded into {engine.Name}");
    }
}
