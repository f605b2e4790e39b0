using System.Text;
using System.Text.Json;
using ContainerTasks.Content;
using ContainerTasks.Model;
using ContainerTasks.Outputs;
using ContainerTasks.Pipeline;
using ContainerTasks.Sources;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>
/// A base image taken from a local engine (<c>docker-daemon:NAME</c>, what <c>ContainerBaseImageSource=local</c> asks for),
/// against an engine of this process on a unix socket: inspected by name, exported once, named by its image id.
/// </summary>
public sealed class EngineBaseImageTests : IDisposable
{
    private const string PodmanVersion = """{"Components":[{"Name":"Podman Engine","Version":"4.3.1"}],"Version":"4.3.1","ApiVersion":"1.41"}""";
    private readonly TempDirectory _dir = new();
    private readonly RecordingLog _log = new();

    public EngineBaseImageTests()
    {
        Directory.CreateDirectory(_dir["publish"]);
        File.WriteAllText(_dir["publish/app.dll"], "app");
        Directory.CreateDirectory(_dir["empty-path"]);
    }

    public void Dispose() => _dir.Dispose();

    // What `podman save` of a one-layer image gives, and the image id (its config's digest).
    private async Task<(byte[] Archive, Digest Id)> EngineImageAsync(Platform? platform = null)
    {
        var image = await TestImage.BuildAsync(await new ScratchSource().GetImageAsync(platform ?? Platform.LinuxAmd64), new ContentStore(_dir["engine-store"]),
            TestImage.CreateAppFolder(_dir["base-files"]));
        await ImageOutput.WriteAsync(OutputKind.DockerArchive, _dir["export.tar"], image, [ImageReference.Parse("localhost/my-base:1")], DateTimeOffset.UnixEpoch);
        return (File.ReadAllBytes(_dir["export.tar"]), image.Manifest.Config.Digest);
    }

    private static Func<string, string, (int, byte[])> Podman(Digest id, byte[] archive, long? size = null) => (method, path) => (method, path) switch
    {
        ("GET", "/_ping") => (200, "OK"u8.ToArray()),
        ("GET", "/version") => (200, Encoding.UTF8.GetBytes(PodmanVersion)),
        // Podman resolves the short name to localhost/my-base:1.
        ("GET", "/images/my-base:1/json") => (200, Encoding.UTF8.GetBytes(
            $$"""{"Id":"{{id}}","RepoTags":["localhost/my-base:1"],"Os":"linux","Architecture":"amd64"{{(size is { } s ? $",\"Size\":{s}" : "")}}}""")),
        ("GET", _) when path == $"/images/{id.Hex}/get" => (200, archive),
        ("POST", "/images/load?quiet=1") => (200, """{"stream":"Loaded image: docker.io/library/app:1\n"}"""u8.ToArray()),
        _ => (404, """{"message":"no such image"}"""u8.ToArray()),
    };

    private ContainerBuildRequest Request(string baseImage, string socket, Platform platform, string? archive = "app.tar") => new()
    {
        BaseImage = baseImage,
        Platforms = [new PlatformInput("linux-x64", platform, _dir["publish"], null, [], [])],
        Repository = "app",
        Tags = ["1"],
        ArchiveOutputPath = archive is null ? null : _dir["out/" + archive],
        FallbackArchiveDirectory = _dir["fallback"],
        CacheDirectory = _dir["cache"],
        // No engine CLI to fall back to: only the socket counts.
        EnvironmentSnapshot = new Dictionary<string, string> { ["DOCKER_HOST"] = "unix://" + socket, ["PATH"] = _dir["empty-path"] },
    };

    [Fact]
    public async Task The_engine_image_is_exported_once_results_name_it_by_its_image_id_and_no_base_label_points_at_a_registry()
    {
        var (archive, id) = await EngineImageAsync();
        using var engine = new FakeEngine(_dir["engine.sock"], Podman(id, archive));

        ContainerBuildResult first = await ContainerBuilder.BuildAsync(Request("docker-daemon:my-base:1", _dir["engine.sock"], Platform.LinuxAmd64), _log);
        Assert.Contains(_log.Lines, l => l.StartsWith("Exported the base image my-base:1 (podman's image " + id.Hex[..12] + ") from podman: 1 layer (", StringComparison.Ordinal));
        Assert.Equal(id, first.BaseDigest);
        using (var config = JsonDocument.Parse(first.Config))
        {
            // No base.* labels: they would name an image no registry has (docker.io/library/my-base:1, an image id as a manifest digest).
            bool labelled = config.RootElement.GetProperty("config").TryGetProperty("Labels", out JsonElement labels) && labels.ValueKind == JsonValueKind.Object;
            Assert.False(labelled && labels.TryGetProperty("org.opencontainers.image.base.name", out _));
            Assert.False(labelled && labels.TryGetProperty("org.opencontainers.image.base.digest", out _));
            // The base's layer, then the app's.
            Assert.Equal(2, config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").GetArrayLength());
        }
        Assert.True(File.Exists(Path.Combine(_dir["cache"], "engine-images", id.Hex)));

        // The same image id again: the export is not asked for; the image is the same.
        _log.Lines.Clear();
        ContainerBuildResult second = await ContainerBuilder.BuildAsync(Request("docker-daemon:my-base:1", _dir["engine.sock"], Platform.LinuxAmd64, "again.tar"), _log);
        Assert.Equal(first.ManifestDigest, second.ManifestDigest);
        Assert.Contains(_log.Lines, l => l.Contains("not exported again", StringComparison.Ordinal));
        Assert.Single(engine.Requests, r => r.Path.EndsWith("/get", StringComparison.Ordinal));
        Assert.Equal(2, engine.Requests.Count(r => r.Path == "/images/my-base:1/json"));
    }

    [Fact]
    public async Task An_image_on_an_engine_base_with_no_other_destination_goes_back_into_that_engine_with_the_base_layer()
    {
        var (archive, id) = await EngineImageAsync();
        using var engine = new FakeEngine(_dir["engine.sock"], Podman(id, archive));
        ContainerBuildResult result = await ContainerBuilder.BuildAsync(Request("docker-daemon:my-base:1", _dir["engine.sock"], Platform.LinuxAmd64, archive: null), _log);
        Assert.Equal("loaded into podman", result.Destination);

        FakeEngine.Request load = Assert.Single(engine.Requests, r => r.Method == "POST");
        var names = new List<string>();
        using (var tar = new System.Formats.Tar.TarReader(new MemoryStream(load.Body)))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                names.Add(entry.Name);
            }
        }
        using var manifest = JsonDocument.Parse(result.Manifest);
        var layers = manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!.Replace(':', '/')).ToList();
        Assert.Equal(2, layers.Count);
        Assert.All(layers, layer => Assert.Contains("blobs/" + layer, names));
    }

    [Fact]
    public async Task The_SBOM_names_an_engine_base_by_its_name_and_image_id_with_no_registry()
    {
        var (archive, id) = await EngineImageAsync();
        using var engine = new FakeEngine(_dir["engine.sock"], Podman(id, archive));
        ContainerBuildRequest request = Request("docker-daemon:my-base:1", _dir["engine.sock"], Platform.LinuxAmd64) with
        {
            Supply = new SupplyChainRequest { Sbom = true, Provenance = false, TargetFramework = "net10.0", AppName = "app" },
        };
        ContainerBuildResult result = await ContainerBuilder.BuildAsync(request, _log);

        ArtifactResult sbom = Assert.Single(result.Artifacts);
        using var document = JsonDocument.Parse(sbom.Content);
        JsonElement package = document.RootElement.GetProperty("packages").EnumerateArray().Single(p => p.GetProperty("SPDXID").GetString() == "SPDXRef-BaseImage");
        Assert.Equal("my-base", package.GetProperty("name").GetString());
        string purl = package.GetProperty("externalRefs").EnumerateArray().Single(r => r.GetProperty("referenceType").GetString() == "purl").GetProperty("referenceLocator").GetString()!;
        Assert.Equal($"pkg:oci/my-base@sha256%3A{id.Hex}?tag=1", purl);
    }

    [Fact]
    public async Task A_name_the_engine_does_not_hold_is_CT4130_naming_the_engine_and_nothing_is_written()
    {
        var (archive, id) = await EngineImageAsync();
        using var engine = new FakeEngine(_dir["engine.sock"], Podman(id, archive));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() =>
            ContainerBuilder.BuildAsync(Request("docker-daemon:other-base:2", _dir["engine.sock"], Platform.LinuxAmd64), _log));
        Assert.Equal(ErrorCodes.BaseNotInEngine, error.Code);
        Assert.Contains($"The base image other-base:2 is not in the local engine (podman 4.3.1 (API 1.41) at unix://{_dir["engine.sock"]} (DOCKER_HOST))", error.Message);
        Assert.Contains("'podman build -t other-base:2 .'", error.Message);
        Assert.DoesNotContain(engine.Requests, r => r.Path.EndsWith("/get", StringComparison.Ordinal));
        Assert.False(Directory.Exists(_dir["out"]));
    }

    [Fact]
    public async Task A_platform_the_engine_image_is_not_for_is_CT1006_before_anything_is_exported()
    {
        var (archive, id) = await EngineImageAsync();
        using var engine = new FakeEngine(_dir["engine.sock"], Podman(id, archive));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() =>
            ContainerBuilder.BuildAsync(Request("docker-daemon:my-base:1", _dir["engine.sock"], Platform.Parse("linux/arm64")), _log));
        Assert.Equal(ErrorCodes.NoMatchingPlatform, error.Code);
        Assert.Contains("is for linux/amd64, not linux/arm64: a local engine holds one platform per image name", error.Message);
        Assert.DoesNotContain(engine.Requests, r => r.Path.EndsWith("/get", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_export_that_is_no_image_archive_is_CT4132_and_leaves_no_blob_behind()
    {
        var (_, id) = await EngineImageAsync();
        byte[] notAnArchive = Encoding.UTF8.GetBytes(new string('x', 4096));
        using var engine = new FakeEngine(_dir["engine.sock"], Podman(id, notAnArchive));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() =>
            ContainerBuilder.BuildAsync(Request("docker-daemon:my-base:1", _dir["engine.sock"], Platform.LinuxAmd64), _log));
        Assert.Equal(ErrorCodes.EngineExportFailed, error.Code);
        Assert.Contains("What podman exported of my-base:1", error.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir["cache"], "engine-images")));
    }

    [Fact]
    public async Task An_export_from_Docker_before_25_with_a_repeated_layer_saved_as_a_symlink_is_read_through_the_link()
    {
        var (archive, id) = DockerArchiveLinkTests.ArchiveWithLinkedLayer(System.Formats.Tar.TarEntryType.SymbolicLink, "../aaa/layer.tar");
        using var engine = new FakeEngine(_dir["engine.sock"], Podman(id, archive, size: 2048));
        ContainerBuildResult result = await ContainerBuilder.BuildAsync(Request("docker-daemon:my-base:1", _dir["engine.sock"], Platform.LinuxAmd64), _log);
        using var config = JsonDocument.Parse(result.Config);
        var diffIds = config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()).ToList();
        // The two empty base layers, then the app's.
        Assert.Equal(3, diffIds.Count);
        Assert.Equal(Digest.Sha256(DockerArchiveLinkTests.EmptyLayer()).ToString(), diffIds[1]);
    }

    [Fact]
    public async Task An_export_far_larger_than_the_size_the_engine_reported_is_stopped_as_CT4132_and_nothing_of_it_stays_in_the_cache()
    {
        var (_, id) = await EngineImageAsync();
        // One "layer" of 70 MiB from an engine that said the image is 1 MiB: more than it plus 10 % and 64 MiB.
        var output = new MemoryStream();
        using (var tar = new System.Formats.Tar.TarWriter(output, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
        {
            DockerArchiveLinkTests.Add(tar, "aaa/layer.tar", new byte[70 * 1024 * 1024]);
        }
        using var engine = new FakeEngine(_dir["engine.sock"], Podman(id, output.ToArray(), size: 1024 * 1024));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() =>
            ContainerBuilder.BuildAsync(Request("docker-daemon:my-base:1", _dir["engine.sock"], Platform.LinuxAmd64), _log));
        Assert.Equal(ErrorCodes.EngineExportFailed, error.Code);
        Assert.Contains("podman exported more than 68.3 MB of my-base:1", error.Message);
        Assert.Contains("far more than the 1.0 MB it reported for the image; the export was stopped and nothing of it kept", error.Message);
        Assert.DoesNotContain(DockerArchiveLinkTests.StoredFiles(_dir["cache"]), f => new FileInfo(f).Length > 1024 * 1024);
        Assert.False(Directory.Exists(Path.Combine(_dir["cache"], "engine-images")));
    }

    [Theory]
    [InlineData("docker-daemon:a/../../containers/json")]
    [InlineData("docker-daemon:./my-base:1")]
    [InlineData("docker-daemon:team/./my-base")]
    [InlineData("docker-daemon:my-base/..")]
    public async Task A_name_with_a_dot_segment_is_CT4131_and_the_engine_is_never_asked(string baseImage)
    {
        var (archive, id) = await EngineImageAsync();
        using var engine = new FakeEngine(_dir["engine.sock"], Podman(id, archive));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() =>
            ContainerBuilder.BuildAsync(Request(baseImage, _dir["engine.sock"], Platform.LinuxAmd64), _log));
        Assert.Equal(ErrorCodes.InvalidBaseImageSource, error.Code);
        Assert.Contains("is not the name of an image in a local engine", error.Message);
        Assert.Empty(engine.Requests);
    }

    [Fact]
    public async Task An_export_of_another_image_than_the_id_asked_for_is_CT4132()
    {
        var (archive, id) = await EngineImageAsync();
        Digest claimed = Digest.Sha256("another image's config"u8);
        using var engine = new FakeEngine(_dir["engine.sock"], (method, path) => path == $"/images/{claimed.Hex}/get" ? (200, archive) : Podman(claimed, archive)(method, path));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() =>
            ContainerBuilder.BuildAsync(Request("docker-daemon:my-base:1", _dir["engine.sock"], Platform.LinuxAmd64), _log));
        Assert.Equal(ErrorCodes.EngineExportFailed, error.Code);
        Assert.Contains($"is another image: neither its config ({id}) nor its manifest", error.Message);
        Assert.Contains($"is the image id {claimed}", error.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir["cache"], "engine-images")));
    }

    [Fact]
    public async Task An_export_whose_config_is_for_another_platform_than_the_engine_described_is_CT1006()
    {
        // The engine says amd64 (and a terminal escape in the variant); what it exports is for arm64.
        var (archive, id) = await EngineImageAsync(Platform.Parse("linux/arm64"));
        using var engine = new FakeEngine(_dir["engine.sock"], (method, path) => path == "/images/my-base:1/json"
            ? (200, Encoding.UTF8.GetBytes($$"""{"Id":"{{id}}","RepoTags":["localhost/my-base:1"],"Os":"linux","Architecture":"amd64","Variant":"v1\u001b[31m"}"""))
            : Podman(id, archive)(method, path));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() =>
            ContainerBuilder.BuildAsync(Request("docker-daemon:my-base:1", _dir["engine.sock"], Platform.LinuxAmd64), _log));
        Assert.Equal(ErrorCodes.NoMatchingPlatform, error.Code);
        Assert.Contains("is for linux/arm64 as podman exported it, not linux/amd64 (though the engine described it as linux/amd64/v1 [31m)", error.Message);
        Assert.DoesNotContain("\u001b", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Gzip(byte[] content)
    {
        var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(content);
        }
        return output.ToArray();
    }

    [Fact]
    public async Task A_gzipped_layer_from_the_engine_is_checked_against_its_diff_id_once_and_one_that_does_not_match_is_CT4132()
    {
        byte[] layer = Gzip(DockerArchiveLinkTests.EmptyLayer());
        Digest diffId = Digest.Sha256(DockerArchiveLinkTests.EmptyLayer());
        var (good, goodId) = DockerArchiveLinkTests.ArchiveWithLayer(layer, diffId);
        using (var engine = new FakeEngine(_dir["engine.sock"], Podman(goodId, good)))
        {
            ContainerBuildResult result = await ContainerBuilder.BuildAsync(Request("docker-daemon:my-base:1", _dir["engine.sock"], Platform.LinuxAmd64), _log);
            Assert.Equal(goodId, result.BaseDigest);
            Assert.True(new ContentStore(_dir["cache"]).WasVerified(Digest.Sha256(layer), diffId), "the check is remembered");
        }
        File.Delete(_dir["engine.sock"]);

        // The same blob, but the config names another diff_id: the engine's layer is not what its image says.
        Digest wrong = Digest.Sha256("not the layer"u8);
        var (bad, badId) = DockerArchiveLinkTests.ArchiveWithLayer(layer, wrong);
        using var hostile = new FakeEngine(_dir["engine.sock"], Podman(badId, bad));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() =>
            ContainerBuilder.BuildAsync(Request("docker-daemon:my-base:1", _dir["engine.sock"], Platform.LinuxAmd64, "bad.tar"), _log));
        Assert.Equal(ErrorCodes.EngineExportFailed, error.Code);
        Assert.Contains($"the layer {Digest.Sha256(layer)} does not inflate to the diff_id {wrong} its config names", error.Message);
        Assert.False(File.Exists(Path.Combine(_dir["cache"], "engine-images", badId.Hex)));
    }

    [Fact]
    public async Task No_engine_answering_is_CT4108_and_the_base_is_never_looked_for_in_a_registry()
    {
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() =>
            ContainerBuilder.BuildAsync(Request("docker-daemon:my-base:1", _dir["no-engine.sock"], Platform.LinuxAmd64), _log));
        Assert.Equal(ErrorCodes.DaemonLoadFailed, error.Code);
        Assert.Contains($"The base image my-base:1 (ContainerBaseImageSource=local) needs a local Docker or Podman engine, but none answers (unix://{_dir["no-engine.sock"]} (DOCKER_HOST): no such socket)", error.Message);
        Assert.False(Directory.Exists(_dir["out"]));
    }

    [Fact]
    public void An_exported_plain_tar_layer_is_gzipped_into_the_store_the_same_bytes_every_time_and_inflates_to_the_tar()
    {
        var store = new ContentStore(_dir["cache"]);
        byte[] tar = new byte[3 * 1024 * 1024 + 17];
        new Random(7).NextBytes(tar.AsSpan(0, tar.Length / 2)); // half noise, half zeros: compressible, not trivially
        Digest tarDigest = store.Put(tar);
        var layer = new Descriptor(MediaTypes.DockerLayer, tarDigest, tar.Length);

        Descriptor first = Layers.StoredLayerCompression.Compress(store, layer, CancellationToken.None);
        Descriptor second = Layers.StoredLayerCompression.Compress(store, layer, CancellationToken.None);
        Assert.Equal(first, second);
        Assert.Equal(MediaTypes.DockerLayerGzip, first.MediaType);
        Assert.True(first.Size < tar.Length * 3 / 4, $"{first.Size} bytes of gzip for {tar.Length} of tar");
        using var inflated = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(store.OpenRead(first.Digest), System.IO.Compression.CompressionMode.Decompress))
        {
            gzip.CopyTo(inflated);
        }
        Assert.Equal(tarDigest, Digest.Sha256(inflated.ToArray()));
        Assert.True(store.Contains(tarDigest), "the tar is kept: another build may be reading it");
    }

    private sealed class RecordingLog : IContainerBuildLog
    {
        public List<string> Lines { get; } = [];

        public void Progress(string message)
        {
            lock (Lines)
            {
                Lines.Add(message);
            }
        }

        public void Detail(string message) => Progress(message);

        public void Warning(string code, string message) => Progress($"{code}: {message}");
    }
}
