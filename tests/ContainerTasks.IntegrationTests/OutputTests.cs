using System.Text.Json;
using ContainerTasks.Building;
using ContainerTasks.Content;
using ContainerTasks.Model;
using ContainerTasks.Outputs;
using ContainerTasks.Sources;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

[Collection(ImageCollection.Name)]
public class OutputTests(BaseImages bases)
{
    private static readonly ImageReference Name = ImageReference.Parse("localhost:5000/test/app:1.0");
    private static readonly ImageReference SecondName = ImageReference.Parse("localhost:5000/test/app:latest");

    private async Task<(BuiltImage Image, ContentStore Store)> BuildOnBusyboxAsync(TempDirectory dir, ImageFormat format = ImageFormat.SameAsBase)
    {
        var store = new ContentStore(dir["store"]);
        IImageSource source = await ImageSources.OpenAsync(bases.Get("busybox"), store);
        SourceImage baseImage = await source.GetImageAsync(Platform.LinuxAmd64);
        return (await TestImage.BuildAsync(baseImage, store, TestImage.CreateAppFolder(dir.Path), format), store);
    }

    [Theory]
    [InlineData("oci", "layout")]
    [InlineData("oci-archive", "image.tar")]
    [InlineData("oci-archive", "image.tar.gz")]
    [InlineData("docker-archive", "image.tar")]
    [InlineData("docker-archive", "image.tar.gz")]
    public async Task Every_output_unpacks_with_umoci_and_runs_with_runc(string transport, string file)
    {
        using var dir = new TempDirectory();
        var (image, _) = await BuildOnBusyboxAsync(dir);
        string path = await ImageOutput.WriteAsync($"{transport}:{dir[file]}", image, [Name, SecondName]);

        bool gzip = file.EndsWith(".gz", StringComparison.Ordinal);
        string runnable = path;
        if (transport != "oci")
        {
            byte[] head = File.ReadAllBytes(path)[..2];
            Assert.Equal(gzip, head[0] == 0x1f && head[1] == 0x8b);
            Assert.Contains(gzip ? "gzip compressed" : "tar archive", Run.Checked("file", path));
            // skopeo's docker-archive reader takes plain tars only (docker load and podman load decompress).
            if (gzip && transport == "docker-archive")
            {
                runnable = dir["decompressed.tar"];
                File.WriteAllText(runnable, "");
                Run.Checked("sh", "-c", $"gzip -dc '{path}' > '{runnable}'");
            }
            // oci-image-tool reads folders reliably; check the archive's content as a layout.
            string extracted = Directory.CreateDirectory(dir["extracted"]).FullName;
            Run.Checked("tar", "-xf", path, "-C", extracted);
            Run.Checked("oci-image-tool", "validate", "--type", "image", extracted);
        }
        else
        {
            Run.Checked("oci-image-tool", "validate", "--type", "image", path);
        }
        string runRef = transport == "docker-archive" ? $"docker-archive:{runnable}:{Name.FamiliarName}" : $"{transport}:{runnable}:1.0";
        Assert.Equal(TestImage.ExpectedOutput, TestImage.RunImage(runRef));
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(path)!, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_docker_archive_names_the_image_for_docker_load_and_skopeo_reads_every_tag()
    {
        using var dir = new TempDirectory();
        var (image, _) = await BuildOnBusyboxAsync(dir);
        string path = await ImageOutput.WriteAsync($"docker-archive:{dir["image.tar"]}", image, [Name, SecondName]);
        Run.Checked("tar", "-xf", path, "-C", Directory.CreateDirectory(dir["x"]).FullName, "manifest.json", "index.json");
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(dir["x/manifest.json"]));
        var entry = Assert.Single(manifest.RootElement.EnumerateArray());
        Assert.Equal(["localhost:5000/test/app:1.0", "localhost:5000/test/app:latest"], entry.GetProperty("RepoTags").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal($"blobs/sha256/{image.Manifest.Config.Digest.Hex}", entry.GetProperty("Config").GetString());
        Assert.Equal(image.Manifest.Layers.Select(l => $"blobs/sha256/{l.Digest.Hex}"), entry.GetProperty("Layers").EnumerateArray().Select(e => e.GetString()));

        string inspected = Run.Checked("skopeo", "inspect", $"docker-archive:{path}:localhost:5000/test/app:latest");
        using var info = JsonDocument.Parse(inspected);
        Assert.Equal(image.Manifest.Layers.Count, info.RootElement.GetProperty("Layers").GetArrayLength());
        Assert.Contains("GREETING=hello from the config", info.RootElement.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("docker-archive", "image.tar", "localhost:5000/test/app:latest")]
    [InlineData("docker-archive", "image.tar.gz", "localhost:5000/test/app:1.0")]
    [InlineData("oci-archive", "image.tar.gz", "latest")]
    public async Task Our_archives_are_bases_too_with_the_same_manifest(string transport, string file, string reference)
    {
        using var dir = new TempDirectory();
        var (image, _) = await BuildOnBusyboxAsync(dir);
        string path = await ImageOutput.WriteAsync($"{transport}:{dir[file]}", image, [Name, SecondName]);
        var store = new ContentStore(dir["store2"]);
        SourceImage again = await (await ImageSources.OpenAsync($"{transport}:{path}:{reference}", store)).GetImageAsync(Platform.LinuxAmd64);
        Assert.Equal(image.ManifestDigest, again.ManifestDigest);
        Assert.Equal(image.ConfigBytes, again.ConfigBytes);
        foreach (Descriptor layer in again.Manifest.Layers)
        {
            Assert.True(store.Contains(layer.Digest));
        }
        var missing = await Assert.ThrowsAsync<ContainerTasksException>(async () =>
            await (await ImageSources.OpenAsync($"{transport}:{path}:nope", store)).GetImageAsync(null));
        Assert.Equal("CT5003", missing.Code);
    }

    [Fact]
    public async Task A_docker_format_base_read_from_a_docker_archive_keeps_its_format_or_converts_every_media_type()
    {
        using var dir = new TempDirectory();
        string dockerBase = dir["base-docker.tar"];
        Run.Checked("skopeo", "copy", "--format", "v2s2", bases.Get("busybox"), $"docker-archive:{dockerBase}:base/busybox:1");
        var store = new ContentStore(dir["store"]);
        SourceImage baseImage = await (await ImageSources.OpenAsync($"docker-archive:{dockerBase}", store)).GetImageAsync(null);
        Assert.True(baseImage.Manifest.IsDocker);
        string app = TestImage.CreateAppFolder(dir.Path);

        BuiltImage docker = await TestImage.BuildAsync(baseImage, store, app);
        Assert.Equal(MediaTypes.DockerManifest, docker.Manifest.MediaType);
        Assert.Equal(MediaTypes.DockerConfig, docker.Manifest.Config.MediaType);
        Assert.All(docker.Manifest.Layers, l => Assert.StartsWith("application/vnd.docker.image.rootfs.diff.tar", l.MediaType));
        string dockerOut = await ImageOutput.WriteAsync($"docker-archive:{dir["docker.tar"]}", docker, [Name]);
        Assert.Equal(TestImage.ExpectedOutput, TestImage.RunImage($"docker-archive:{dockerOut}"));

        BuiltImage oci = await TestImage.BuildAsync(baseImage, store, app, ImageFormat.Oci);
        Assert.Equal(MediaTypes.OciManifest, oci.Manifest.MediaType);
        Assert.Equal(MediaTypes.OciConfig, oci.Manifest.Config.MediaType);
        Assert.All(oci.Manifest.Layers, l => Assert.StartsWith("application/vnd.oci.image.layer.v1.tar", l.MediaType));
        Assert.Equal(docker.ConfigBytes, oci.ConfigBytes);
        string ociOut = await ImageOutput.WriteAsync($"oci:{dir["oci"]}", oci, [Name]);
        Assert.Equal(TestImage.ExpectedOutput, TestImage.RunImage($"oci:{ociOut}:1.0"));
    }

    [Fact]
    public async Task An_oci_archive_base_and_a_nested_multi_platform_index_resolve_to_the_right_manifest()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["store"]);
        string archive = dir["base.tar"];
        Run.Checked("skopeo", "copy", bases.Get("busybox"), $"oci-archive:{archive}:b");
        SourceImage fromArchive = await (await ImageSources.OpenAsync($"oci-archive:{archive}:b", store)).GetImageAsync(Platform.LinuxAmd64);
        SourceImage fromLayout = await (await ImageSources.OpenAsync(bases.Get("busybox"), store)).GetImageAsync(Platform.LinuxAmd64);
        Assert.Equal(fromLayout.Manifest.Config.Digest, fromArchive.Manifest.Config.Digest);

        // A layout whose tag points at an index: an attestation, an arm64 image and the amd64 image.
        string layout = dir["multi"];
        Run.Checked("skopeo", "copy", bases.Get("busybox"), $"oci:{layout}:single");
        var amd64 = fromLayout.ManifestDigest;
        string index = $$$"""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
             {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{amd64}}}","size":{{{fromLayout.ManifestBytes.Length}}},"platform":{"architecture":"unknown","os":"unknown"},"annotations":{"vnd.docker.reference.type":"attestation-manifest"}},
             {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{{{new string('e', 64)}}}","size":10,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
             {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{amd64}}}","size":{{{fromLayout.ManifestBytes.Length}}},"platform":{"architecture":"amd64","os":"linux"}}]}
            """;
        Digest indexDigest = Digest.Sha256(System.Text.Encoding.UTF8.GetBytes(index));
        File.WriteAllText(Path.Combine(layout, "blobs", "sha256", indexDigest.Hex), index);
        File.WriteAllText(Path.Combine(layout, "index.json"),
            $$$"""{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{{{indexDigest}}}","size":{{{index.Length}}},"annotations":{"org.opencontainers.image.ref.name":"multi"}}]}""");
        var source = OciLayoutSource.Open(layout, "multi");
        SourceImage resolved = await source.GetImageAsync(Platform.LinuxAmd64);
        Assert.Equal(amd64, resolved.ManifestDigest);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => source.GetImageAsync(Platform.Parse("linux/ppc64le")));
        Assert.Equal("CT1006", error.Code);
        Assert.Contains("linux/arm64/v8, linux/amd64", error.Message);

        var missing = await Assert.ThrowsAsync<ContainerTasksException>(() => OciLayoutSource.Open(layout, "nope").GetImageAsync(null));
        Assert.Equal("CT5003", missing.Code);
        Assert.Contains("multi", missing.Message);
    }

    [Fact]
    public async Task A_corrupt_base_blob_fails_with_CT1007_and_leaves_no_archive_or_temp_file()
    {
        using var dir = new TempDirectory();
        Run.Checked("skopeo", "copy", bases.Get("busybox"), $"oci:{dir["base"]}:b");
        var store = new ContentStore(dir["store"]);
        SourceImage baseImage = await OciLayoutSource.Open(dir["base"], "b").GetImageAsync(null);
        BuiltImage image = await TestImage.BuildAsync(baseImage, store, TestImage.CreateAppFolder(dir.Path));
        string layerPath = Path.Combine(dir["base"], "blobs", "sha256", baseImage.Manifest.Layers[0].Digest.Hex);
        using (var stream = new FileStream(layerPath, FileMode.Open, FileAccess.Write))
        {
            stream.Position = 100;
            stream.WriteByte(0x42);
        }
        Directory.CreateDirectory(dir["out"]);
        foreach (string destination in new[] { $"oci-archive:{dir["out/a.tar"]}", $"docker-archive:{dir["out/b.tar.gz"]}", $"oci:{dir["out/layout"]}" })
        {
            var error = await Assert.ThrowsAsync<ContainerTasksException>(() => ImageOutput.WriteAsync(destination, image, [Name]));
            Assert.Equal("CT1007", error.Code);
        }
        Assert.Equal(["layout"], Directory.EnumerateFileSystemEntries(dir["out"]).Select(Path.GetFileName));
        Assert.False(File.Exists(dir["out/layout/index.json"]));
        Assert.DoesNotContain(Directory.EnumerateFiles(dir["out"], "*", SearchOption.AllDirectories), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Writing_into_an_existing_layout_keeps_other_tags_and_replaces_the_same_tag()
    {
        using var dir = new TempDirectory();
        var (image, _) = await BuildOnBusyboxAsync(dir);
        string layout = dir["layout"];
        Run.Checked("skopeo", "copy", bases.Get("busybox"), $"oci:{layout}:other");
        await ImageOutput.WriteAsync($"oci:{layout}", image, [Name]);
        await ImageOutput.WriteAsync($"oci:{layout}", image, [Name]);
        var index = ImageIndex.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json")));
        Assert.Equal(["other", "1.0"], index.Manifests.Select(m => m.Annotations!["org.opencontainers.image.ref.name"]));
        Assert.Equal(new Platform("linux", "amd64"), index.Manifests[1].Platform);
        Assert.Equal(TestImage.ExpectedOutput, TestImage.RunImage($"oci:{layout}:1.0"));

        Directory.CreateDirectory(dir["not-a-layout"]);
        File.WriteAllText(dir["not-a-layout/keep.txt"], "x");
        Assert.Equal("CT5004", (await Assert.ThrowsAsync<ContainerTasksException>(() => ImageOutput.WriteAsync($"oci:{dir["not-a-layout"]}", image, [Name]))).Code);
    }

    [Fact]
    public async Task The_same_inputs_built_in_two_processes_give_the_same_image_and_archive_bytes()
    {
        using var dir = new TempDirectory();
        string app = TestImage.CreateAppFolder(dir.Path);
        string baseRef = bases.Get("busybox");
        var digests = new List<string>();
        foreach (string run in new[] { "1", "2" })
        {
            if (run == "2")
            {
                File.SetLastWriteTimeUtc(Path.Combine(app, "hello.txt"), DateTime.UtcNow.AddDays(-3));
                File.SetUnixFileMode(Path.Combine(app, "hello.txt"), UnixFileMode.UserRead);
            }
            var result = Run.CtImage(["build", "--from", baseRef, "--to", $"oci-archive:{dir[$"out{run}.tar"]}", "--tag", "app:1",
                "--layer", $"{app}:/app", "--env", "A=1", "--entrypoint", "/bin/sh", "--cache", dir[$"cache{run}"]],
                new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = "1700000000" }).EnsureSuccess("ctimage build");
            digests.Add(result.StandardOutput.Trim());
        }
        Assert.Matches("^sha256:[0-9a-f]{64}$", digests[0]);
        Assert.Equal(digests[0], digests[1]);
        Assert.Equal(File.ReadAllBytes(dir["out1.tar"]), File.ReadAllBytes(dir["out2.tar"]));
    }

    [Fact]
    public async Task Scratch_plus_a_static_binary_is_a_runnable_image_with_an_oci_config()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["bin"]);
        File.Copy(Tools.Require("busybox"), dir["bin/busybox"]);
        var result = Run.CtImage(["build", "--from", "scratch", "--to", $"oci:{dir["out"]}", "--tag", "tiny:1", "--layer", $"{dir["bin"]}:/bin",
            "--entrypoint", "/bin/busybox", "--cmd", "echo", "--cmd", "from scratch", "--cache", dir["cache"]]).EnsureSuccess("ctimage build");
        Assert.Equal(["from scratch"], TestImage.RunImage($"oci:{dir["out"]}:1"));
        Run.Checked("oci-image-tool", "validate", "--type", "image", dir["out"]);
        _ = result;
    }
}
