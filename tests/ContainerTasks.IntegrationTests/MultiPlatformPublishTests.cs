using System.Text;
using System.Text.Json;
using ContainerTasks.Model;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary><c>ContainerRuntimeIdentifiers</c>: one publish, one tag pointing at a two-platform index.</summary>
[Collection(ImageCollection.Name)]
public sealed class MultiPlatformPublishTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>
{
    [Fact]
    public async Task Two_runtime_identifiers_publish_one_index_with_an_x64_image_that_runs_and_an_arm64_image()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetTwoPlatformAsync(server, bases);
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        // As a project states it: the platforms in RuntimeIdentifiers (restore needs them too).
        File.WriteAllText(project, File.ReadAllText(project).Replace("</TargetFramework>", "</TargetFramework>\n    <RuntimeIdentifiers>linux-x64;linux-arm64</RuntimeIdentifiers>", StringComparison.Ordinal));
        string repository = RegistryServer.NewRepository("multi-publish");
        var result = feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}",
            $"-p:ContainerRepository={repository}", "-p:ContainerImageTags=1.0%3Blatest"]);
        result.EnsureSuccess("dotnet publish with two runtime identifiers");

        string raw = Run.Checked("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{server.Reference(repository + ":1.0")}");
        JsonElement index = JsonDocument.Parse(raw).RootElement;
        Assert.Equal(MediaTypes.OciIndex, index.GetProperty("mediaType").GetString());
        var platforms = index.GetProperty("manifests").EnumerateArray()
            .Select(m => $"{m.GetProperty("platform").GetProperty("os").GetString()}/{m.GetProperty("platform").GetProperty("architecture").GetString()}").ToList();
        Assert.Equal(["linux/amd64", "linux/arm64"], platforms);
        string tags = await (await server.CreateHttpClient().GetAsync($"/v2/{repository}/tags/list")).Content.ReadAsStringAsync();
        var allTags = JsonDocument.Parse(tags).RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToList();
        Assert.Equal(new List<string> { "1.0", "latest" }, allTags.Where(t => !t.StartsWith("sha256-", StringComparison.Ordinal)).Order().ToList());
        // The referrers tags of a registry without the referrers API: each platform image's SBOM, and the index's provenance.
        var digests = index.GetProperty("manifests").EnumerateArray().Select(m => m.GetProperty("digest").GetString()!)
            .Append(PackageFeed.ImageJson(project).GetProperty("digest").GetString()!);
        Assert.Equal(digests.Select(d => d.Replace(':', '-')).Order(), allTags.Where(t => t.StartsWith("sha256-", StringComparison.Ordinal)).Order());

        string x64 = dir["x64"];
        Run.Process("skopeo", ["copy", "--src-tls-verify=false", "--override-arch", "amd64", $"docker://{server.Reference(repository + ":1.0")}", $"oci:{x64}:r"]).EnsureSuccess("skopeo copy amd64");
        Assert.Contains("  greeting:    built by ContainerTasks", TestImage.RunImage($"oci:{x64}:r"));

        // The arm64 image holds an arm64 app host: check the file itself after umoci unpacks it (which checks every diff_id).
        string arm = dir["arm"];
        Run.Process("skopeo", ["copy", "--src-tls-verify=false", "--override-arch", "arm64", $"docker://{server.Reference(repository + ":1.0")}", $"oci:{arm}:r"]).EnsureSuccess("skopeo copy arm64");
        Run.Checked("umoci", "unpack", "--image", $"{arm}:r", dir["arm-bundle"]);
        Assert.Contains("aarch64", Run.Checked("file", "-L", dir["arm-bundle/rootfs/app/HelloContainer"]));
        Assert.Contains("x86-64", Run.Checked("file", "-L", Path.Combine(dir["app"], "bin", "Release", "net10.0", "linux-x64", "publish", "HelloContainer")));

        JsonElement image = JsonDocument.Parse(File.ReadAllText(Directory.EnumerateFiles(dir["app/obj"], "image.json", SearchOption.AllDirectories).Single())).RootElement;
        Assert.Equal(index.GetProperty("manifests").EnumerateArray().Select(m => m.GetProperty("digest").GetString()),
            image.GetProperty("platforms").EnumerateArray().Select(p => p.GetProperty("digest").GetString()));
    }

    [Fact]
    public async Task Platforms_of_which_only_some_are_self_contained_are_CT4123_before_anything_is_pushed()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetTwoPlatformAsync(server, bases);
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        File.WriteAllText(project, File.ReadAllText(project).Replace("</TargetFramework>",
            "</TargetFramework>\n    <RuntimeIdentifiers>linux-x64;linux-arm64</RuntimeIdentifiers>\n    <SelfContained Condition=\"'$(RuntimeIdentifier)' == 'linux-arm64'\">true</SelfContained>",
            StringComparison.Ordinal));
        string repository = RegistryServer.NewRepository("multi-mixed");
        var result = feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}", $"-p:ContainerRepository={repository}"]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Matches("error CT4123: .*self-contained \\(linux-arm64\\)", result.StandardOutput + result.StandardError);
        var tags = await server.CreateHttpClient().GetAsync($"/v2/{repository}/tags/list");
        Assert.False(tags.IsSuccessStatusCode, "a tag was pushed");
    }
}
