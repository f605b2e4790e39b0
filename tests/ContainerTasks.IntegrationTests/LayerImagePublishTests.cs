using System.Text.Json;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// <c>ContainerLayerImage</c>: an agent shipped as an image (built by umoci, pushed by skopeo) added between the base's
/// layers and the app's by a real <c>dotnet publish</c>, checked with skopeo, umoci and runc.
/// </summary>
[Collection(ImageCollection.Name)]
public sealed class LayerImagePublishTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>
{
    private static readonly string[] AgentEnvironment = ["OTEL_DOTNET_AUTO_HOME=/otel", "PATH=/agent/bin", "GREETING=from the agent"];

    [Fact]
    public async Task An_agent_on_the_destination_registry_is_mounted_between_the_base_and_the_app_with_its_environment_merged_and_the_digest_is_stable()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        string agentRepository = RegistryServer.NewRepository("agents/otel");
        string agent = AgentImages.Push(server, agentRepository + ":1.9", AgentEnvironment, "amd64");
        using var dir = new TempDirectory();
        string project = WithItems(feed.CopySample("HelloContainer", dir["app"]), $"""<ContainerLayerImage Include="{agent}" MergeEnvironment="true" />""");
        string repository = RegistryServer.NewRepository("with-agent");
        string[] publish = ["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}", $"-p:ContainerRepository={repository}", "-v:n"];
        ProcessResult first = feed.Dotnet(publish).EnsureSuccess("dotnet publish with a ContainerLayerImage");

        string image = server.Reference(repository + ":latest");
        List<string> layers = LayerDigests(image);
        List<string> baseLayers = LayerDigests(baseImage), agentLayers = LayerDigests(agent);
        Assert.Equal(2, agentLayers.Count);
        Assert.Equal([.. baseLayers, .. agentLayers], layers.Take(baseLayers.Count + 2));
        Assert.True(layers.Count > baseLayers.Count + 2, "no app layer above the agent's");
        Assert.Contains($"Layer image {agent}@", first.StandardOutput);

        // Mounted from the agent's repository, never uploaded.
        var log = server.AccessLog();
        foreach (string layer in agentLayers)
        {
            Assert.Contains(log, e => e.Method == "POST" && e.Path == $"/v2/{repository}/blobs/uploads/" && Uri.UnescapeDataString(e.Query ?? "").Contains($"mount={layer}") && e.Status == 201);
        }

        JsonElement config = Config(image);
        var env = config.GetProperty("config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()!).ToList();
        string basePath = Config(baseImage).GetProperty("config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()!).Single(e => e.StartsWith("PATH=", StringComparison.Ordinal));
        Assert.Contains("OTEL_DOTNET_AUTO_HOME=/otel", env);
        Assert.Contains(basePath, env);                          // the base's PATH stays
        Assert.DoesNotContain("PATH=/agent/bin", env);
        Assert.Contains("GREETING=built by ContainerTasks", env);  // the project's variable wins
        Assert.DoesNotContain("GREETING=from the agent", env);
        string agentDigest = (await RegistryShapes.InspectAsync(server, agentRepository + ":1.9")).Digest;
        var history = config.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("created_by").GetString()).ToList();
        Assert.Equal(2, history.Count(h => h == $"ContainerTasks: layers from {agent}@{agentDigest}"));

        // The provenance names the agent among the images the layers came from, by digest.
        string provenanceFile = Path.Combine(Path.GetDirectoryName(Directory.EnumerateFiles(dir["app/obj"], "image.json", SearchOption.AllDirectories).Single())!, "provenance.json");
        JsonElement predicate = JsonDocument.Parse(File.ReadAllBytes(provenanceFile)).RootElement.GetProperty("predicate");
        Assert.Contains(predicate.GetProperty("buildDefinition").GetProperty("resolvedDependencies").EnumerateArray(),
            d => d.TryGetProperty("digest", out JsonElement digest) && digest.GetProperty("sha256").GetString() == agentDigest["sha256:".Length..]);

        // The agent's file is in the filesystem, and the app still runs.
        string layout = dir["out"];
        Run.Process("skopeo", ["copy", "--src-tls-verify=false", $"docker://{image}", $"oci:{layout}:r"]).EnsureSuccess("skopeo copy");
        Run.Checked("umoci", "unpack", "--image", $"{layout}:r", dir["bundle"]);
        Assert.Equal("agent for amd64\n", File.ReadAllText(Path.Combine(dir["bundle"], "rootfs", AgentImages.MarkerPath)));
        Assert.True(File.Exists(Path.Combine(dir["bundle"], "rootfs", "opt", "profiler", "libprofiler.so")));
        Assert.Contains("  greeting:    built by ContainerTasks", TestImage.RunImage($"oci:{layout}:r"));

        // A second publish with no change makes the same image.
        string digest = PackageFeed.ImageJson(project).GetProperty("digest").GetString()!;
        feed.Dotnet(publish).EnsureSuccess("second publish");
        Assert.Equal(digest, PackageFeed.ImageJson(project).GetProperty("digest").GetString());
    }

    [Fact]
    public async Task An_agent_on_another_registry_is_copied_to_the_destination_and_its_environment_is_left_out_by_default()
    {
        RegistryServer server = http.Server;
        await using RegistryServer vendor = await RegistryServer.StartAsync(RegistryMode.Http);
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        string agent = AgentImages.Push(vendor, "vendor/profiler:2", AgentEnvironment, "amd64");
        using var dir = new TempDirectory();
        string project = WithItems(feed.CopySample("HelloContainer", dir["app"]), $"""<ContainerLayerImage Include="{agent}" />""");
        string repository = RegistryServer.NewRepository("copied-agent");
        feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}", $"-p:ContainerRepository={repository}"]).EnsureSuccess("dotnet publish");

        string image = server.Reference(repository + ":latest");
        List<string> agentLayers = LayerDigests(agent);
        Assert.Equal(agentLayers, LayerDigests(image).Skip(LayerDigests(baseImage).Count).Take(2));
        // Read from the vendor's registry, uploaded to the destination.
        var vendorLog = vendor.AccessLog();
        var log = server.AccessLog();
        foreach (string layer in agentLayers)
        {
            Assert.Contains(vendorLog, e => e.Method == "GET" && e.Path == $"/v2/vendor/profiler/blobs/{layer}" && e.Status == 200);
            Assert.Contains(log, e => e.Method == "PUT" && e.Path.StartsWith($"/v2/{repository}/blobs/uploads/", StringComparison.Ordinal)
                && Uri.UnescapeDataString(e.Query ?? "").Contains($"digest={layer}") && e.Status == 201);
        }
        var env = Config(image).GetProperty("config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.DoesNotContain(env, e => e.StartsWith("OTEL_DOTNET_AUTO_HOME=", StringComparison.Ordinal));

        string layout = dir["out"];
        Run.Process("skopeo", ["copy", "--src-tls-verify=false", $"docker://{image}", $"oci:{layout}:r"]).EnsureSuccess("skopeo copy");
        Run.Checked("umoci", "unpack", "--image", $"{layout}:r", dir["bundle"]);
        Assert.Equal("agent for amd64\n", File.ReadAllText(Path.Combine(dir["bundle"], "rootfs", AgentImages.MarkerPath)));
    }

    [Fact]
    public async Task A_multi_platform_publish_takes_each_platforms_image_of_an_agent_index()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetTwoPlatformAsync(server, bases);
        string agentRepository = RegistryServer.NewRepository("agents/multi");
        string agent = AgentImages.Push(server, agentRepository + ":1", AgentEnvironment, "amd64", "arm64");
        PublishedImage agentIndex = await RegistryShapes.InspectAsync(server, agentRepository + ":1");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        File.WriteAllText(project, File.ReadAllText(project).Replace("</TargetFramework>", "</TargetFramework>\n    <RuntimeIdentifiers>linux-x64;linux-arm64</RuntimeIdentifiers>", StringComparison.Ordinal));
        WithItems(project, $"""<ContainerLayerImage Include="{agent}" />""");
        string repository = RegistryServer.NewRepository("multi-agent");
        feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}", $"-p:ContainerRepository={repository}"]).EnsureSuccess("dotnet publish");

        JsonElement index = JsonDocument.Parse(Run.Checked("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{server.Reference(repository + ":latest")}")).RootElement;
        var platforms = index.GetProperty("manifests").EnumerateArray()
            .ToDictionary(m => m.GetProperty("platform").GetProperty("architecture").GetString()!, m => m.GetProperty("digest").GetString()!);
        List<string> amd64 = LayerDigests($"{server.Host}/{agentRepository}@{agentIndex.Children["linux/amd64"]}");
        List<string> arm64 = LayerDigests($"{server.Host}/{agentRepository}@{agentIndex.Children["linux/arm64"]}");
        Assert.NotEqual(amd64, arm64);
        Assert.Equal(amd64, LayerDigests($"{server.Host}/{repository}@{platforms["amd64"]}").Intersect(amd64.Concat(arm64)));
        Assert.Equal(arm64, LayerDigests($"{server.Host}/{repository}@{platforms["arm64"]}").Intersect(amd64.Concat(arm64)));
    }

    [Fact]
    public async Task An_agent_without_the_builds_platform_is_CT1010_with_no_stack_trace_and_nothing_pushed()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        string agent = AgentImages.Push(server, RegistryServer.NewRepository("agents/arm-only") + ":1", [], "arm64");
        using var dir = new TempDirectory();
        string project = WithItems(feed.CopySample("HelloContainer", dir["app"]), $"""<ContainerLayerImage Include="{agent}" />""");
        string repository = RegistryServer.NewRepository("mismatch");
        ProcessResult result = feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}", $"-p:ContainerRepository={repository}"]);

        string output = result.StandardOutput + result.StandardError;
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"error CT1010: ContainerLayerImage '{agent}' has no image for linux/amd64", output);
        Assert.Contains("it offers linux/arm64", output);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("MSB4018", output);
        Assert.False((await server.CreateHttpClient().GetAsync($"/v2/{repository}/tags/list")).IsSuccessStatusCode, "a tag was pushed");
    }

    [Fact]
    public void Ctimage_writes_an_archive_with_the_agents_layers_downloaded_from_its_registry()
    {
        RegistryServer server = http.Server;
        string agent = AgentImages.Push(server, RegistryServer.NewRepository("agents/cli") + ":1", ["AGENT=1"], "amd64");
        using var dir = new TempDirectory();
        string app = TestImage.CreateAppFolder(dir.Path);
        Run.CtImage(["build", "--from", bases.Get("busybox"), "--to", $"oci-archive:{dir["out.tar"]}", "--tag", "app:1", "--layer-image-env", agent,
            "--layer", $"{app}:/app", "--entrypoint", "/bin/sh", "--cache", dir["cache"]]).EnsureSuccess("ctimage build --layer-image-env");

        Run.Process("skopeo", ["copy", $"oci-archive:{dir["out.tar"]}", $"oci:{dir["layout"]}:r"]).EnsureSuccess("skopeo copy");
        Run.Checked("umoci", "unpack", "--image", $"{dir["layout"]}:r", dir["bundle"]);
        Assert.Equal("agent for amd64\n", File.ReadAllText(Path.Combine(dir["bundle"], "rootfs", AgentImages.MarkerPath)));
        Assert.True(File.Exists(Path.Combine(dir["bundle"], "rootfs", "app", "hello.txt")));
        JsonElement config = JsonDocument.Parse(Run.Checked("skopeo", "inspect", "--config", "--raw", $"oci:{dir["layout"]}:r")).RootElement;
        Assert.Contains("AGENT=1", config.GetProperty("config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
    }

    private static string WithItems(string project, string items)
    {
        File.WriteAllText(project, File.ReadAllText(project).Replace("</Project>", $"<ItemGroup>{items}</ItemGroup></Project>", StringComparison.Ordinal));
        return project;
    }

    private static List<string> LayerDigests(string reference)
        => JsonDocument.Parse(Run.Checked("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{reference}")).RootElement
            .GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!).ToList();

    private static JsonElement Config(string reference)
        => JsonDocument.Parse(Run.Checked("skopeo", "inspect", "--config", "--raw", "--tls-verify=false", $"docker://{reference}")).RootElement;
}
