using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>The image holds what the publish folder holds once the whole publish has finished.</summary>
[Collection(ImageCollection.Name)]
public sealed class PublishOrderTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>
{
    // A user's target that runs after Publish, declared where most users put it: Directory.Build.targets.
    private const string StampTarget = """
        <Project>
          <Target Name="StampAfterPublish" AfterTargets="Publish">
            <WriteLinesToFile File="$(PublishDir)stamp.txt" Lines="written after publish" Overwrite="true" />
          </Target>
        </Project>
        """;

    [Fact]
    public async Task A_clean_web_publish_with_the_property_holds_web_config_and_files_written_after_publish_and_matches_the_target_form()
    {
        string baseImage = await RuntimeBases.GetAsync(http.Server, bases, "aspnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloWeb", dir["web"]);
        File.WriteAllText(Path.Combine(dir["web"], "Directory.Build.targets"), StampTarget);
        string[] common = ["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", $"-p:ContainerBaseImage={baseImage}"];

        feed.Dotnet([.. common, "-p:PublishContainer=true", $"-p:ContainerArchiveOutputPath={dir["first.tar"]}"]).EnsureSuccess("clean publish");
        string[] files = ArchiveFiles(dir["first.tar"]);
        Assert.Contains("app/web.config", files);
        Assert.Contains("app/stamp.txt", files);

        // With no change, the next publish (property form, then target form) gives the same image.
        feed.Dotnet([.. common, "-p:PublishContainer=true", $"-p:ContainerArchiveOutputPath={dir["second.tar"]}"]).EnsureSuccess("second publish");
        feed.Dotnet([.. common, "-t:PublishContainer", $"-p:ContainerArchiveOutputPath={dir["target.tar"]}"]).EnsureSuccess("target form");
        string first = ManifestDigest(dir["first.tar"]);
        Assert.Equal(first, ManifestDigest(dir["second.tar"]));
        Assert.Equal(first, ManifestDigest(dir["target.tar"]));
    }

    [Fact]
    public async Task A_console_publish_with_the_property_holds_files_written_by_directory_build_targets_after_publish()
    {
        string baseImage = await RuntimeBases.GetAsync(http.Server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        File.WriteAllText(Path.Combine(dir["app"], "Directory.Build.targets"), StampTarget);
        feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", $"-p:ContainerBaseImage={baseImage}",
            "-p:PublishContainer=true", $"-p:ContainerArchiveOutputPath={dir["image.tar"]}"]).EnsureSuccess("clean publish");
        Assert.Contains("app/stamp.txt", ArchiveFiles(dir["image.tar"]));
    }

    [Fact]
    public async Task Links_that_publish_itself_makes_to_the_files_it_published_are_followed_and_others_refused()
    {
        string baseImage = await RuntimeBases.GetAsync(http.Server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        string[] publish = ["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", $"-p:ContainerBaseImage={baseImage}",
            "-p:CreateSymbolicLinksForPublishFilesIfPossible=true", "-p:PublishContainer=true"];
        feed.Dotnet([.. publish, $"-p:ContainerArchiveOutputPath={dir["image.tar"]}"]).EnsureSuccess("publish with symbolic links");
        string publishDir = Path.Combine(dir["app"], "bin", "Release", "net10.0", "publish");
        Assert.NotNull(new FileInfo(Path.Combine(publishDir, "HelloContainer.dll")).LinkTarget); // not hollow: publish did link
        Assert.Contains("app/HelloContainer.dll", ArchiveFiles(dir["image.tar"]));

        // A link of one's own out of the folder is still refused.
        File.WriteAllText(dir["secret.txt"], "not for the image");
        File.CreateSymbolicLink(Path.Combine(publishDir, "secret.txt"), dir["secret.txt"]);
        var result = feed.Dotnet(["msbuild", project, "-t:PublishContainer", "-p:Configuration=Release", "-p:NoBuild=true", $"-p:ContainerTasksVersion={feed.Version}",
            $"-p:ContainerBaseImage={baseImage}", "-p:CreateSymbolicLinksForPublishFilesIfPossible=true", $"-p:ContainerArchiveOutputPath={dir["second.tar"]}"]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("CT2004", result.StandardOutput);
        Assert.Contains("secret.txt", result.StandardOutput);
    }

    // Every path of every layer of a docker archive, read with Python's tarfile.
    private static string[] ArchiveFiles(string archive)
    {
        const string Script = """
            import json, sys, tarfile
            with tarfile.open(sys.argv[1]) as outer:
                manifest = json.load(outer.extractfile("manifest.json"))
                for layer in manifest[0]["Layers"]:
                    with tarfile.open(fileobj=outer.extractfile(layer), mode="r:*") as inner:
                        for member in inner.getmembers():
                            print(member.name)
            """;
        return Run.Process("python3", ["-c", Script, archive]).EnsureSuccess("read archive").StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    // The config digest names the image inside a docker archive (its manifest is not stored as such).
    private static string ManifestDigest(string archive)
    {
        const string Script = """
            import json, sys, tarfile
            with tarfile.open(sys.argv[1]) as outer:
                manifest = json.load(outer.extractfile("manifest.json"))
                print(manifest[0]["Config"] + " " + " ".join(manifest[0]["Layers"]))
            """;
        return Run.Process("python3", ["-c", Script, archive]).EnsureSuccess("read archive").StandardOutput.Trim();
    }
}
