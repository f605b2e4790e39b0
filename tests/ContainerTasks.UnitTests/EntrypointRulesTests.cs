using ContainerTasks.DotNet;

namespace ContainerTasks.Tests;

/// <summary>ENTRYPOINT and CMD from the SDK's item names, against the rules the SDK documents.</summary>
public sealed class EntrypointRulesTests
{
    private static EntrypointInputs Inputs(string[]? entrypoint = null, string[]? entrypointArgs = null, string[]? command = null,
        string[]? commandArgs = null, string[]? defaultArgs = null, string? instruction = null)
        => new(entrypoint ?? [], entrypointArgs ?? [], command ?? [], commandArgs ?? [], defaultArgs ?? [], instruction);

    [Fact]
    public void By_default_the_app_command_and_its_args_are_the_entrypoint_and_default_args_the_cmd()
    {
        var result = EntrypointRules.Resolve(Inputs(command: ["dotnet", "app.dll"], commandArgs: ["--urls", "x"], defaultArgs: ["--verbose"]), null);
        Assert.Equal(["dotnet", "app.dll", "--urls", "x"], result.Entrypoint);
        Assert.Equal(["--verbose"], result.Cmd);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void DefaultArgs_keeps_the_base_entrypoint_and_passes_the_app_as_cmd()
    {
        var result = EntrypointRules.Resolve(Inputs(command: ["/app/app"], defaultArgs: ["-v"], instruction: "defaultargs"), ["/tini", "--"]);
        Assert.Null(result.Entrypoint);
        Assert.Equal(["/app/app", "-v"], result.Cmd);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void A_base_entrypoint_of_just_dotnet_is_dropped_under_DefaultArgs()
    {
        var result = EntrypointRules.Resolve(Inputs(command: ["dotnet", "app.dll"], instruction: "DefaultArgs"), ["dotnet"]);
        Assert.Equal([], result.Entrypoint);
        Assert.Equal(["dotnet", "app.dll"], result.Cmd);
    }

    [Fact]
    public void Deprecated_entrypoint_items_default_to_DefaultArgs_with_a_warning()
    {
        var result = EntrypointRules.Resolve(Inputs(entrypoint: ["/bin/sh"], entrypointArgs: ["-c"], command: ["run"]), null);
        Assert.Equal(["/bin/sh", "-c"], result.Entrypoint);
        Assert.Equal(["run"], result.Cmd);
        Assert.Equal([ErrorCodes.DeprecatedEntrypointItems], result.Warnings.Select(w => w.Code));
    }

    [Fact]
    public void None_leaves_the_base_values_when_nothing_is_set()
    {
        var result = EntrypointRules.Resolve(Inputs(instruction: "None"), ["/entry"]);
        Assert.Null(result.Entrypoint);
        Assert.Null(result.Cmd);
    }

    [Fact]
    public void Replacing_another_base_entrypoint_is_a_warning()
    {
        var result = EntrypointRules.Resolve(Inputs(command: ["/app/app"]), ["/tini", "--"]);
        Assert.Equal(["/app/app"], result.Entrypoint);
        var (code, message) = Assert.Single(result.Warnings);
        Assert.Equal(ErrorCodes.BaseEntrypointReplaced, code);
        Assert.Contains("ContainerAppCommandInstruction=DefaultArgs", message);
    }

    public static TheoryData<string, string> Contradictions => new()
    {
        { "args-without-entrypoint", ErrorCodes.ConflictingEntrypoint },
        { "args-without-command", ErrorCodes.ConflictingEntrypoint },
        { "entrypoint-items-under-Entrypoint", ErrorCodes.ConflictingEntrypoint },
        { "command-under-None", ErrorCodes.ConflictingEntrypoint },
        { "unknown-instruction", ErrorCodes.UnknownAppCommandInstruction },
    };

    [Theory]
    [MemberData(nameof(Contradictions))]
    public void Contradictions_are_coded_errors(string contradiction, string code)
    {
        EntrypointInputs inputs = contradiction switch
        {
            "args-without-entrypoint" => Inputs(entrypointArgs: ["-c"]),
            "args-without-command" => Inputs(commandArgs: ["-v"]),
            "entrypoint-items-under-Entrypoint" => Inputs(entrypoint: ["/bin/sh"], instruction: "Entrypoint"),
            "command-under-None" => Inputs(command: ["/app/app"], instruction: "None"),
            _ => Inputs(instruction: "Cmd"),
        };
        var error = Assert.Throws<ContainerTasksException>(() => EntrypointRules.Resolve(inputs, null));
        Assert.Equal(code, error.Code);
    }
}
