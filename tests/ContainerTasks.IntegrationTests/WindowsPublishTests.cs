using System.Formats.Tar;
using System.Text.Json;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// A win-x64 app published by ContainerTasks on a Server Core-shaped base whose first layer is foreign (as older Windows
/// bases are, <see cref="WindowsBases"/>): the foreign layer stays in the manifest as it is and is never requested or
/// pushed; an archive leaves it out and names it in LayerSources; the base's os.features are kept; PATH replaces the
/// base's Path, as names compare on Windows; a working directory set in Directory.Build.targets is the one used.
/// </summary>
[Collection(ImageCollection.Name)]
public sealed class WindowsPublishTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>
{
    private const string ForeignMediaType = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

    [Fact]
    public async Task A_base_with_a_foreign_layer_is_pushed_without_it_and_archived_with_it_named_in_LayerSources()
    {
        RegistryServer server = http.Server;
        WindowsBaseSet windows = await WindowsBases.GetAsync(server, bases);
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        File.WriteAllText(project, File.ReadAllText(project).Replace("<ItemGroup>",
            "<ItemGroup>\n    <ContainerEnvironmentVariable Include=\"PATH\" Value=\"C:\\app;C:\\Windows\\system32\" />", StringComparison.Ordinal));
        // Set where a build sets things late: after the package's own evaluation (Directory.Build.targets).
        File.WriteAllText(Path.Combine(dir["app"], "Directory.Build.targets"),
            "<Project><PropertyGroup><ContainerWorkingDirectory>C:\\srv\\</ContainerWorkingDirectory></PropertyGroup></Project>");
        string repository = RegistryServer.NewRepository("windows/foreign-app");
        var environment = new Dictionary<string, string?> { ["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = server.Host };
        feed.Dotnet(["publish", project, "-c", "Release", "-r", "win-x64", "--self-contained", "false", "-p:PublishContainer=true",
                $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={windows.ServercoreForeign}", $"-p:ContainerRepository={repository}",
                $"-p:ContainerTasksVersion={feed.Version}"], environment)
            .EnsureSuccess("publish on a base with a foreign layer");

        // The manifest keeps the foreign layer's descriptor, urls included; no one asked the registry for its blob.
        using JsonDocument manifest = JsonDocument.Parse(Run.Checked("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{server.Reference(repository + ":latest")}"));
        JsonElement first = manifest.RootElement.GetProperty("layers")[0];
        Assert.Equal((ForeignMediaType, windows.ForeignLayer), (first.GetProperty("mediaType").GetString(), first.GetProperty("digest").GetString()));
        Assert.StartsWith("https://mcr.microsoft.com/", first.GetProperty("urls")[0].GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(server.AccessLog(), e => e.Path.EndsWith("/blobs/" + windows.ForeignLayer, StringComparison.Ordinal));
        using (HttpClient raw = server.CreateHttpClient())
        {
            var head = await raw.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/blobs/{windows.ForeignLayer}"));
            Assert.Equal(System.Net.HttpStatusCode.NotFound, head.StatusCode);
        }
        using JsonDocument config = JsonDocument.Parse(Run.Checked("skopeo", "inspect", "--config", "--tls-verify=false", $"docker://{server.Reference(repository + ":latest")}"));
        Assert.Equal(["win32k"], config.RootElement.GetProperty("os.features").EnumerateArray().Select(e => e.GetString()));
        var env = config.RootElement.GetProperty("config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Single(env, e => e.StartsWith("path=", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(@"PATH=C:\app;C:\Windows\system32", env);
        Assert.Equal(@"C:\srv\", config.RootElement.GetProperty("config").GetProperty("WorkingDir").GetString());
        Assert.Equal(["dotnet", @"C:\srv\HelloContainer.dll"], config.RootElement.GetProperty("config").GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));

        // The same image as an archive: the foreign blob is not in it, and manifest.json says where it comes from.
        string archive = dir["image.tar"];
        feed.Dotnet(["msbuild", project, "-t:PublishContainer", "-p:NoBuild=true", "-p:Configuration=Release", "-p:RuntimeIdentifier=win-x64",
                "-p:SelfContained=false", $"-p:ContainerBaseImage={windows.ServercoreForeign}", $"-p:ContainerArchiveOutputPath={archive}",
                $"-p:ContainerTasksVersion={feed.Version}"], environment)
            .EnsureSuccess("archive on a base with a foreign layer");
        var (names, manifestJson) = ReadArchive(archive);
        Assert.DoesNotContain($"blobs/sha256/{windows.ForeignLayer["sha256:".Length..]}", names);
        JsonElement source = manifestJson.RootElement[0].GetProperty("LayerSources").EnumerateObject().Single().Value;
        Assert.Equal((ForeignMediaType, windows.ForeignLayer), (source.GetProperty("mediaType").GetString(), source.GetProperty("digest").GetString()));
        // Only the test's own HEAD above.
        var asked = server.AccessLog().Where(e => e.Path.EndsWith("/blobs/" + windows.ForeignLayer, StringComparison.Ordinal)).ToList();
        Assert.True(asked.Count == 1 && asked[0].Path.StartsWith($"/v2/{repository}/", StringComparison.Ordinal), string.Join("\n", asked));
    }

    [Theory]
    [InlineData("C:/app")]
    [InlineData("C:\\app")]
    [InlineData("/app")]
    public async Task Ctimage_takes_a_Windows_image_path_with_or_without_its_drive(string imageDir)
    {
        WindowsBaseSet windows = await WindowsBases.GetAsync(http.Server, bases);
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["app"]);
        File.WriteAllText(dir["app/hello.txt"], "hello\n");
        Run.CtImage(["build", "--platform", "windows/amd64", "--from", $"docker://{windows.Nanoserver}", "--layer", $"{dir["app"]}:{imageDir}",
                "--to", $"oci:{dir["layout"]}", "--tag", "app:1", "--cache", dir["cache"]],
                new Dictionary<string, string?> { ["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = http.Server.Host })
            .EnsureSuccess($"ctimage build --layer DIR:{imageDir}");
        DumpedImage image = LayerDump.ReadImage(dir["layout"], "1");
        Assert.Contains(image.Layers[^1].Entries!, e => e.NormalizedName == "Files/app/hello.txt");
    }

    private static (List<string> Names, JsonDocument Manifest) ReadArchive(string archive)
    {
        var names = new List<string>();
        JsonDocument? manifest = null;
        using var reader = new TarReader(File.OpenRead(archive));
        while (reader.GetNextEntry() is { } entry)
        {
            names.Add(entry.Name);
            if (entry.Name == "manifest.json")
            {
                manifest = JsonDocument.Parse(entry.DataStream!);
            }
        }
        return (names, manifest ?? throw new InvalidOperationException("the archive has no manifest.json"));
    }
}
