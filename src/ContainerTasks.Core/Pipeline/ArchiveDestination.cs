using ContainerTasks.Building;
using ContainerTasks.Model;
using ContainerTasks.Outputs;

namespace ContainerTasks.Pipeline;

/// <summary>An archive file: a docker archive (<c>ContainerArchiveOutputPath</c>) or an OCI archive.</summary>
internal sealed class ArchiveDestination(OutputKind kind, string path, IReadOnlyList<ImageReference> names, DateTimeOffset time) : ImageDestination
{
    /// <summary>It is an OCI layout (in a tar, for an archive): documents about the image are listed in its <c>index.json</c>.</summary>
    public override bool HoldsArtifacts => true;

    public override async Task<Delivery> WriteAsync(ImageSet images, CancellationToken cancellationToken)
    {
        string written = await ImageOutput.WriteAsync(kind, path, images, names, time, cancellationToken).ConfigureAwait(false);
        return new Delivery(images, written, $"{Sizes.Format(new FileInfo(written).Length)} written to {written}");
    }
}
