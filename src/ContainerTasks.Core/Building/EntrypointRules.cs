namespace ContainerTasks.Building;

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

/// <summary>
/// Turns the entrypoint settings into the image's ENTRYPOINT and CMD with the SDK's rules:
/// <list type="bullet">
/// <item><c>Entrypoint</c> (the default): ENTRYPOINT = app command + its args; CMD = default args.</item>
/// <item><c>DefaultArgs</c> (the default when deprecated <c>ContainerEntrypoint</c> items exist): ENTRYPOINT = those items
/// (or the base's); CMD = app command + its args + default args.</item>
/// <item><c>None</c>: no app command; ENTRYPOINT and CMD from the entrypoint items and default args, else the base's.</item>
/// </list>
/// A base ENTRYPOINT of just <c>dotnet</c> is dropped (it would run the app twice); any other base ENTRYPOINT that is
/// replaced gives a warning.
/// </summary>
public static class EntrypointRules
{
    /// <summary>The result: null leaves the base value; an empty list clears it.</summary>
    public sealed record Resolution(IReadOnlyList<string>? Entrypoint, IReadOnlyList<string>? Cmd, IReadOnlyList<(string Code, string Message)> Warnings);

    /// <summary>Resolves ENTRYPOINT and CMD; contradictions are CT4101/CT4102.</summary>
    public static Resolution Resolve(EntrypointInputs inputs, IReadOnlyList<string>? baseEntrypoint)
    {
        string instruction = Instruction(inputs);
        var warnings = CheckItems(inputs);
        bool baseIsDotnet = baseEntrypoint is ["dotnet"] or ["/usr/bin/dotnet"];
        var (entrypoint, cmd) = instruction switch
        {
            "Entrypoint" => AppAsEntrypoint(inputs),
            "DefaultArgs" => AppAsDefaultArgs(inputs, baseIsDotnet),
            _ => NoApp(inputs),
        };
        if (baseEntrypoint is { Count: > 0 } && !baseIsDotnet && entrypoint is not null && !entrypoint.SequenceEqual(baseEntrypoint))
        {
            warnings.Add((ErrorCodes.BaseEntrypointReplaced,
                $"The base image's ENTRYPOINT [{string.Join(", ", baseEntrypoint)}] is replaced by [{string.Join(", ", entrypoint)}]. Set ContainerAppCommandInstruction=DefaultArgs to keep it and pass the app as its arguments."));
        }
        return new Resolution(entrypoint, cmd, warnings);
    }

    // Entrypoint, DefaultArgs or None; the default is DefaultArgs when deprecated ContainerEntrypoint items exist.
    private static string Instruction(EntrypointInputs inputs)
    {
        string instruction = string.IsNullOrWhiteSpace(inputs.Instruction)
            ? (inputs.Entrypoint.Count > 0 ? "DefaultArgs" : "Entrypoint")
            : inputs.Instruction.Trim();
        return instruction.ToLowerInvariant() switch
        {
            "entrypoint" => "Entrypoint",
            "defaultargs" => "DefaultArgs",
            "none" => "None",
            _ => throw new ContainerTasksException(ErrorCodes.UnknownAppCommandInstruction,
                $"ContainerAppCommandInstruction is '{inputs.Instruction}'. Use Entrypoint (the default), DefaultArgs or None."),
        };
    }

    // Arguments without their command are contradictions; the deprecated items are a warning.
    private static List<(string Code, string Message)> CheckItems(EntrypointInputs inputs)
    {
        if (inputs.EntrypointArgs.Count > 0 && inputs.Entrypoint.Count == 0)
        {
            throw Conflict("ContainerEntrypointArgs are set but ContainerEntrypoint is not. Use ContainerAppCommandArgs (with ContainerAppCommand) instead.");
        }
        if (inputs.AppCommandArgs.Count > 0 && inputs.AppCommand.Count == 0)
        {
            throw Conflict("ContainerAppCommandArgs are set but ContainerAppCommand is not. Set ContainerAppCommand, or use ContainerDefaultArgs.");
        }
        var warnings = new List<(string, string)>();
        if (inputs.Entrypoint.Count > 0 || inputs.EntrypointArgs.Count > 0)
        {
            warnings.Add((ErrorCodes.DeprecatedEntrypointItems,
                "ContainerEntrypoint and ContainerEntrypointArgs are deprecated. Use ContainerAppCommand, ContainerAppCommandArgs and ContainerDefaultArgs."));
        }
        return warnings;
    }

    private static (IReadOnlyList<string>? Entrypoint, IReadOnlyList<string>? Cmd) AppAsEntrypoint(EntrypointInputs inputs)
    {
        if (inputs.Entrypoint.Count > 0)
        {
            throw Conflict("ContainerEntrypoint items are set while ContainerAppCommandInstruction is Entrypoint. Remove the ContainerEntrypoint items and use ContainerAppCommand.");
        }
        return ([.. inputs.AppCommand, .. inputs.AppCommandArgs], inputs.DefaultArgs.ToList());
    }

    // A base ENTRYPOINT of just dotnet is dropped: with the app command as CMD it would run dotnet twice.
    private static (IReadOnlyList<string>? Entrypoint, IReadOnlyList<string>? Cmd) AppAsDefaultArgs(EntrypointInputs inputs, bool baseIsDotnet)
        => (inputs.Entrypoint.Count > 0 ? [.. inputs.Entrypoint, .. inputs.EntrypointArgs] : baseIsDotnet ? [] : null,
            [.. inputs.AppCommand, .. inputs.AppCommandArgs, .. inputs.DefaultArgs]);

    private static (IReadOnlyList<string>? Entrypoint, IReadOnlyList<string>? Cmd) NoApp(EntrypointInputs inputs)
    {
        if (inputs.AppCommand.Count > 0)
        {
            throw Conflict("ContainerAppCommand is set while ContainerAppCommandInstruction is None. Remove one of them.");
        }
        return (inputs.Entrypoint.Count > 0 ? [.. inputs.Entrypoint, .. inputs.EntrypointArgs] : null, inputs.DefaultArgs.Count > 0 ? inputs.DefaultArgs.ToList() : null);
    }

    private static ContainerTasksException Conflict(string message) => new(ErrorCodes.ConflictingEntrypoint, message);
}
