using ContainerTasks.Building;
using ContainerTasks.Model;
using ContainerTasks.Outputs;

namespace ContainerTasks.Pipeline;

/// <summary>An OCI image layout folder; other images and tags in it are kept.</summary>
internal sealed class OciLayoutDestination(string path, IReadOnlyList<ImageReference> names) : ImageDestination
{
    /// <summary>It is an OCI layout (in a tar, for an archive): documents about the image are listed in its <c>index.json</c>.</summary>
    public override bool HoldsArtifacts => true;

    public override async Task<Delivery> WriteAsync(ImageSet images, CancellationToken cancellationToken)
    {
        string written = await ImageOutput.WriteAsync(OutputKind.OciLayout, path, images, names, null, cancellationToken).ConfigureAwait(false);
        return new Delivery(images, null, $"written to {written}");
    }
}
