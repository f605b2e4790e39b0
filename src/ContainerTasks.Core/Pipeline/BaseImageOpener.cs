using ContainerTasks.Engines;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Sources;

namespace ContainerTasks.Pipeline;

/// <summary>
/// Opens the build's base: a registry image through the build's registry session, an image of the local engine
/// (<c>docker-daemon:NAME</c>) through the engine, anything else as a file source.
/// </summary>
internal static class BaseImageOpener
{
    public static async Task<IImageSource> OpenAsync(BuildRun run, CancellationToken cancellationToken)
    {
        if (run.BaseReference is { } reference)
        {
            RegistryClient client = run.Registries.Client(reference.Registry, reference.Repository, RegistryRole.Pull);
            return new RegistryImageSource(reference, client, run.Store);
        }
        string baseImage = run.Request.BaseImage;
        if (ImageSources.IsEngineSource(baseImage))
        {
            return await EngineImageSource.OpenAsync(baseImage[ImageSources.EnginePrefix.Length..], run.Request.LocalRegistry, run.Request.EnvironmentSnapshot, run.Store,
                run.Log.Detail, run.Log.Progress, cancellationToken).ConfigureAwait(false);
        }
        return await ImageSources.OpenAsync(baseImage, run.Store, cancellationToken).ConfigureAwait(false);
    }
}
