using ContainerTasks.Outputs;

namespace ContainerTasks.Pipeline;

/// <summary>
/// Picks the one destination, in the documented order: an output named in skopeo's form (the command line), the
/// archive path, the registry, a local engine, else an archive in obj/ with CT4107.
/// </summary>
internal static class DestinationChoice
{
    public static ImageDestination Choose(BuildRun run)
    {
        ContainerBuildRequest request = run.Request;
        if (request.Output is { } output)
        {
            var (kind, path) = ImageOutput.Parse(output.Destination);
            return kind == OutputKind.OciLayout
                ? new OciLayoutDestination(path, output.Names)
                : new ArchiveDestination(kind, path, output.Names, run.Time);
        }
        if (run.ArchivePath is { } archivePath)
        {
            return new ArchiveDestination(OutputKind.DockerArchive, archivePath, run.ArchiveNames(), run.Time);
        }
        if (run.PushRegistry is { } registry)
        {
            return new RegistryDestination(run, registry);
        }
        if (LocalDaemon.Find(request.LocalRegistry, request.EnvironmentSnapshot) is { } daemon)
        {
            return new LocalEngineDestination(daemon, run.ArchiveNames(), run.Time);
        }
        if (!string.IsNullOrEmpty(request.LocalRegistry))
        {
            throw new ContainerTasksException(ErrorCodes.DaemonLoadFailed,
                $"LocalRegistry is {request.LocalRegistry}, but '{request.LocalRegistry.ToLowerInvariant()} info' does not answer: is the engine running? Or set ContainerRegistry or ContainerArchiveOutputPath instead.");
        }
        return new FallbackArchiveDestination(run);
    }
}
