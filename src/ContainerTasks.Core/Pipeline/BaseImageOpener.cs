using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Sources;

namespace ContainerTasks.Pipeline;

/// <summary>Opens the build's base: a registry image through the build's registry session, anything else as a file source.</summary>
internal static class BaseImageOpener
{
    public static async Task<IImageSource> OpenAsync(BuildRun run, CancellationToken cancellationToken)
    {
        if (run.BaseReference is { } reference)
        {
            RegistryClient client = run.Registries.Client(reference.Registry, reference.Repository, RegistryRole.Pull);
            return new RegistryImageSource(reference, client, run.Store);
        }
        return await ImageSources.OpenAsync(run.Request.BaseImage, run.Store, cancellationToken).ConfigureAwait(false);
    }
}
