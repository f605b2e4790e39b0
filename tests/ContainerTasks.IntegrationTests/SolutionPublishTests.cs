using ContainerTasks.DotNet;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>Publishing a solution of several containerised projects: one image each, and no two on one name.</summary>
[Collection(ImageCollection.Name)]
public sealed class SolutionPublishTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>
{
    /// <summary>A solution (format "sln" or "slnx") holding two copies of the console sample, in folders a and b.</summary>
    private (string Solution, string ProjectA, string ProjectB) MakeSolution(TempDirectory dir, string format, string repositoryA, string repositoryB)
    {
        string a = feed.CopySample("HelloContainer", dir["a"]);
        string b = feed.CopySample("HelloContainer", dir["b"]);
        SetRepository(a, repositoryA);
        SetRepository(b, repositoryB);
        File.Copy(Path.Combine(dir["a"], "nuget.config"), Path.Combine(dir.Path, "nuget.config"));
        File.WriteAllText(Path.Combine(dir.Path, "Directory.Build.props"), "<Project />");
        Run.Process("dotnet", ["new", "sln", "-n", "Two", "--format", format, "-o", dir.Path], environment: feed.BuildEnvironment(null)).EnsureSuccess("dotnet new sln");
        string solution = Path.Combine(dir.Path, "Two." + format);
        Run.Process("dotnet", ["sln", solution, "add", a, b], environment: feed.BuildEnvironment(null)).EnsureSuccess("dotnet sln add");
        return (solution, a, b);
    }

    private static void SetRepository(string project, string repository)
    {
        string text = File.ReadAllText(project);
        Assert.Contains("<ContainerRepository>samples/hello-container</ContainerRepository>", text);
        File.WriteAllText(project, text.Replace("<ContainerRepository>samples/hello-container</ContainerRepository>",
            $"<ContainerRepository>{repository}</ContainerRepository>", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Two_projects_with_one_repository_in_a_solution_fail_with_CT4118_and_push_nothing()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        using var dir = new TempDirectory();
        string repository = RegistryServer.NewRepository("twins");
        var (solution, _, _) = MakeSolution(dir, "slnx", repository, repository);

        var result = feed.Dotnet(["publish", solution, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}"]);

        Assert.NotEqual(0, result.ExitCode);
        string output = result.StandardOutput + result.StandardError;
        Assert.Contains("error CT4118", output);
        Assert.Contains($"{server.Host}/{repository}:latest", output);
        Assert.Contains(Path.Combine(dir["a"], "HelloContainer.csproj"), output);
        Assert.Contains(Path.Combine(dir["b"], "HelloContainer.csproj"), output);
        Assert.DoesNotContain("MSB4018", output);
        Assert.DoesNotContain("   at ", output);
        // Both projects stopped before pushing anything.
        Assert.DoesNotContain(server.AccessLog(repository), e => e.Method is "PUT" or "POST" or "PATCH");
    }

    [Fact]
    public async Task Two_projects_whose_relative_archive_paths_name_one_file_fail_with_CT4118()
    {
        string baseImage = await RuntimeBases.GetAsync(http.Server, bases, "dotnet");
        using var dir = new TempDirectory();
        var (solution, _, _) = MakeSolution(dir, "slnx", "samples/twin", "samples/twin");
        // "../images/" from a/ and from b/ is one folder, so one archive file: each path is resolved against its own project.
        var result = feed.Dotnet(["publish", solution, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            "-p:ContainerArchiveOutputPath=../images/", $"-p:ContainerBaseImage={baseImage}"]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error CT4118", result.StandardOutput + result.StandardError);
        Assert.Contains(Path.Combine(dir.Path, "images", "samples-twin.tar"), result.StandardOutput + result.StandardError);
    }

    [Fact]
    public async Task Two_projects_with_their_own_repositories_in_a_solution_publish_both_images()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        using var dir = new TempDirectory();
        string repositoryA = RegistryServer.NewRepository("solution-a");
        string repositoryB = RegistryServer.NewRepository("solution-b");
        var (solution, projectA, projectB) = MakeSolution(dir, "sln", repositoryA, repositoryB);
        // The same tag in both projects is fine: the names differ by repository.
        var result = feed.Dotnet(["publish", solution, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}", "-p:ContainerImageTags=1.0"]);
        result.EnsureSuccess("dotnet publish of a solution with two containerised projects");
        Assert.DoesNotContain("CT4118", result.StandardOutput);
        Assert.Contains($"{server.Host}/{repositoryA}:1.0@sha256:", result.StandardOutput);
        Assert.Contains($"{server.Host}/{repositoryB}:1.0@sha256:", result.StandardOutput);

        // Both images are there (they differ: the compiler writes each project's own path into its assembly).
        string digestA = Run.Checked("skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", $"docker://{server.Reference(repositoryA + ":1.0")}").Trim();
        string digestB = Run.Checked("skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", $"docker://{server.Reference(repositoryB + ":1.0")}").Trim();
        Assert.StartsWith("sha256:", digestA);
        Assert.StartsWith("sha256:", digestB);
        // Base layers are mounted from the base's repository, never uploaded.
        foreach (string repository in new[] { repositoryA, repositoryB })
        {
            Assert.Contains(server.AccessLog(repository), e => e.Method == "POST" && e.Query?.Contains("mount=", StringComparison.Ordinal) == true);
        }
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(projectA)!, "bin", "Release", "net10.0", "publish", "HelloContainer.dll")));
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(projectB)!, "bin", "Release", "net10.0", "publish", "HelloContainer.dll")));
    }
}
