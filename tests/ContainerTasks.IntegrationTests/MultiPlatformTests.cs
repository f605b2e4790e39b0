using System.Formats.Tar;
using System.Text.Json;
using ContainerTasks.Building;
using ContainerTasks.Model;
using ContainerTasks.Outputs;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Sources;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>Several platform images under one index: pushed with shared blobs once and no extra tags, written to archives with each blob once.</summary>
[Collection(ImageCollection.Name)]
public sealed class MultiPlatformTests(BaseImages bases, HttpRegistryFixture http) : IClassFixture<HttpRegistryFixture>
{
    [Fact]
    public async Task Two_platforms_push_as_one_index_with_the_shared_layer_uploaded_once_and_no_platform_tags()
    {
        RegistryShapeSet shapes = await http.GetShapesAsync(bases);
        RegistryServer server = http.Server;
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), server.Host, server.Host);
        SourceImage amd64 = await kit.PullAsync(session, shapes.OciIndex.Reference, Platform.Parse("linux/amd64"));
        SourceImage arm64 = await kit.PullAsync(session, shapes.OciIndex.Reference, Platform.Parse("linux/arm64"));
        Assert.NotEqual(amd64.ManifestDigest, arm64.ManifestDigest);

        string app = TestImage.CreateAppFolder(kit.Home.Path);
        BuiltImage x64 = await TestImage.BuildAsync(amd64, kit.Store, app);
        BuiltImage a64 = await TestImage.BuildAsync(arm64, kit.Store, app);
        Digest shared = x64.Manifest.Layers[^1].Digest;
        Assert.Equal(shared, a64.Manifest.Layers[^1].Digest);
        BuiltIndex index = ImageIndexBuilder.Build([x64, a64]);
        Assert.Equal(MediaTypes.OciIndex, index.Index.MediaType);

        string repository = RegistryServer.NewRepository("multi");
        int mark = server.AccessLog().Count;
        PushResult result = await new ImagePusher(session.Client(server.Host, repository, RegistryRole.Push))
            .PushAsync(ImageSet.Multi([x64, a64], index), repository, ["1.0", "latest"]);
        Assert.Equal(index.Digest, result.ManifestDigest);
        var log = server.AccessLog().Skip(mark).Where(e => e.Path.Contains(repository, StringComparison.Ordinal)).ToList();
        Assert.Single(log, e => e.Method == "PUT" && e.Target.Contains(Uri.EscapeDataString(shared.ToString()), StringComparison.Ordinal) && e.Status == 201);
        Assert.Equal(2, log.Count(e => e.Method == "PUT" && e.Path.Contains("/manifests/sha256:", StringComparison.Ordinal)));

        string tags = await (await server.CreateHttpClient().GetAsync($"/v2/{repository}/tags/list")).Content.ReadAsStringAsync();
        Assert.Equal(new List<string> { "1.0", "latest" }, JsonDocument.Parse(tags).RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).Order().ToList());

        string raw = Run.Checked("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{server.Reference(repository + ":1.0")}");
        var platforms = JsonDocument.Parse(raw).RootElement.GetProperty("manifests").EnumerateArray()
            .Select(m => $"{m.GetProperty("platform").GetProperty("os").GetString()}/{m.GetProperty("platform").GetProperty("architecture").GetString()}").ToList();
        Assert.Equal(["linux/amd64", "linux/arm64"], platforms);

        // The amd64 image of the index runs; the arm64 one is an arm64 image.
        string layout = kit.Home["copied"];
        Run.Process("skopeo", ["copy", "--src-tls-verify=false", "--override-arch", "amd64", $"docker://{server.Reference(repository + ":1.0")}", $"oci:{layout}:x64"]).EnsureSuccess("skopeo copy amd64");
        Assert.Equal(TestImage.ExpectedOutput, TestImage.RunImage($"oci:{layout}:x64"));
        string armConfig = Run.Checked("skopeo", "inspect", "--config", "--tls-verify=false", $"docker://{server.Reference(repository + "@" + a64.ManifestDigest)}");
        Assert.Equal("arm64", JsonDocument.Parse(armConfig).RootElement.GetProperty("architecture").GetString());
    }

    [Fact]
    public async Task A_multi_platform_archive_holds_the_index_and_each_blob_once_and_skopeo_copies_all_of_it()
    {
        RegistryShapeSet shapes = await http.GetShapesAsync(bases);
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), http.Server.Host, null);
        string app = TestImage.CreateAppFolder(kit.Home.Path);
        BuiltImage x64 = await TestImage.BuildAsync(await kit.PullAsync(session, shapes.OciIndex.Reference, Platform.Parse("linux/amd64")), kit.Store, app);
        BuiltImage a64 = await TestImage.BuildAsync(await kit.PullAsync(session, shapes.OciIndex.Reference, Platform.Parse("linux/arm64")), kit.Store, app);
        var set = ImageSet.Multi([x64, a64], ImageIndexBuilder.Build([x64, a64]));
        string archive = await ImageOutput.WriteAsync($"oci-archive:{kit.Home["multi.tar"]}", set, [ImageReference.Parse("multi:1")]);

        var names = new List<string>();
        using (var reader = new TarReader(File.OpenRead(archive)))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                names.Add(entry.Name);
            }
        }
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Contains($"blobs/sha256/{set.Index!.Digest.Hex}", names);
        Assert.Contains($"blobs/sha256/{a64.Manifest.Layers[^1].Digest.Hex}", names);

        Run.Process("skopeo", ["copy", "--all", $"oci-archive:{archive}:1", $"oci:{kit.Home["all"]}:1"]).EnsureSuccess("skopeo copy --all");
        Assert.Equal(TestImage.ExpectedOutput, TestImage.RunImage($"oci:{await CopyPlatformAsync(archive, kit)}:x"));
    }

    private static Task<string> CopyPlatformAsync(string archive, RegistryTestKit kit)
    {
        string layout = kit.Home["x64"];
        Run.Process("skopeo", ["copy", "--override-arch", "amd64", $"oci-archive:{archive}:1", $"oci:{layout}:x"]).EnsureSuccess("skopeo copy amd64");
        return Task.FromResult(layout);
    }
}
