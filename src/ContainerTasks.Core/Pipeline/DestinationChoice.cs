using ContainerTasks.Engines;
using ContainerTasks.Outputs;

namespace ContainerTasks.Pipeline;

/// <summary>
/// Picks the one destination, in the documented order: an output named in skopeo's form (the command line), the
/// archive path, the registry, a local engine, else an archive in obj/ with CT4107.
/// </summary>
internal static class DestinationChoice
{
    public static async Task<ImageDestination> ChooseAsync(BuildRun run, CancellationToken cancellationToken)
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
        ILocalEngine? engine = await LocalEngines.FindAsync(request.LocalRegistry, request.EnvironmentSnapshot, run.Log.Detail, run.Log.Warning, cancellationToken).ConfigureAwait(false);
        return engine is not null ? new LocalEngineDestination(engine, run.ArchiveNames(), run.Time) : new FallbackArchiveDestination(run);
    }
}
