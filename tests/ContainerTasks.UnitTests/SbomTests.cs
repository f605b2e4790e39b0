using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ContainerTasks.Model;
using ContainerTasks.Supply;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>The SBOM documents: the NuGet graph read from an assets file, and SPDX / CycloneDX written the same way every time.</summary>
public sealed class SbomTests
{
    private static readonly string SerilogSha = Convert.ToBase64String(SHA512.HashData("Serilog 4.2.0"u8));

    // A trimmed project.assets.json as NuGet writes it: a web app with one package that pulls in another, and a project reference.
    private static readonly string Assets = $$"""
        {
          "version": 3,
          "targets": {
            "net10.0": {
              "Serilog/4.2.0": { "type": "package", "compile": { "lib/net9.0/Serilog.dll": {} }, "runtime": { "lib/net9.0/Serilog.dll": {} } },
              "Serilog.Sinks.Console/6.0.0": { "type": "package", "dependencies": { "Serilog": "4.0.0" } },
              "Weird_Name.Pkg/1.0.0+build.7": { "type": "package", "native": { "runtimes/linux-x64/native/libweird.so": {} } },
              "Shared/1.0.0": { "type": "project", "framework": ".NETCoreApp,Version=v10.0", "dependencies": { "Serilog": "4.2.0" } }
            },
            "net10.0/linux-x64": {
              "Serilog/4.2.0": { "type": "package", "runtime": { "lib/net9.0/Serilog.dll": {} } }
            }
          },
          "libraries": {
            "Serilog/4.2.0": { "sha512": "{{SerilogSha}}", "type": "package", "path": "serilog/4.2.0" },
            "Serilog.Sinks.Console/6.0.0": { "sha512": "{{Convert.ToBase64String(SHA512.HashData("console"u8))}}", "type": "package" },
            "Weird_Name.Pkg/1.0.0+build.7": { "sha512": "{{Convert.ToBase64String(SHA512.HashData("weird"u8))}}", "type": "package" },
            "Shared/1.0.0": { "type": "project", "path": "../Shared/Shared.csproj", "msbuildProject": "../Shared/Shared.csproj" }
          },
          "project": {
            "version": "1.0.0",
            "restore": { "projectName": "WebApp", "frameworks": { "net10.0": { "targetAlias": "net10.0",
              "projectReferences": { "/src/Shared/Shared.csproj": { "projectPath": "/src/Shared/Shared.csproj" } } } } },
            "frameworks": { "net10.0": { "targetAlias": "net10.0", "dependencies": {
              "Serilog.Sinks.Console": { "target": "Package", "version": "[6.0.0, )" },
              "Weird_Name.Pkg": { "target": "Package", "version": "[1.0.0, )" } } } }
          }
        }
        """;

    [Fact]
    public void The_assets_file_gives_packages_with_hex_sha512_direct_or_transitive_and_project_references()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["project.assets.json"], Assets);

        var graph = AssetsFile.Read(dir["project.assets.json"], "net10.0");

        Assert.Equal(["Serilog", "Serilog.Sinks.Console", "Weird_Name.Pkg"], graph.Packages.Select(p => p.Id).Order(StringComparer.Ordinal));
        var serilog = graph.Packages.Single(p => p.Id == "Serilog");
        Assert.Equal("4.2.0", serilog.Version);
        Assert.Equal(Convert.ToHexString(Convert.FromBase64String(SerilogSha)).ToLowerInvariant(), serilog.Sha512Hex);
        Assert.False(serilog.Direct);
        Assert.True(graph.Packages.Single(p => p.Id == "Serilog.Sinks.Console").Direct);
        Assert.Equal(["Serilog"], graph.Packages.Single(p => p.Id == "Serilog.Sinks.Console").DependsOn);
        var shared = Assert.Single(graph.ProjectReferences);
        Assert.Equal(("Shared", "1.0.0", true, true, (string?)null), (shared.Id, shared.Version, shared.Direct, shared.IsProject, shared.Sha512Hex));
    }

    [Fact]
    public void A_runtime_identifier_reads_its_own_target()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["project.assets.json"], Assets);

        var graph = AssetsFile.Read(dir["project.assets.json"], "net10.0", "linux-x64");

        Assert.Equal("Serilog", Assert.Single(graph.Packages).Id);
    }

    [Fact]
    public void Only_the_packages_the_publish_put_in_the_app_are_listed_as_its_deps_json_names_them()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["project.assets.json"], Assets);
        // Weird_Name.Pkg stands for a build-only package (an analyzer, a code generator): the publish leaves it out.
        File.WriteAllText(dir["WebApp.deps.json"], """
            { "libraries": {
                "WebApp/1.0.0": { "type": "project" },
                "serilog/4.2.0": { "type": "package", "sha512": "sha512-x" },
                "Serilog.Sinks.Console/6.0.0": { "type": "package" },
                "Shared/1.0.0": { "type": "project" },
                "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/10.0.1": { "type": "runtimepack" } } }
            """);

        var graph = AssetsFile.Read(dir["project.assets.json"], "net10.0").Published(DepsFile.Packages(dir["WebApp.deps.json"]));

        Assert.Equal(["Serilog", "Serilog.Sinks.Console"], graph.Packages.Select(p => p.Id).Order(StringComparer.Ordinal));
        Assert.Equal("Shared", Assert.Single(graph.ProjectReferences).Id);
        Assert.Equal("CT5009", Assert.Throws<ContainerTasksException>(() => DepsFile.Packages(dir["missing.deps.json"])).Code);
        File.WriteAllText(dir["bad.deps.json"], "{ not json");
        Assert.Equal("CT5010", Assert.Throws<ContainerTasksException>(() => DepsFile.Packages(dir["bad.deps.json"])).Code);
    }

    [Fact]
    public void A_missing_assets_file_is_CT5009()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<ContainerTasksException>(() => AssetsFile.Read(dir["project.assets.json"], "net10.0"));
        Assert.Equal("CT5009", error.Code);
        Assert.Contains("dotnet restore", error.Message);
    }

    [Fact]
    public void An_assets_file_over_the_limit_is_CT5009_without_reading_it()
    {
        using var dir = new TempDirectory();
        using (var file = File.Create(dir["project.assets.json"]))
        {
            file.SetLength(AssetsFile.MaxBytes + 1); // sparse: nothing is written
        }
        var error = Assert.Throws<ContainerTasksException>(() => AssetsFile.Read(dir["project.assets.json"], "net10.0"));
        Assert.Equal("CT5009", error.Code);
        Assert.Contains("over the SBOM's limit", error.Message);
    }

    [Theory]
    [InlineData("{ \"targets\": ")]
    [InlineData("[]")]
    [InlineData("{ \"targets\": { \"net8.0\": {} } }")]
    [InlineData("{ \"targets\": { \"net10.0\": { \"NoVersion\": { \"type\": \"package\" } } } }")]
    [InlineData("{ \"targets\": { \"net10.0\": { \"A/1.0.0\": { \"runtime\": { \"lib/A.dll\": {} } } } }, \"libraries\": { \"A/1.0.0\": { \"sha512\": \"not base64!\" } } }")]
    public void A_malformed_assets_file_is_CT5010(string json)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["project.assets.json"], json);
        var error = Assert.Throws<ContainerTasksException>(() => AssetsFile.Read(dir["project.assets.json"], "net10.0"));
        Assert.Equal("CT5010", error.Code);
    }

    [Fact]
    public void Runtime_frameworks_come_from_runtimeconfig_shared_or_included()
    {
        using var shared = JsonDocument.Parse("""{ "runtimeOptions": { "tfm": "net10.0", "frameworks": [ { "name": "Microsoft.NETCore.App", "version": "10.0.0" }, { "name": "Microsoft.AspNetCore.App", "version": "10.0.0" } ] } }""");
        using var included = JsonDocument.Parse("""{ "runtimeOptions": { "includedFrameworks": [ { "name": "Microsoft.NETCore.App", "version": "10.0.1" } ] } }""");

        Assert.Equal([new SbomFramework("Microsoft.AspNetCore.App", "10.0.0", false), new SbomFramework("Microsoft.NETCore.App", "10.0.0", false)],
            RuntimeFrameworks.Parse(shared.RootElement));
        var runtime = Assert.Single(RuntimeFrameworks.Parse(included.RootElement));
        Assert.Equal("pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@10.0.1", Purls.Framework(runtime, "linux-x64"));
    }

    [Fact]
    public void Purls_percent_encode_what_the_spec_reserves()
    {
        Assert.Equal("pkg:nuget/Weird_Name.Pkg@1.0.0%2Bbuild.7", Purls.NuGet("Weird_Name.Pkg", "1.0.0+build.7"));
        Assert.Equal("pkg:oci/aspnet@sha256%3Aabc?repository_url=mcr.microsoft.com/dotnet/aspnet&tag=10.0",
            Purls.Oci(new SbomBaseImage("mcr.microsoft.com", "dotnet/aspnet", "10.0", "sha256:abc")));
        Assert.Equal("pkg:oci/app@sha256%3Aabc?repository_url=localhost%3A5000/My/App",
            Purls.Oci(new SbomBaseImage("localhost:5000", "My/App", null, "sha256:abc")));
    }

    [Fact]
    public void Spdx_is_the_same_bytes_for_the_same_inputs_in_any_order_and_changes_with_them()
    {
        var inputs = Inputs();
        byte[] first = SpdxWriter.Write(inputs);
        byte[] second = SpdxWriter.Write(Inputs());
        Assert.Equal(first, second);
        var reordered = inputs with
        {
            Packages = [.. inputs.Packages.Reverse().Select(p => p with { DependsOn = [.. p.DependsOn.Reverse()] })],
            Frameworks = [.. inputs.Frameworks.Reverse()],
        };
        Assert.Equal(first, SpdxWriter.Write(reordered));
        Assert.Equal(CycloneDxWriter.Write(inputs), CycloneDxWriter.Write(reordered));

        byte[] other = SpdxWriter.Write(inputs with { Packages = [.. inputs.Packages.Select(p => p.Id == "Serilog" ? p with { Version = "4.2.1" } : p)] });
        Assert.NotEqual(first, other);
        Assert.NotEqual(Namespace(first), Namespace(other));
        Assert.StartsWith(SpdxWriter.NamespacePrefix + "WebApp-", Namespace(first), StringComparison.Ordinal);
        Assert.NotEqual(first, SpdxWriter.Write(inputs with { Created = inputs.Created.AddSeconds(1) }));
    }

    [Fact]
    public void Spdx_lists_packages_with_purls_checksums_and_relationships()
    {
        using var document = JsonDocument.Parse(SpdxWriter.Write(Inputs()));
        var root = document.RootElement;
        Assert.Equal("SPDX-2.3", root.GetProperty("spdxVersion").GetString());
        Assert.Equal("2024-01-02T03:04:05Z", root.GetProperty("creationInfo").GetProperty("created").GetString());
        Assert.StartsWith("Tool: ContainerTasks-", root.GetProperty("creationInfo").GetProperty("creators")[0].GetString(), StringComparison.Ordinal);
        var packages = root.GetProperty("packages").EnumerateArray().ToList();
        var serilog = packages.Single(p => p.GetProperty("name").GetString() == "Serilog");
        Assert.Equal("pkg:nuget/Serilog@4.2.0", serilog.GetProperty("externalRefs")[0].GetProperty("referenceLocator").GetString());
        Assert.Equal("SHA512", serilog.GetProperty("checksums")[0].GetProperty("algorithm").GetString());
        Assert.Equal(128, serilog.GetProperty("checksums")[0].GetProperty("checksumValue").GetString()!.Length);
        Assert.All(packages, p => Assert.Equal("NOASSERTION", p.GetProperty("licenseDeclared").GetString()));
        Assert.All(packages, p => Assert.Matches("^SPDXRef-[A-Za-z0-9.-]+$", p.GetProperty("SPDXID").GetString()!));
        Assert.Equal(packages.Count, packages.Select(p => p.GetProperty("SPDXID").GetString()).Distinct().Count());
        var baseImage = packages.Single(p => p.GetProperty("primaryPackagePurpose").GetString() == "CONTAINER");
        Assert.StartsWith("pkg:oci/aspnet@sha256%3A", baseImage.GetProperty("externalRefs")[0].GetProperty("referenceLocator").GetString(), StringComparison.Ordinal);

        var relationships = root.GetProperty("relationships").EnumerateArray()
            .Select(r => $"{r.GetProperty("spdxElementId").GetString()} {r.GetProperty("relationshipType").GetString()} {r.GetProperty("relatedSpdxElement").GetString()}").ToList();
        Assert.Contains("SPDXRef-DOCUMENT DESCRIBES SPDXRef-Application-WebApp-1.0.0", relationships);
        Assert.Contains("SPDXRef-Application-WebApp-1.0.0 DEPENDS_ON SPDXRef-Package-nuget-Serilog.Sinks.Console-6.0.0", relationships);
        Assert.Contains("SPDXRef-Package-nuget-Serilog.Sinks.Console-6.0.0 DEPENDS_ON SPDXRef-Package-nuget-Serilog-4.2.0", relationships);
        Assert.DoesNotContain("SPDXRef-Application-WebApp-1.0.0 DEPENDS_ON SPDXRef-Package-nuget-Serilog-4.2.0", relationships);
        Assert.Contains("SPDXRef-Application-WebApp-1.0.0 CONTAINS SPDXRef-Package-nuget-Serilog-4.2.0", relationships);
        Assert.Contains("SPDXRef-Application-WebApp-1.0.0 DEPENDS_ON SPDXRef-BaseImage", relationships);
    }

    [Fact]
    public void CycloneDx_is_deterministic_with_a_content_serial_number_and_the_base_as_a_container()
    {
        var inputs = Inputs();
        byte[] first = CycloneDxWriter.Write(inputs);
        Assert.Equal(first, CycloneDxWriter.Write(Inputs()));
        byte[] other = CycloneDxWriter.Write(inputs with { BaseImage = inputs.BaseImage! with { ManifestDigest = "sha256:" + new string('b', 64) } });
        Assert.NotEqual(first, other);

        using var document = JsonDocument.Parse(first);
        var root = document.RootElement;
        string serial = root.GetProperty("serialNumber").GetString()!;
        Assert.Matches("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", serial);
        using var otherDocument = JsonDocument.Parse(other);
        Assert.NotEqual(serial, otherDocument.RootElement.GetProperty("serialNumber").GetString());
        Assert.Equal("2024-01-02T03:04:05Z", root.GetProperty("metadata").GetProperty("timestamp").GetString());
        var components = root.GetProperty("components").EnumerateArray().ToList();
        Assert.Single(components, c => c.GetProperty("type").GetString() == "container");
        var serilog = components.Single(c => c.GetProperty("name").GetString() == "Serilog");
        Assert.Equal("SHA-512", serilog.GetProperty("hashes")[0].GetProperty("alg").GetString());
        var app = root.GetProperty("dependencies").EnumerateArray().First();
        Assert.Equal("app:WebApp@1.0.0", app.GetProperty("ref").GetString());
        Assert.Contains("pkg:nuget/Serilog.Sinks.Console@6.0.0", app.GetProperty("dependsOn").EnumerateArray().Select(d => d.GetString()));
    }

    [Fact]
    public void A_self_contained_apps_runtime_pack_is_listed_by_its_package_id_as_its_purl_names_it()
    {
        var inputs = Inputs() with { RuntimeIdentifier = "linux-x64", BaseImage = null, Frameworks = [new SbomFramework("Microsoft.NETCore.App", "10.0.1", true)] };
        using var spdx = JsonDocument.Parse(SpdxWriter.Write(inputs));
        using var cycloneDx = JsonDocument.Parse(CycloneDxWriter.Write(inputs));

        var package = spdx.RootElement.GetProperty("packages").EnumerateArray().Single(p => p.GetProperty("primaryPackagePurpose").GetString() == "FRAMEWORK");
        Assert.Equal("Microsoft.NETCore.App.Runtime.linux-x64", package.GetProperty("name").GetString());
        Assert.Equal("pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@10.0.1", package.GetProperty("externalRefs")[0].GetProperty("referenceLocator").GetString());
        var component = cycloneDx.RootElement.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("type").GetString() == "framework");
        Assert.Equal("Microsoft.NETCore.App.Runtime.linux-x64", component.GetProperty("name").GetString());
        Assert.Equal("pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@10.0.1", component.GetProperty("purl").GetString());
        Assert.Equal("Microsoft.NETCore.App", new SbomFramework("Microsoft.NETCore.App", "10.0.0", false).PackageName("linux-x64"));
    }

    [Fact]
    public void The_creation_time_is_SOURCE_DATE_EPOCH_or_the_documented_fixed_time()
    {
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), SbomInputs.CreationTime("1700000000"));
        Assert.Equal(DateTimeOffset.UnixEpoch, SbomInputs.CreationTime(null));
    }

    private static string Namespace(byte[] spdx)
    {
        using var document = JsonDocument.Parse(spdx);
        return document.RootElement.GetProperty("documentNamespace").GetString()!;
    }

    private static SbomInputs Inputs()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["project.assets.json"], Assets);
        var graph = AssetsFile.Read(dir["project.assets.json"], "net10.0");
        return new SbomInputs("WebApp", "1.0.0", "net10.0", null, Platform.LinuxAmd64, graph.Packages, graph.ProjectReferences,
            [new SbomFramework("Microsoft.AspNetCore.App", "10.0.0", false), new SbomFramework("Microsoft.NETCore.App", "10.0.0", false)],
            new SbomBaseImage("mcr.microsoft.com", "dotnet/aspnet", "10.0", "sha256:" + new string('a', 64)),
            new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), "1.2.3");
    }
}
