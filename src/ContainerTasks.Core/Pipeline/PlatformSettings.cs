using ContainerTasks.DotNet;
using ContainerTasks.Layers;

namespace ContainerTasks.Pipeline;

/// <summary>
/// The request's settings for one platform: a Windows platform gets its own defaults (<see cref="ProjectDefaults"/>)
/// and Windows layers.
/// </summary>
/// <param name="Windows">A Windows image.</param>
/// <param name="WorkingDirectory">The working directory, as the config gets it.</param>
/// <param name="Entrypoint">The entrypoint settings, with the app command of this platform.</param>
/// <param name="User">The user, or null for the base's.</param>
internal sealed record PlatformSettings(bool Windows, string WorkingDirectory, EntrypointInputs Entrypoint, string? User)
{
    /// <summary>The settings of a platform of <paramref name="request"/>.</summary>
    public static PlatformSettings For(ContainerBuildRequest request, bool windows)
    {
        if (request.Defaults is not { } defaults)
        {
            return new PlatformSettings(windows, request.WorkingDirectory, request.Entrypoint, request.User);
        }
        string workingDirectory = defaults.WorkingDirectoryFor(request.WorkingDirectory, windows);
        EntrypointInputs entrypoint = request.Entrypoint with { AppCommand = defaults.AppCommandFor(request.Entrypoint.AppCommand, workingDirectory, windows) };
        return new PlatformSettings(windows, workingDirectory, entrypoint, defaults.UserFor(request.User, windows));
    }

    /// <summary>The folder the publish output goes to, as a layer path with slashes (<c>/app/</c>, <c>/C:/app/</c>).</summary>
    public string LayerDirectory => "/" + LayerPath.Normalize(WorkingDirectory) + "/";
}
