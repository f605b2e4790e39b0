using ContainerTasks.Building;
using ContainerTasks.Model;
using ContainerTasks.Outputs;

namespace ContainerTasks.Pipeline;

/// <summary>An OCI image layout folder; other images and tags in it are kept.</summary>
internal sealed class OciLayoutDestination(string path, IReadOnlyList<ImageReference> names) : ImageDestination
{
    public override async Task<Delivery> WriteAsync(ImageSet images, CancellationToken cancellationToken)
    {
        string written = await ImageOutput.WriteAsync(OutputKind.OciLayout, path, images, names, null, cancellationToken).ConfigureAwait(false);
        return new Delivery(images, null, $"written to {written}");
    }
}
