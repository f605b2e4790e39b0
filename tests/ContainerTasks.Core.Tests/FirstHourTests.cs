using System.Text.RegularExpressions;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>
/// A newcomer's first hour: install from the feed, publish, make the usual mistakes, read the output. Every publish
/// builds on <c>scratch</c> (nothing to pull) and reads what the console and the terminal logger print.
/// </summary>
[Collection(ImageCollection.Name)]
public sealed class FirstHourTests(PackageFeed feed) : IClassFixture<PackageFeed>
{
    private ProcessResult Publish(string project, IEnumerable<string> extra, IDictionary<string, string?>? environment = null)
        => feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            "-p:ContainerBaseImage=scratch", .. extra], environment);

    [Fact]
    public void The_package_names_its_source_and_readme_and_an_error_links_to_its_row_in_docs_errors()
    {
        using var dir = new TempDirectory();
        System.IO.Compression.ZipFile.ExtractToDirectory(Path.Combine(feed.FeedDirectory, $"ContainerTasks.{feed.Version}.nupkg"), dir["package"]);
        string nuspec = File.ReadAllText(Directory.EnumerateFiles(dir["package"], "*.nuspec").Single());
        string projectUrl = Regex.Match(nuspec, "<projectUrl>(https://[^<]+)</projectUrl>").Groups[1].Value;
        Assert.NotEqual("", projectUrl);
        Assert.Matches("<repository type=\"git\" url=\"https://[^\"]+\"", nuspec);
        Assert.Contains("<readme>README.md</readme>", nuspec);
        Assert.Contains("dotnet add package ContainerTasks --prerelease", File.ReadAllText(dir["package/README.md"]));

        string project = feed.CopySample("HelloContainer", dir["app"]);
        // The terminal logger renders an error's help link as a hyperlink on its code.
        var result = Publish(project, ["-p:ContainerImageFormat=Zip", "-tl:on"]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("CT4109", result.StandardOutput);
        Assert.Contains($"{projectUrl}/blob/main/docs/errors.md#ct4109", result.StandardOutput);
    }

    [Fact]
    public void Clean_removes_the_files_a_publish_wrote_in_obj_and_a_later_build_leaves_them()
    {
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        string obj = dir["app/obj/Release/net10.0"];
        var result = Publish(project, [$"-p:ContainerArchiveOutputPath={obj}/images/app.tar"]);
        result.EnsureSuccess("dotnet publish to an archive in obj");
        string[] written = [Path.Combine(obj, "images", "app.tar"), Path.Combine(obj, "container", "image.json")];
        Assert.All(written, f => Assert.True(File.Exists(f), $"{f} missing:\n{result.StandardOutput}"));

        // The next build's IncrementalClean must not take the image away...
        feed.Dotnet(["build", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}"]).EnsureSuccess("dotnet build");
        Assert.All(written, f => Assert.True(File.Exists(f), $"{f} deleted by a build"));
        // ...but clean does.
        feed.Dotnet(["clean", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}"]).EnsureSuccess("dotnet clean");
        Assert.All(written, f => Assert.False(File.Exists(f), $"{f} left by dotnet clean"));
    }
}
