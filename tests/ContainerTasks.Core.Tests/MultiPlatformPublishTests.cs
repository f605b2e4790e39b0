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
        string baseImage = await PushTwoPlatformBaseAsync(server);
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
        Assert.Equal(new List<string> { "1.0", "latest" }, JsonDocument.Parse(tags).RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).Order().ToList());

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

    /// <summary>A two-platform runtime base: the real amd64 image and an arm64-labelled copy (same layers; it need not run here).</summary>
    private async Task<string> PushTwoPlatformBaseAsync(RegistryServer server)
    {
        string reference = server.Reference("base/dotnet-multi:10.0");
        using var dir = new TempDirectory();
        string layout = dir["layout"];
        Run.Checked("skopeo", "copy", bases.Get("dotnet"), $"oci:{layout}:amd64");
        var source = Sources.OciLayoutSource.Open(layout, "amd64");
        var amd64 = await source.GetImageAsync(null);
        string armConfig = Encoding.UTF8.GetString(amd64.ConfigBytes).Replace("\"architecture\":\"amd64\"", "\"architecture\":\"arm64\",\"variant\":\"v8\"", StringComparison.Ordinal);
        Assert.Contains("arm64", armConfig);
        byte[] armConfigBytes = Encoding.UTF8.GetBytes(armConfig);
        var armManifest = amd64.Manifest with { Config = amd64.Manifest.Config with { Digest = Digest.Sha256(armConfigBytes), Size = armConfigBytes.Length } };
        byte[] armManifestBytes = armManifest.ToBytes();
        string blobs = Path.Combine(layout, "blobs", "sha256");
        File.WriteAllBytes(Path.Combine(blobs, Digest.Sha256(armConfigBytes).Hex), armConfigBytes);
        File.WriteAllBytes(Path.Combine(blobs, Digest.Sha256(armManifestBytes).Hex), armManifestBytes);
        var index = new ImageIndex(MediaTypes.OciIndex,
        [
            new Descriptor(amd64.Manifest.MediaType, amd64.ManifestDigest, amd64.ManifestBytes.Length) { Platform = new Platform("linux", "amd64") },
            new Descriptor(armManifest.MediaType, Digest.Sha256(armManifestBytes), armManifestBytes.Length) { Platform = new Platform("linux", "arm64", "v8") },
        ]);
        byte[] indexBytes = index.ToBytes();
        File.WriteAllBytes(Path.Combine(blobs, Digest.Sha256(indexBytes).Hex), indexBytes);
        File.WriteAllText(Path.Combine(layout, "index.json"),
            $"{{\"schemaVersion\":2,\"manifests\":[{{\"mediaType\":\"{MediaTypes.OciIndex}\",\"digest\":\"{Digest.Sha256(indexBytes)}\",\"size\":{indexBytes.Length},\"annotations\":{{\"org.opencontainers.image.ref.name\":\"multi\"}}}}]}}");
        Run.Process("skopeo", ["copy", "--all", .. server.SkopeoOptions("dest", RegistryUsers.Pusher), $"oci:{layout}:multi", $"docker://{reference}"],
            environment: server.ChildEnvironment).EnsureSuccess("skopeo copy --all of the two-platform base");
        return reference;
    }
}
