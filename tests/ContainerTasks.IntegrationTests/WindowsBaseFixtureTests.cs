using System.Net;
using System.Text.Json;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// The Windows-shaped bases (<see cref="WindowsBases"/>) are in the registry as intended: manifest types, platforms and
/// os.version as skopeo reads them back, the Windows layer format as Python's tarfile reads it, and a foreign layer the
/// registry does not hold.
/// </summary>
[Collection(ImageCollection.Name)]
public sealed class WindowsBaseFixtureTests(BaseImages bases, HttpRegistryFixture http) : IClassFixture<HttpRegistryFixture>
{
    private const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    private const string OciConfig = "application/vnd.oci.image.config.v1+json";

    [Fact]
    public async Task The_nanoserver_tags_are_a_docker_and_an_oci_manifest_of_one_windows_amd64_image()
    {
        WindowsBaseSet set = await WindowsBases.GetAsync(http.Server, bases);
        PublishedImage docker = await RegistryShapes.InspectAsync(http.Server, "windows/runtime:nanoserver");
        PublishedImage oci = await RegistryShapes.InspectAsync(http.Server, "windows/runtime:nanoserver-oci");
        Assert.Equal((RegistryShapes.DockerManifest, RegistryShapes.DockerManifest), (docker.MediaType, docker.MediaTypeField));
        Assert.Equal((RegistryShapes.OciManifest, RegistryShapes.OciManifest), (oci.MediaType, oci.MediaTypeField));
        using JsonDocument dockerManifest = Raw(set.Nanoserver), ociManifest = Raw(set.NanoserverOci);
        Assert.Equal(DockerConfig, dockerManifest.RootElement.GetProperty("config").GetProperty("mediaType").GetString());
        Assert.Equal(OciConfig, ociManifest.RootElement.GetProperty("config").GetProperty("mediaType").GetString());
        Assert.Equal(["application/vnd.docker.image.rootfs.diff.tar.gzip"], LayerTypes(dockerManifest));
        Assert.Equal(["application/vnd.oci.image.layer.v1.tar+gzip"], LayerTypes(ociManifest));
        // One image in two shapes: the same config and layer bytes.
        Assert.Equal(dockerManifest.RootElement.GetProperty("config").GetProperty("digest").GetString(),
            ociManifest.RootElement.GetProperty("config").GetProperty("digest").GetString());
        foreach (string reference in new[] { set.Nanoserver, set.NanoserverOci })
        {
            JsonElement config = Config(reference);
            Assert.Equal(("windows", "amd64", WindowsBases.Ltsc2022), (Text(config, "os"), Text(config, "architecture"), Text(config, "os.version")));
            Assert.False(config.TryGetProperty("os.features", out _));
            Assert.Equal("ContainerUser", config.GetProperty("config").GetProperty("User").GetString());
            Assert.Contains(@"Path=C:\Windows\system32;C:\Windows;C:\Program Files\dotnet", config.GetProperty("config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        }
    }

    [Fact]
    public async Task The_nanoserver_layer_is_in_the_windows_layer_format_as_tarfile_reads_it()
    {
        WindowsBaseSet set = await WindowsBases.GetAsync(http.Server, bases);
        using var dir = new TempDirectory();
        Run.Process("skopeo", ["copy", "--quiet", "--src-tls-verify=false", $"docker://{set.Nanoserver}", $"oci:{dir["layout"]}:base"]).EnsureSuccess("skopeo copy");
        DumpedImage image = LayerDump.ReadImage(dir["layout"], "base");
        IReadOnlyList<DumpedEntry> entries = Assert.Single(image.Layers).Entries!;
        Assert.Equal("Files", entries[0].Name);
        Assert.Equal("Files/", entries[0].Stored);
        Assert.Contains(entries, e => e.Name == "Files/Windows/System32/kernel32.dll" && e.Type == "file" && e.Sha256 is { Length: 64 });
        Assert.Contains(entries, e => e.Name == "Files/Program Files/dotnet/dotnet.exe" && e.Type == "file");
        Assert.Equal(["Hives", "Hives/DefaultUser_Delta", "Hives/Sam_Delta", "Hives/Security_Delta", "Hives/Software_Delta", "Hives/System_Delta"],
            entries.SkipWhile(e => e.Name != "Hives").Select(e => e.Name));
        Assert.All(entries, e =>
        {
            Assert.True(Convert.TryFromBase64String(e.Pax["MSWINDOWS.rawsd"], new byte[64], out int length) && length >= 20, e.Name);
            Assert.Equal((0, 0), (e.Uid, e.Gid));
            Assert.False(e.Pax.ContainsKey("mtime"), e.Name);
        });
    }

    [Fact]
    public async Task The_multi_tag_is_an_oci_index_of_linux_then_three_windows_images_with_their_os_versions()
    {
        WindowsBaseSet set = await WindowsBases.GetAsync(http.Server, bases);
        PublishedImage index = await RegistryShapes.InspectAsync(http.Server, "windows/runtime:multi");
        Assert.Equal((RegistryShapes.OciIndex, RegistryShapes.OciIndex), (index.MediaType, index.MediaTypeField));
        using JsonDocument raw = Raw(set.Multi);
        var entries = raw.RootElement.GetProperty("manifests").EnumerateArray().ToList();
        Assert.Equal(["linux/amd64/", $"windows/amd64/{WindowsBases.Ltsc2019}", $"windows/amd64/{WindowsBases.Ltsc2022}", $"windows/arm64/{WindowsBases.Arm64Version}"],
            entries.Select(e => e.GetProperty("platform")).Select(p => $"{Text(p, "os")}/{Text(p, "architecture")}/{Text(p, "os.version")}"));
        string repository = set.Multi[..set.Multi.LastIndexOf(':')];
        foreach (JsonElement entry in entries)
        {
            string child = $"{repository}@{entry.GetProperty("digest").GetString()}";
            Assert.Equal(RegistryShapes.OciManifest, entry.GetProperty("mediaType").GetString());
            using JsonDocument manifest = Raw(child);   // umoci's manifest (the Linux one) has no mediaType field
            Assert.Equal(OciConfig, manifest.RootElement.GetProperty("config").GetProperty("mediaType").GetString());
            JsonElement config = Config(child);
            JsonElement platform = entry.GetProperty("platform");
            Assert.Equal((Text(platform, "os"), Text(platform, "architecture"), Text(platform, "os.version")),
                (Text(config, "os"), Text(config, "architecture"), Text(config, "os.version")));
        }
        // The ltsc2022 entry is the nanoserver-oci image itself.
        PublishedImage nanoserverOci = await RegistryShapes.InspectAsync(http.Server, "windows/runtime:nanoserver-oci");
        Assert.Equal(nanoserverOci.Digest, entries[2].GetProperty("digest").GetString());
    }

    [Fact]
    public async Task The_foreign_servercore_keeps_its_foreign_layer_which_the_registry_does_not_hold()
    {
        WindowsBaseSet set = await WindowsBases.GetAsync(http.Server, bases);
        PublishedImage image = await RegistryShapes.InspectAsync(http.Server, "windows/servercore:foreign");
        Assert.Equal(RegistryShapes.DockerManifest, image.MediaType);
        using JsonDocument raw = Raw(set.ServercoreForeign);
        JsonElement[] layers = raw.RootElement.GetProperty("layers").EnumerateArray().ToArray();
        Assert.Equal(["application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "application/vnd.docker.image.rootfs.diff.tar.gzip"], LayerTypes(raw));
        Assert.Equal(set.ForeignLayer, layers[0].GetProperty("digest").GetString());
        Assert.Equal([$"https://mcr.microsoft.com/v2/windows/servercore/blobs/{set.ForeignLayer}"], layers[0].GetProperty("urls").EnumerateArray().Select(u => u.GetString()));
        Assert.False(layers[1].TryGetProperty("urls", out _));

        using HttpClient client = http.Server.CreateHttpClient();
        Assert.Equal(HttpStatusCode.NotFound, await HeadStatus(client, set.ForeignLayer));
        Assert.Equal(HttpStatusCode.OK, await HeadStatus(client, layers[1].GetProperty("digest").GetString()!));

        JsonElement config = Config(set.ServercoreForeign);
        Assert.Equal(WindowsBases.Ltsc2022, Text(config, "os.version"));
        Assert.Equal(["win32k"], config.GetProperty("os.features").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(2, config.GetProperty("rootfs").GetProperty("diff_ids").GetArrayLength());
    }

    private static async Task<HttpStatusCode> HeadStatus(HttpClient client, string digest)
    {
        using var head = new HttpRequestMessage(HttpMethod.Head, $"/v2/windows/servercore/blobs/{digest}");
        using HttpResponseMessage response = await client.SendAsync(head);
        return response.StatusCode;
    }

    private static JsonDocument Raw(string reference)
        => JsonDocument.Parse(Run.Checked("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{reference}"));

    private static JsonElement Config(string reference)
    {
        using JsonDocument config = JsonDocument.Parse(Run.Checked("skopeo", "inspect", "--config", "--tls-verify=false", $"docker://{reference}"));
        return config.RootElement.Clone();
    }

    private static string[] LayerTypes(JsonDocument manifest)
        => manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("mediaType").GetString()!).ToArray();

    private static string? Text(JsonElement element, string property) => element.TryGetProperty(property, out JsonElement value) ? value.GetString() : null;
}
