namespace ContainerTasks.DotNet;

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
internal static class EntrypointRules
{
    /// <summary>The result: null leaves the base value; an empty list clears it.</summary>
    public sealed record Resolution(IReadOnlyList<string>? Entrypoint, IReadOnlyList<string>? Cmd, IReadOnlyList<(string Code, string Message)> Warnings);

    /// <summary>Resolves ENTRYPOINT and CMD; contradictions are CT4101/CT4102.</summary>
    public static Resolution Resolve(EntrypointInputs inputs, IReadOnlyList<string>? baseEntrypoint)
    {
        var warnings = new List<(string, string)>();
        string instruction = Instruction(inputs);
        if (inputs.EntrypointArgs.Count > 0 && inputs.Entrypoint.Count == 0)
        {
            throw Conflict("ContainerEntrypointArgs are set but ContainerEntrypoint is not. Use ContainerAppCommandArgs (with ContainerAppCommand) instead.");
        }
        if (inputs.AppCommandArgs.Count > 0 && inputs.AppCommand.Count == 0)
        {
            throw Conflict("ContainerAppCommandArgs are set but ContainerAppCommand is not. Set ContainerAppCommand, or use ContainerDefaultArgs.");
        }
        if (inputs.Entrypoint.Count > 0 || inputs.EntrypointArgs.Count > 0)
        {
            warnings.Add((ErrorCodes.DeprecatedEntrypointItems,
                "ContainerEntrypoint and ContainerEntrypointArgs are deprecated. Use ContainerAppCommand, ContainerAppCommandArgs and ContainerDefaultArgs."));
        }

        bool baseIsDotnet = baseEntrypoint is ["dotnet"] or ["/usr/bin/dotnet"];
        bool baseHasEntrypoint = baseEntrypoint is { Count: > 0 } && !baseIsDotnet;
        var (entrypoint, cmd) = Apply(instruction, inputs, baseIsDotnet);
        if (baseHasEntrypoint && entrypoint is not null && !entrypoint.SequenceEqual(baseEntrypoint!))
        {
            warnings.Add((ErrorCodes.BaseEntrypointReplaced,
                $"The base image's ENTRYPOINT [{string.Join(", ", baseEntrypoint!)}] is replaced by [{string.Join(", ", entrypoint)}]. Set ContainerAppCommandInstruction=DefaultArgs to keep it and pass the app as its arguments."));
        }
        return new Resolution(entrypoint, cmd, warnings);
    }

    // ContainerAppCommandInstruction, or its default: DefaultArgs when deprecated ContainerEntrypoint items exist.
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

    private static (IReadOnlyList<string>? Entrypoint, IReadOnlyList<string>? Cmd) Apply(string instruction, EntrypointInputs inputs, bool baseIsDotnet)
    {
        switch (instruction)
        {
            case "Entrypoint":
                if (inputs.Entrypoint.Count > 0)
                {
                    throw Conflict("ContainerEntrypoint items are set while ContainerAppCommandInstruction is Entrypoint. Remove the ContainerEntrypoint items and use ContainerAppCommand.");
                }
                return ([.. inputs.AppCommand, .. inputs.AppCommandArgs], inputs.DefaultArgs.ToList());
            case "DefaultArgs":
                return (inputs.Entrypoint.Count > 0 ? [.. inputs.Entrypoint, .. inputs.EntrypointArgs] : baseIsDotnet ? [] : null,
                    [.. inputs.AppCommand, .. inputs.AppCommandArgs, .. inputs.DefaultArgs]);
            default:
                if (inputs.AppCommand.Count > 0)
                {
                    throw Conflict("ContainerAppCommand is set while ContainerAppCommandInstruction is None. Remove one of them.");
                }
                return (inputs.Entrypoint.Count > 0 ? [.. inputs.Entrypoint, .. inputs.EntrypointArgs] : null,
                    inputs.DefaultArgs.Count > 0 ? inputs.DefaultArgs.ToList() : null);
        }
    }

    private static ContainerTasksException Conflict(string message) => new(ErrorCodes.ConflictingEntrypoint, message);
}
