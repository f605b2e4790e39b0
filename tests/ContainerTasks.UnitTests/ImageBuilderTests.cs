using System.Text;
using System.Text.Json;
using ContainerTasks.Building;
using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Sources;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

public class ImageBuilderTests
{
    private static readonly string A = new('a', 64);
    private static readonly string B = new('b', 64);
    private static readonly string C = new('c', 64);

    private static SourceImage Base(string manifestMediaType, params Descriptor[] layers)
    {
        string diffIds = string.Join(",", layers.Select((_, i) => $"\"sha256:{new string((char)('0' + i), 64)}\""));
        byte[] config = Encoding.UTF8.GetBytes($$$"""{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[{{{diffIds}}}]},"history":[{"created_by":"base","empty_layer":true}]}""");
        string configType = manifestMediaType == MediaTypes.DockerManifest ? MediaTypes.DockerConfig : MediaTypes.OciConfig;
        var manifest = new ImageManifest(manifestMediaType, new Descriptor(configType, Digest.Sha256(config), config.Length), layers);
        return new SourceImage("test-base", manifest.ToBytes(), manifest, config, new ScratchSource());
    }

    private static async Task<BuiltLayer> SmallLayerAsync(TempDirectory dir, ContentStore store)
    {
        File.WriteAllText(dir["file"], "x");
        return await new LayerWriter().WriteAsync([LayerEntry.File(dir["file"], "/app/file")], store);
    }

    [Fact]
    public async Task Zstd_and_foreign_base_layers_pass_through_untouched_in_oci()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["store"]);
        var zstd = new Descriptor(MediaTypes.OciLayerZstd, Digest.Parse("sha256:" + A), 10) { Annotations = new Dictionary<string, string> { ["k"] = "v" } };
        var foreign = new Descriptor(MediaTypes.DockerForeignLayerGzip, Digest.Parse("sha256:" + B), 20) { Urls = ["https://example.invalid/layer"] };
        BuiltLayer layer = await SmallLayerAsync(dir, store);
        BuiltImage image = new ImageBuilder(Base(MediaTypes.OciManifest, zstd, foreign), store).AddLayer(layer, "app").Build();

        Assert.Equal(zstd, image.Manifest.Layers[0]);
        Assert.Equal(MediaTypes.OciNonDistributableLayerGzip, image.Manifest.Layers[1].MediaType);
        Assert.Equal(foreign.Urls, image.Manifest.Layers[1].Urls);
        Assert.Equal(foreign.Digest, image.Manifest.Layers[1].Digest);
        Assert.Equal(layer.Descriptor, image.Manifest.Layers[2]);

        var error = Assert.Throws<ContainerTasksException>(() => new ImageBuilder(Base(MediaTypes.OciManifest, zstd), store).WithFormat(ImageFormat.Docker).Build());
        Assert.Equal("CT1008", error.Code);
    }

    [Fact]
    public async Task Docker_conversion_changes_every_media_type_and_drops_annotations_docker_cannot_hold()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["store"]);
        var gzip = new Descriptor(MediaTypes.OciLayerGzip, Digest.Parse("sha256:" + A), 10) { Annotations = new Dictionary<string, string> { ["k"] = "v" } };
        var foreign = new Descriptor(MediaTypes.OciNonDistributableLayerGzip, Digest.Parse("sha256:" + C), 30) { Urls = ["https://example.invalid/l"] };
        BuiltLayer layer = await SmallLayerAsync(dir, store);
        BuiltImage image = new ImageBuilder(Base(MediaTypes.OciManifest, gzip, foreign), store)
            .AddLayer(layer, "app").WithFormat(ImageFormat.Docker).WithAnnotation("a", "b").Build();
        using var json = JsonDocument.Parse(image.ManifestBytes);
        var root = json.RootElement;
        Assert.Equal(MediaTypes.DockerManifest, root.GetProperty("mediaType").GetString());
        Assert.Equal(MediaTypes.DockerConfig, root.GetProperty("config").GetProperty("mediaType").GetString());
        Assert.Equal([MediaTypes.DockerLayerGzip, MediaTypes.DockerForeignLayerGzip, MediaTypes.DockerLayerGzip],
            root.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("mediaType").GetString()));
        Assert.False(root.TryGetProperty("annotations", out _));
        Assert.DoesNotContain("application/vnd.oci", Encoding.UTF8.GetString(image.ManifestBytes));
        Assert.Equal("https://example.invalid/l", root.GetProperty("layers")[1].GetProperty("urls")[0].GetString());
    }

    [Fact]
    public async Task The_config_gains_one_diff_id_and_history_entry_per_layer_after_the_base_entries()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["store"]);
        BuiltLayer layer = await SmallLayerAsync(dir, store);
        var time = DateTimeOffset.FromUnixTimeSeconds(1_234_567_890);
        BuiltImage image = new ImageBuilder(Base(MediaTypes.DockerManifest, new Descriptor(MediaTypes.DockerLayerGzip, Digest.Parse("sha256:" + A), 5)), store)
            .AddLayer(layer, "first", "a comment").AddLayer(layer, "second")
            .WithConfig(new ConfigChanges { Created = time })
            .Build();
        using var config = JsonDocument.Parse(image.ConfigBytes);
        var root = config.RootElement;
        Assert.Equal(["sha256:" + new string('0', 64), layer.DiffId.ToString(), layer.DiffId.ToString()],
            root.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(e => e.GetString()));
        var history = root.GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(3, history.Count);
        Assert.True(history[0].GetProperty("empty_layer").GetBoolean());
        Assert.Equal("first", history[1].GetProperty("created_by").GetString());
        Assert.Equal("a comment", history[1].GetProperty("comment").GetString());
        Assert.Equal("2009-02-13T23:31:30Z", history[2].GetProperty("created").GetString());
        Assert.Equal("2009-02-13T23:31:30Z", root.GetProperty("created").GetString());
        Assert.Equal(MediaTypes.DockerManifest, image.Manifest.MediaType);
        Assert.Equal(Digest.Sha256(image.ManifestBytes), image.ManifestDigest);
        Assert.Equal(Digest.Sha256(image.ConfigBytes), image.Manifest.Config.Digest);
    }

    [Fact]
    public void A_base_whose_manifest_and_config_disagree_on_layers_is_CT1003()
    {
        using var dir = new TempDirectory();
        SourceImage broken = Base(MediaTypes.OciManifest, new Descriptor(MediaTypes.OciLayerGzip, Digest.Parse("sha256:" + A), 1));
        broken = broken with { ConfigBytes = """{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"""u8.ToArray() };
        Assert.Equal("CT1003", Assert.Throws<ContainerTasksException>(() => new ImageBuilder(broken, new ContentStore(dir.Path)).Build()).Code);
    }

    [Fact]
    public async Task A_single_platform_base_of_another_architecture_is_CT1006()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["store"]);
        var built = await TestImage.BuildAsync(await new ScratchSource().GetImageAsync(Platform.Parse("linux/arm64")), store, TestImage.CreateAppFolder(dir.Path));
        await Outputs.ImageOutput.WriteAsync($"oci:{dir["layout"]}", built, [ImageReference.Parse("x:1")]);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => OciLayoutSource.Open(dir["layout"], "1").GetImageAsync(Platform.LinuxAmd64));
        Assert.Equal("CT1006", error.Code);
        Assert.Contains("linux/arm64", error.Message);
    }

    [Fact]
    public async Task Docker_format_platform_images_make_a_manifest_list_and_mixed_formats_or_duplicate_platforms_are_refused()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["store"]);
        BuiltLayer layer = await SmallLayerAsync(dir, store);
        SourceImage amd64 = Base(MediaTypes.DockerManifest);
        SourceImage arm64 = amd64 with { ConfigBytes = """{"architecture":"arm64","variant":"v8","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"""u8.ToArray() };
        BuiltImage x = new ImageBuilder(amd64, store).AddLayer(layer, "app").Build();
        BuiltImage a = new ImageBuilder(arm64, store).AddLayer(layer, "app").Build();
        BuiltIndex list = ImageIndexBuilder.Build([x, a]);
        Assert.Equal(MediaTypes.DockerManifestList, list.Index.MediaType);
        Assert.Equal([new Platform("linux", "amd64"), new Platform("linux", "arm64", "v8")], list.Index.Manifests.Select(m => m.Platform!).ToList());
        Assert.Equal(list.Digest, Digest.Sha256(list.Bytes));

        BuiltImage oci = new ImageBuilder(arm64, store).AddLayer(layer, "app").WithFormat(ImageFormat.Oci).Build();
        Assert.Equal("CT1008", Assert.Throws<ContainerTasksException>(() => ImageIndexBuilder.Build([x, oci])).Code);
        Assert.Equal("CT1008", Assert.Throws<ContainerTasksException>(() => ImageIndexBuilder.Build([x, x])).Code);
    }
}
