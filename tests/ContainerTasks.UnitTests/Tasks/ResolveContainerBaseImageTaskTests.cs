using ContainerTasks.MSBuild;
using ContainerTasks.Tests.Infrastructure;
using Microsoft.Build.Utilities;

namespace ContainerTasks.Tests.Tasks;

/// <summary>The base image inference task run in-process, as the targets call it.</summary>
public sealed class ResolveContainerBaseImageTaskTests
{
    [Theory]
    [InlineData("Microsoft.AspNetCore.App", false, "mcr.microsoft.com/dotnet/aspnet:10.0")]
    [InlineData("Microsoft.NETCore.App", false, "mcr.microsoft.com/dotnet/runtime:10.0")]
    [InlineData("Microsoft.NETCore.App", true, "mcr.microsoft.com/dotnet/runtime-deps:10.0")]
    public void The_base_follows_the_framework_and_self_contained(string framework, bool selfContained, string expected)
    {
        var engine = new RecordingBuildEngine();
        var task = new ResolveContainerBaseImage
        {
            BuildEngine = engine,
            SdkVersion = "10.0.100",
            TargetFrameworkVersion = "10.0",
            FrameworkReferences = [new TaskItem(framework)],
            RuntimeIdentifier = "linux-x64",
            SelfContained = selfContained,
        };
        Assert.True(task.Execute(), string.Join("\n", engine.AllText));
        Assert.Equal(expected, task.ComputedBaseImage);
    }

    [Fact]
    public void A_family_that_is_not_a_tag_is_a_coded_error()
    {
        var engine = new RecordingBuildEngine();
        var task = new ResolveContainerBaseImage
        {
            BuildEngine = engine,
            SdkVersion = "10.0.100",
            TargetFrameworkVersion = "10.0",
            RuntimeIdentifier = "linux-x64",
            ContainerFamily = "not a tag!",
        };
        Assert.False(task.Execute());
        Assert.StartsWith("CT", Assert.Single(engine.Errors).Code, StringComparison.Ordinal);
    }
}
