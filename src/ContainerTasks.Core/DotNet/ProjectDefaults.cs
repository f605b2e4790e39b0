namespace ContainerTasks.DotNet;

/// <summary>
/// The settings a project left to their defaults that differ between Linux and Windows images, so that each platform
/// of a publish mixing both gets its own: the working directory (<c>/app/</c> or <c>C:\app\</c>), the app command
/// built on it (the app host, with <c>.exe</c> on Windows, or <c>dotnet</c> and the app's dll) and, on Microsoft's
/// Windows images, the user <c>ContainerUser</c>. Set settings are used as given on every platform.
/// </summary>
/// <param name="WorkingDirectory">True when <c>ContainerWorkingDirectory</c> was not set.</param>
/// <param name="AppCommand">True when <c>ContainerAppCommand</c> was not set (and the instruction is not <c>None</c>).</param>
/// <param name="SelfContained">A self-contained app: the command is its app host.</param>
/// <param name="AssemblyName">The app host's name without an extension.</param>
/// <param name="TargetFileName">The app's dll, e.g. <c>App.dll</c>.</param>
/// <param name="WindowsUser">The user of Windows images when <c>ContainerUser</c> was not set (<c>ContainerUser</c> on Microsoft's images); null: the base's.</param>
public sealed record ProjectDefaults(bool WorkingDirectory, bool AppCommand, bool SelfContained, string AssemblyName, string TargetFileName, string? WindowsUser)
{
    /// <summary>The working directory of Linux images.</summary>
    public const string LinuxWorkingDirectory = "/app/";

    /// <summary>The working directory of Windows images.</summary>
    public const string WindowsWorkingDirectory = @"C:\app\";

    /// <summary>The working directory of a platform: as set, or the default of its system.</summary>
    public string WorkingDirectoryFor(string given, bool windows)
        => WorkingDirectory ? (windows ? WindowsWorkingDirectory : LinuxWorkingDirectory) : given;

    /// <summary>The app command of a platform: as set, or the default built on its working directory.</summary>
    public IReadOnlyList<string> AppCommandFor(IReadOnlyList<string> given, string workingDirectory, bool windows)
    {
        if (!AppCommand)
        {
            return given;
        }
        // "/app" and "/app/" mean the same folder; the command needs the separator (WORKDIR keeps the value as given).
        char separator = windows && !workingDirectory.Contains('/') ? '\\' : '/';
        string folder = workingDirectory.EndsWith('/') || workingDirectory.EndsWith('\\') ? workingDirectory : workingDirectory + separator;
        return SelfContained ? [folder + AssemblyName + (windows ? ".exe" : "")] : ["dotnet", folder + TargetFileName];
    }

    /// <summary>The user of a platform: as set, else on Windows <see cref="WindowsUser"/>, else none (the base's, or its APP_UID).</summary>
    public string? UserFor(string? given, bool windows) => given ?? (windows ? WindowsUser : null);
}
