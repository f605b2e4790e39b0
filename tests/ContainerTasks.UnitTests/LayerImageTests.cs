using System.Text;
using System.Text.Json;
using ContainerTasks.Building;
using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Pipeline;
using ContainerTasks.Sources;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary><c>ContainerLayerImage</c>: another image's layers between the base's and the app's, its environment merged on request.</summary>
public class LayerImageTests
{
    private static Digest D(char c) => Digest.Parse("sha256:" + new string(c, 64));

    // An image whose config has these diff_ids (one gzip layer each) and Env.
    private static SourceImage Image(string name, string[] env, params char[] diffIds)
    {
        string envJson = string.Join(",", env.Select(e => JsonSerializer.Serialize(e)));
        string ids = string.Join(",", diffIds.Select(c => $"\"{D(c)}\""));
        byte[] config = Encoding.UTF8.GetBytes($$$"""{"architecture":"amd64","os":"linux","config":{"Env":[{{{envJson}}}],"Labels":{"{{{name}}}.label":"x"}},"rootfs":{"type":"layers","diff_ids":[{{{ids}}}]},"history":[]}""");
        // Blob digests differ from diff_ids (compressed vs not): the diff_id's letter, ending in 0.
        var layers = diffIds.Select(c => new Descriptor(MediaTypes.OciLayerGzip, Digest.Parse("sha256:" + new string(c, 63) + "0"), 100)).ToList();
        var manifest = new ImageManifest(MediaTypes.OciManifest, new Descriptor(MediaTypes.OciConfig, Digest.Sha256(config), config.Length), layers);
        return new SourceImage(name, manifest.ToBytes(), manifest, config, new ScratchSource());
    }

    private static AddedImage Added(SourceImage image, string reference, bool merge, IReadOnlyList<Digest>? baseDiffIds = null)
    {
        var pinned = ImageReference.Parse(reference).WithDigest(image.ManifestDigest);
        IReadOnlyList<ImageLayer> layers = image.Layers;
        int shared = AddedImage.SharedWithBase(layers, baseDiffIds ?? []);
        return new AddedImage(image, new LayerOrigin(pinned, image.Blobs, LayerSources.LayerImage), layers.Skip(shared).ToList(), merge);
    }

    private static async Task<BuiltLayer> AppLayerAsync(TempDirectory dir, ContentStore store)
    {
        File.WriteAllText(dir["app.dll"], "app");
        return await new LayerWriter().WriteAsync([LayerEntry.File(dir["app.dll"], "/app/app.dll")], store);
    }

    private static Dictionary<string, string> EnvOf(BuiltImage image)
        => ImageConfig.Parse(image.ConfigBytes).Env.ToDictionary(e => e[..e.IndexOf('=')], e => e[(e.IndexOf('=') + 1)..]);

    [Fact]
    public async Task Layers_go_base_then_each_layer_image_in_item_order_then_the_app_with_a_history_entry_naming_the_image_by_digest()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["store"]);
        SourceImage baseImage = Image("base", ["PATH=/usr/bin"], 'a');
        SourceImage first = Image("agent1", [], 'b', 'c');
        SourceImage second = Image("agent2", [], 'd');
        BuiltLayer app = await AppLayerAsync(dir, store);

        BuiltImage image = new ImageBuilder(baseImage, store)
            .AddImage(Added(first, "reg.example/agents/one:1", merge: false)).AddImage(Added(second, "other.example/two:2", merge: false))
            .AddLayer(app, "ContainerTasks: COPY app /app/").Build();

        ImageConfig config = ImageConfig.Parse(image.ConfigBytes);
        Assert.Equal([D('a'), D('b'), D('c'), D('d'), app.DiffId], config.DiffIds);
        Assert.Equal(5, image.Manifest.Layers.Count);
        Assert.Equal(app.Descriptor.Digest, image.Manifest.Layers[4].Digest);
        using var json = JsonDocument.Parse(image.ConfigBytes);
        var history = json.RootElement.GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(4, history.Count);
        Assert.Equal($"ContainerTasks: layers from reg.example/agents/one:1@{first.ManifestDigest}", history[0].GetProperty("created_by").GetString());
        Assert.Equal("layer 2 of 2", history[1].GetProperty("comment").GetString());
        Assert.Equal($"ContainerTasks: layers from other.example/two:2@{second.ManifestDigest}", history[2].GetProperty("created_by").GetString());
        Assert.All(history, h => Assert.False(h.TryGetProperty("empty_layer", out _)));
        // The added layers are mounted from (or copied out of) their image; the app's from nowhere.
        Assert.Equal("agents/one", image.Layers[1].MountFrom?.Repository);
        Assert.Equal("other.example", image.Layers[3].MountFrom?.Registry);
        Assert.Null(image.Layers[4].MountFrom);
        // Labels are the base's (and the project's), never a layer image's.
        Assert.Equal(["base.label"], ImageConfig.Parse(image.ConfigBytes).Labels.Keys);
    }

    [Fact]
    public async Task The_environment_is_the_bases_then_names_new_to_it_from_layer_images_first_wins_then_the_projects_over_all()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["store"]);
        SourceImage baseImage = Image("base", ["PATH=/usr/bin", "APP_UID=1654"], 'a');
        SourceImage first = Image("agent1", ["PATH=/agent/bin", "CORECLR_ENABLE_PROFILING=1", "OTEL_HOME=/otel", "EMPTY="], 'b');
        SourceImage second = Image("agent2", ["OTEL_HOME=/second", "SECOND=yes", "MERGED=agent"], 'c');
        SourceImage unmerged = Image("agent3", ["NOT_MERGED=1"], 'd');

        BuiltImage image = new ImageBuilder(baseImage, store)
            .AddImage(Added(first, "reg.example/one:1", merge: true)).AddImage(Added(second, "reg.example/two:1", merge: true))
            .AddImage(Added(unmerged, "reg.example/three:1", merge: false))
            .WithConfig(new ConfigChanges { Environment = [new("MERGED", "project")] }).Build();

        Assert.Equal(["PATH=/usr/bin", "APP_UID=1654", "CORECLR_ENABLE_PROFILING=1", "OTEL_HOME=/otel", "EMPTY=", "SECOND=yes", "MERGED=project"],
            ImageConfig.Parse(image.ConfigBytes).Env);
        Assert.DoesNotContain("NOT_MERGED", EnvOf(image).Keys);
    }

    [Fact]
    public async Task The_same_inputs_give_the_same_digest_twice()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["store"]);
        BuiltLayer app = await AppLayerAsync(dir, store);
        Digest Build() => new ImageBuilder(Image("base", ["PATH=/usr/bin"], 'a'), store)
            .AddImage(Added(Image("agent", ["X=1", "Y=2"], 'b'), "reg.example/agent:1", merge: true)).AddLayer(app, "app").Build().ManifestDigest;
        Assert.Equal(Build(), Build());
    }

    [Fact]
    public void Layers_an_image_shares_with_the_bottom_of_the_base_are_left_out()
    {
        SourceImage builtOnTheBase = Image("agent", [], 'a', 'b', 'e');
        Assert.Equal(2, AddedImage.SharedWithBase(builtOnTheBase.Layers, [D('a'), D('b'), D('c')]));
        Assert.Equal(0, AddedImage.SharedWithBase(builtOnTheBase.Layers, [D('b'), D('a')]));
        Assert.Equal([D('e')], Added(builtOnTheBase, "reg.example/agent:1", false, [D('a'), D('b')]).Layers.Select(l => l.DiffId));
    }

    [Fact]
    public void Images_are_added_before_the_builds_own_layers()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["store"]);
        File.WriteAllText(dir["f"], "f");
        var builder = new ImageBuilder(Image("base", [], 'a'), store).AddLayer(new BuiltLayer(new Descriptor(MediaTypes.OciLayerGzip, D('f'), 1), D('e'), 1), "app");
        Assert.Throws<InvalidOperationException>(() => builder.AddImage(Added(Image("agent", [], 'b'), "reg.example/a:1", false)));
    }

    [Theory]
    [InlineData("oci:/tmp/layout:agent")]
    [InlineData("scratch")]
    [InlineData("Not A Reference")]
    [InlineData("https://user:s3cret@reg.example/agent:1")]
    [InlineData("user:s3cret@reg.example/agent:1")]
    public void A_reference_that_is_not_a_registry_image_is_CT4133_without_credentials(string text)
    {
        var error = Assert.Throws<ContainerTasksException>(() => LayerImages.Parse(text));
        Assert.Equal("CT4133", error.Code);
        Assert.DoesNotContain("s3cret", error.Message);
        Assert.Contains("ContainerLayerImage", error.Message);
    }

    [Fact]
    public void A_docker_prefix_is_taken()
        => Assert.Equal("reg.example/otel/agent:1.9", LayerImages.Parse(" docker://reg.example/otel/agent:1.9 ").ToString());

    [Theory]
    [InlineData(MediaTypes.DockerForeignLayerGzip, "foreign")]
    [InlineData(MediaTypes.OciNonDistributableLayerGzip, "foreign")]
    [InlineData("application/vnd.cncf.helm.chart.content.v1.tar+gzip", "not a filesystem layer")]
    public void A_foreign_or_non_filesystem_layer_is_CT4134(string mediaType, string expected)
    {
        SourceImage image = Image("agent", [], 'b');
        var manifest = image.Manifest with { Layers = [image.Manifest.Layers[0] with { MediaType = mediaType }] };
        var error = Assert.Throws<ContainerTasksException>(() => LayerImages.CheckLayers(ImageReference.Parse("reg.example/agent:1"),
            image with { Manifest = manifest }));
        Assert.Equal("CT4134", error.Code);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void An_artifact_is_CT4134()
    {
        SourceImage image = Image("agent", [], 'b');
        var manifest = image.Manifest with { Config = image.Manifest.Config with { MediaType = "application/vnd.cncf.helm.config.v1+json" } };
        var error = Assert.Throws<ContainerTasksException>(() => LayerImages.CheckLayers(ImageReference.Parse("reg.example/chart:1"), image with { Manifest = manifest }));
        Assert.Equal("CT4134", error.Code);
        Assert.Contains("not a container image", error.Message);
    }

    [Fact]
    public async Task An_index_without_the_builds_platform_is_CT1010_naming_the_platforms_it_has()
    {
        string child = "sha256:" + new string('1', 64);
        string index = $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{child}}}","size":10,"platform":{"os":"linux","architecture":"amd64"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{child}}}","size":10,"platform":{"os":"windows","architecture":"amd64"}}]}""";
        string indexDigest = Digest.Sha256(Encoding.UTF8.GetBytes(index)).ToString();
        await using var registry = new ScriptedRegistry(r => r.Method == "HEAD"
            ? new ScriptedResponse(200, "", ("Content-Type", MediaTypes.OciIndex), ("Docker-Content-Digest", indexDigest))
            : new ScriptedResponse(200, index, ("Content-Type", MediaTypes.OciIndex), ("Docker-Content-Digest", indexDigest)));
        var error = await ResolveFailsAsync(registry, "CT1010");
        Assert.Contains($"ContainerLayerImage '{registry.Host}/otel/agent:1' has no image for linux/arm64", error.Message);
        Assert.Contains("it offers linux/amd64, windows/amd64", error.Message);
    }

    [Fact]
    public async Task An_index_entry_whose_image_is_for_another_platform_than_it_says_is_CT1010()
    {
        // The index says arm64; the image's own config says amd64: its files would not run on arm64.
        byte[] config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]}}""");
        var manifest = new ImageManifest(MediaTypes.OciManifest, new Descriptor(MediaTypes.OciConfig, Digest.Sha256(config), config.Length), []);
        byte[] child = manifest.ToBytes();
        string childDigest = Digest.Sha256(child).ToString();
        string index = $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{childDigest}}}","size":{{{child.Length}}},"platform":{"os":"linux","architecture":"arm64"}}]}""";
        string indexDigest = Digest.Sha256(Encoding.UTF8.GetBytes(index)).ToString();
        await using var registry = new ScriptedRegistry(r => r.Target switch
        {
            var t when t.EndsWith("/manifests/" + childDigest, StringComparison.Ordinal)
                => new ScriptedResponse(200, Encoding.UTF8.GetString(child), ("Content-Type", MediaTypes.OciManifest), ("Docker-Content-Digest", childDigest)),
            var t when t.Contains("/blobs/", StringComparison.Ordinal) => new ScriptedResponse(200, Encoding.UTF8.GetString(config)),
            _ => new ScriptedResponse(200, r.Method == "HEAD" ? "" : index, ("Content-Type", MediaTypes.OciIndex), ("Docker-Content-Digest", indexDigest)),
        });
        var error = await ResolveFailsAsync(registry, "CT1010");
        Assert.Contains("lists an image for linux/arm64, but that image's config says it is for linux/amd64", error.Message);
    }

    [Fact]
    public async Task The_log_names_the_variables_an_agent_brings_and_never_their_values()
    {
        byte[] config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","config":{"Env":["LD_PRELOAD=/agent/hook.so","SECRETISH=s3cr3t","NOEQ"]},"rootfs":{"type":"layers","diff_ids":[]}}""");
        var manifest = new ImageManifest(MediaTypes.OciManifest, new Descriptor(MediaTypes.OciConfig, Digest.Sha256(config), config.Length), []);
        byte[] bytes = manifest.ToBytes();
        string digest = Digest.Sha256(bytes).ToString();
        await using var registry = new ScriptedRegistry(r => r.Target.Contains("/blobs/", StringComparison.Ordinal)
            ? new ScriptedResponse(200, Encoding.UTF8.GetString(config))
            : new ScriptedResponse(200, r.Method == "HEAD" ? "" : Encoding.UTF8.GetString(bytes), ("Content-Type", MediaTypes.OciManifest), ("Docker-Content-Digest", digest)));
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), registry.Host, null);
        var images = LayerImages.Open([new LayerImageInput($"{registry.Host}/otel/agent:1", MergeEnvironment: true)],
            r => session.Client(r.Registry, r.Repository, Registry.Auth.RegistryRole.Pull), kit.Store);
        var log = new RecordingLog();

        await images.ResolveAsync(Platform.LinuxAmd64, Image("base", [], 'a'), log, default);

        string line = Assert.Single(log.Lines);
        Assert.Contains("its environment merged where the base and the project do not set a name (LD_PRELOAD, SECRETISH)", line);
        Assert.DoesNotContain("s3cr3t", line);
        Assert.DoesNotContain("hook.so", line);
    }

    private sealed class RecordingLog : IContainerBuildLog
    {
        public List<string> Lines { get; } = [];
        public void Progress(string message) => Lines.Add(message);
        public void Detail(string message) { }
        public void Warning(string code, string message) => Lines.Add(message);
    }

    [Fact]
    public void An_image_of_more_layers_than_an_agent_has_is_CT4134()
    {
        SourceImage image = Image("agent", [], 'b');
        var manifest = image.Manifest with { Layers = Enumerable.Repeat(image.Manifest.Layers[0], LayerImages.MaxLayers + 1).ToList() };
        var error = Assert.Throws<ContainerTasksException>(() => LayerImages.CheckLayers(ImageReference.Parse("reg.example/agent:1"), image with { Manifest = manifest }));
        Assert.Equal("CT4134", error.Code);
        Assert.Contains($"{LayerImages.MaxLayers + 1} layers", error.Message);
    }

    [Fact]
    public void An_environment_entry_without_an_equals_sign_sets_nothing_and_leaves_the_name_to_a_later_image()
    {
        ImageConfig config = ImageConfig.Parse(Image("base", ["PATH=/usr/bin"], 'a').ConfigBytes);
        Assert.Equal(["X"], config.AddMissingEnvironment(["NOEQ", "X=1"]));
        Assert.Equal(["NOEQ"], config.AddMissingEnvironment(["NOEQ=2", "X=3"]));
        Assert.Equal(["PATH=/usr/bin", "X=1", "NOEQ=2"], config.Env);
    }

    // Resolves registry/otel/agent:1 for linux/arm64, which fails with `code`.
    private static async Task<ContainerTasksException> ResolveFailsAsync(ScriptedRegistry registry, string code)
    {
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), registry.Host, null);
        var images = LayerImages.Open([new LayerImageInput($"{registry.Host}/otel/agent:1")],
            r => session.Client(r.Registry, r.Repository, Registry.Auth.RegistryRole.Pull), kit.Store);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => images.ResolveAsync(new Platform("linux", "arm64"), Image("base", [], 'a'), new NullLog(), default));
        Assert.Equal(code, error.Code);
        return error;
    }

    private sealed class NullLog : IContainerBuildLog
    {
        public void Progress(string message) { }
        public void Detail(string message) { }
        public void Warning(string code, string message) { }
    }
}
