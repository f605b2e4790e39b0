using ContainerTasks.Building;
using ContainerTasks.DotNet;
using ContainerTasks.Outputs;

namespace ContainerTasks.Pipeline;

/// <summary>No destination at all: a plain tar in the build's folder (docker load, podman load and skopeo's docker-archive: all read it), with CT4107.</summary>
internal sealed class FallbackArchiveDestination(BuildRun run) : ImageDestination
{
    public override async Task<Delivery> WriteAsync(ImageSet images, CancellationToken cancellationToken)
    {
        ContainerBuildRequest request = run.Request;
        string archivePath = Path.Combine(Path.GetFullPath(request.FallbackArchiveDirectory), ArchiveOutputPaths.FileName(request.Repository));
        await ImageOutput.WriteAsync(OutputKind.DockerArchive, archivePath, images, run.ArchiveNames(), run.Time, cancellationToken).ConfigureAwait(false);
        run.Log.Warning(ErrorCodes.NoDestination,
            $"No ContainerRegistry, ContainerArchiveOutputPath or running Docker/Podman: the image was written to {archivePath}. Load it with 'docker load -i {archivePath}' or 'podman load -i …', push it with 'skopeo copy docker-archive:{archivePath} docker://REGISTRY/{request.Repository}:{request.Tags[0]}', or set ContainerRegistry to push directly.");
        return new Delivery(images, archivePath, $"written to {archivePath}");
    }
}
