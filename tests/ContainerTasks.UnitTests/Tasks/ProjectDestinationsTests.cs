using ContainerTasks.MSBuild;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests.Tasks;

/// <summary>Which other projects of a solution build are asked where their image goes, and when two would write one name or file.</summary>
public sealed class ProjectDestinationsTests
{
    [Fact]
    public void Only_projects_whose_files_mention_ContainerTasks_are_asked_where_their_image_goes()
    {
        using var dir = new TempDirectory();
        void WriteFile(string path, string text)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }
        WriteFile(dir["plain/Plain.csproj"], "<Project Sdk=\"Microsoft.NET.Sdk\" />");
        WriteFile(dir["direct/Direct.csproj"], "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><PackageReference Include=\"ContainerTasks\" /></ItemGroup></Project>");
        WriteFile(dir["team/Directory.Build.props"], "<Project><ItemGroup><PackageReference Include=\"containertasks\" Version=\"1.0.0\" /></ItemGroup></Project>");
        WriteFile(dir["team/apps/api/Api.csproj"], "<Project Sdk=\"Microsoft.NET.Sdk.Web\" />");
        Assert.False(ProjectDestinations.MayUseContainerTasks(dir["plain/Plain.csproj"]));
        Assert.True(ProjectDestinations.MayUseContainerTasks(dir["direct/Direct.csproj"]));
        Assert.True(ProjectDestinations.MayUseContainerTasks(dir["team/apps/api/Api.csproj"]));
    }

    [Fact]
    public void Clashes_are_names_or_archive_files_written_by_two_projects()
    {
        string root = Path.Combine(Path.GetTempPath(), "ct-dest");
        ProjectDestination Project(string name, string repository, string? tags = null, string? registry = "registry.example", string? archive = null)
            => new(Path.Combine(root, name, name + ".csproj"), Path.Combine(root, name), repository, null, tags, registry, archive);

        var self = Project("api", "shop/api", "1.0;latest");
        // Different repositories, or the same repository with other tags, or another registry: no clash.
        ProjectDestinations.ThrowOnClash(self, [Project("worker", "shop/worker", "1.0;latest"), Project("api2", "shop/api", "2.0"), Project("api3", "shop/api", "1.0", "other.example")]);
        // The project itself (as the solution lists it) is not another project.
        ProjectDestinations.ThrowOnClash(self, [Project("api", "shop/api", "1.0;latest")]);

        var error = Assert.Throws<ContainerTasksException>(() => ProjectDestinations.ThrowOnClash(self, [Project("worker", "Shop/API", "latest")]));
        Assert.Equal("CT4118", error.Code);
        Assert.Contains("registry.example/shop/api:latest", error.Message);
        Assert.DoesNotContain("registry.example/shop/api:1.0", error.Message);
        // Default tags: both "latest".
        Assert.Throws<ContainerTasksException>(() => ProjectDestinations.ThrowOnClash(Project("x", "same"), [Project("y", "same")]));

        // Archives: the same file (a folder named by the repository, or one relative path from two folders).
        string shared = Path.Combine(root, "images") + "/";
        Assert.Throws<ContainerTasksException>(() => ProjectDestinations.ThrowOnClash(Project("x", "same", archive: shared), [Project("y", "same", archive: shared)]));
        ProjectDestinations.ThrowOnClash(Project("x", "one", archive: shared), [Project("y", "two", archive: shared)]);
        ProjectDestinations.ThrowOnClash(Project("x", "same", archive: "out/"), [Project("y", "same", archive: "out/")]);
        Assert.Throws<ContainerTasksException>(() => ProjectDestinations.ThrowOnClash(Project("x", "one", archive: "../image.tar"), [Project("y", "two", archive: "../image.tar")]));
    }
}
