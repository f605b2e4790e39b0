using ContainerTasks.Building;
using ContainerTasks.Model;
using ContainerTasks.Outputs;

namespace ContainerTasks.Pipeline;

/// <summary>A local Docker or Podman: the image goes in through <c>load</c> of a docker archive.</summary>
internal sealed class LocalEngineDestination(LocalDaemon daemon, IReadOnlyList<ImageReference> names, DateTimeOffset time) : ImageDestination
{
    public override async Task<Delivery> WriteAsync(ImageSet images, CancellationToken cancellationToken)
    {
        // An owner-only folder (mkdtemp, 0700): the app's layers are nobody else's to read on a shared machine.
        string folder = Directory.CreateTempSubdirectory("containertasks-").FullName;
        try
        {
            string temp = Path.Combine(folder, "image.tar");
            await ImageOutput.WriteAsync(OutputKind.DockerArchive, temp, images, names, time, cancellationToken).ConfigureAwait(false);
            daemon.Load(temp, cancellationToken);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        return new Delivery(images, null, $"loaded into {daemon.Command}");
    }
}
