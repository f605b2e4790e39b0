using ContainerTasks.DotNet;

namespace ContainerTasks.Tests;

public class EntrypointRulesTests
{
    private static EntrypointInputs Inputs(string[]? entrypoint = null, string[]? appCommand = null, string[]? appArgs = null, string[]? defaultArgs = null, string? instruction = null)
        => new(entrypoint ?? [], [], appCommand ?? [], appArgs ?? [], defaultArgs ?? [], instruction);

    [Fact]
    public void By_default_the_app_command_is_the_entrypoint_and_default_args_the_cmd()
    {
        var result = EntrypointRules.Resolve(Inputs(appCommand: ["dotnet", "app.dll"], appArgs: ["--x"], defaultArgs: ["run"]), ["dotnet"]);
        Assert.Equal(["dotnet", "app.dll", "--x"], result.Entrypoint);
        Assert.Equal(["run"], result.Cmd);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void DefaultArgs_keeps_a_base_entrypoint_and_clears_a_dotnet_one()
    {
        var kept = EntrypointRules.Resolve(Inputs(appCommand: ["/app/app"], instruction: "defaultargs"), ["/tini", "--"]);
        Assert.Null(kept.Entrypoint);
        Assert.Equal(["/app/app"], kept.Cmd);
        var cleared = EntrypointRules.Resolve(Inputs(appCommand: ["/app/app"], instruction: "DefaultArgs"), ["dotnet"]);
        Assert.Equal([], cleared.Entrypoint);
    }

    [Fact]
    public void Deprecated_entrypoint_items_default_to_DefaultArgs_with_a_warning()
    {
        var result = EntrypointRules.Resolve(Inputs(entrypoint: ["/bin/sh"], appCommand: ["app"]), null);
        Assert.Equal(["/bin/sh"], result.Entrypoint);
        Assert.Equal(["app"], result.Cmd);
        Assert.Equal(["CT4103"], result.Warnings.Select(w => w.Code));
    }

    [Fact]
    public void None_takes_default_args_only_and_a_replaced_base_entrypoint_warns()
    {
        var none = EntrypointRules.Resolve(Inputs(defaultArgs: ["a"], instruction: "None"), ["/tini"]);
        Assert.Null(none.Entrypoint);
        Assert.Equal(["a"], none.Cmd);
        var replaced = EntrypointRules.Resolve(Inputs(appCommand: ["/app/app"]), ["/tini"]);
        Assert.Equal(["CT4104"], replaced.Warnings.Select(w => w.Code));
    }

    [Fact]
    public void Contradictions_and_unknown_instructions_are_errors()
    {
        Assert.Equal("CT4101", Assert.Throws<ContainerTasksException>(() => EntrypointRules.Resolve(Inputs(instruction: "later"), null)).Code);
        Assert.Equal("CT4102", Assert.Throws<ContainerTasksException>(() => EntrypointRules.Resolve(Inputs(appCommand: ["x"], instruction: "None"), null)).Code);
        Assert.Equal("CT4102", Assert.Throws<ContainerTasksException>(() => EntrypointRules.Resolve(Inputs(entrypoint: ["x"], instruction: "Entrypoint"), null)).Code);
        Assert.Equal("CT4102", Assert.Throws<ContainerTasksException>(() => EntrypointRules.Resolve(Inputs(appArgs: ["x"]), null)).Code);
    }
}
