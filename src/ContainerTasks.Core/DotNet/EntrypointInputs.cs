namespace ContainerTasks.DotNet;

/// <summary>The entrypoint and command settings of a project, as the SDK's container support names them.</summary>
/// <param name="Entrypoint"><c>ContainerEntrypoint</c> items (deprecated).</param>
/// <param name="EntrypointArgs"><c>ContainerEntrypointArgs</c> items (deprecated).</param>
/// <param name="AppCommand"><c>ContainerAppCommand</c> items: the app's command, e.g. <c>dotnet /app/app.dll</c>.</param>
/// <param name="AppCommandArgs"><c>ContainerAppCommandArgs</c> items: arguments always passed.</param>
/// <param name="DefaultArgs"><c>ContainerDefaultArgs</c> items: arguments a user can override (CMD).</param>
/// <param name="Instruction"><c>ContainerAppCommandInstruction</c>: Entrypoint, DefaultArgs or None; empty for the default.</param>
public sealed record EntrypointInputs(
    IReadOnlyList<string> Entrypoint,
    IReadOnlyList<string> EntrypointArgs,
    IReadOnlyList<string> AppCommand,
    IReadOnlyList<string> AppCommandArgs,
    IReadOnlyList<string> DefaultArgs,
    string? Instruction)
{
    /// <summary>Only an app command, as the defaults give.</summary>
    public static EntrypointInputs ForAppCommand(params string[] command) => new([], [], command, [], [], null);
}
