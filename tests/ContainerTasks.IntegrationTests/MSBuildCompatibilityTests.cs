using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>
/// The package's props and targets evaluated by an older MSBuild engine (17.7, older than the .NET 8 SDK's 17.8):
/// property functions that engine does not allow would fail here, not in a user's build.
/// </summary>
public sealed class MSBuildCompatibilityTests
{
    [Fact]
    public void The_package_targets_evaluate_in_msbuild_17_7_and_pick_the_task_folder_of_the_running_dotnet()
    {
        string tool = Path.Combine(Repo.Root, "tests", "ContainerTasks.MSBuildCompat", "bin", "Release", "net8.0", "ContainerTasks.MSBuildCompat.dll");
        Assert.True(File.Exists(tool), $"{tool} is missing: build the solution in Release first (build/test.sh does)");
        var result = Run.Process("dotnet", [tool, Path.Combine(Repo.Root, "src", "ContainerTasks", "build"),
            "_ContainerTasksFramework", "_ContainerTasksAssembly", "EnableSdkContainerSupport", "ContainerWorkingDirectory"]);
        result.EnsureSuccess("evaluation with MSBuild 17.7");
        var values = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.StartsWith("17.7.", values["engine"]);
        Assert.Equal($"net{Environment.Version.Major}.0", values["_ContainerTasksFramework"]);
        Assert.EndsWith(Path.Combine("tasks", $"net{Environment.Version.Major}.0", "ContainerTasks.MSBuild.dll"), values["_ContainerTasksAssembly"].Replace('\\', Path.DirectorySeparatorChar));
        Assert.Equal("true", values["EnableSdkContainerSupport"]);
        Assert.Equal("/app/", values["ContainerWorkingDirectory"]);
    }
}
