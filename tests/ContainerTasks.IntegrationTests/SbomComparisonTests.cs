using System.Text.Json;
using ContainerTasks.Supply;
using ContainerTasks.Tests.Infrastructure;
using Xunit.Abstractions;
using static ContainerTasks.Tests.SbomProjects;

namespace ContainerTasks.Tests;

/// <summary>
/// Our SBOM's package set (name, version, purl) against the ones CycloneDX for .NET and Microsoft's sbom-tool
/// report for the same restore and publish: equal after the named rules below, each of which is explained in
/// docs/supply-chain.md ("Compared with CycloneDX for .NET and sbom-tool"); any other difference fails.
/// Tools: build/bootstrap.sh installs both, pinned, into artifacts/tools/dotnet-tools.
/// </summary>
public sealed class SbomComparisonTests(ITestOutputHelper output)
{
    private const string CycloneDx = "CycloneDX";
    private const string SbomTool = "sbom-tool";
    private static readonly string DotnetTools = Path.Combine(Repo.Root, "artifacts", "tools", "dotnet-tools");
    private static readonly string CycloneDxExe = Path.Combine(DotnetTools, "cyclonedx", "dotnet-CycloneDX");
    private static readonly string SbomToolExe = Path.Combine(DotnetTools, "sbom-tool", "sbom-tool");
    private static readonly IComparer<ListedPackage> Ordinal = Comparer<ListedPackage>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()));

    /// <summary>The differences allowed, each with its reason; the same list is in docs/supply-chain.md.</summary>
    private static readonly ComparisonRule[] Rules =
    [
        // The base image provides Microsoft.NETCore.App and Microsoft.AspNetCore.App: we list them (no purl, they
        // are no NuGet packages); both tools list NuGet packages only.
        new("shared framework from the base image", [CycloneDx, SbomTool], Ours: p => p.Purpose == "FRAMEWORK" && p.Package.Purl is null),
        // A self-contained app's runtime pack is a download dependency of the restore, not in the assets file's
        // targets, the only part CycloneDX reads; its files are in the image, so we list it.
        new("runtime pack, not in the assets file's targets", [CycloneDx], Ours: p => p.Purpose == "FRAMEWORK" && p.Package.Purl is not null),
        // sbom-tool's NuGet detector lists packages; a project reference is code of the app, listed by us and CycloneDX.
        new("project reference", [SbomTool], Ours: p => p.SpdxId.StartsWith("SPDXRef-Project-", StringComparison.Ordinal)),
        // sbom-tool lists every download dependency: a self-contained restore downloads the ASP.NET Core runtime
        // pack even for a console app, whose publish (deps.json) has none of it.
        new("runtime pack the app does not run on", [SbomTool], Theirs: (p, inApp) => IsRuntimePack(p) && !inApp.Contains(p.Key)),
        // Both tools list the assets file's whole graph; build-only packages (analyzers, code generators, MSBuild
        // tasks), PrivateAssets="all" references and other platforms' placeholder-only runtime packages have no
        // file in the publish (deps.json), so not in the image, and we leave them out.
        new("not in the image", [CycloneDx, SbomTool], Theirs: (p, inApp) => !IsRuntimePack(p) && !inApp.Contains(p.Key)),
    ];

    [Fact]
    public void The_self_contained_console_sample_lists_the_packages_CycloneDX_and_sbom_tool_list()
    {
        using var dir = new TempDirectory("ct-sbomcmp-hello-");
        CopyFolder(Path.Combine(Repo.Root, "samples", "HelloContainer"), dir["HelloContainer"]);
        Compare(dir, dir["HelloContainer"], "HelloContainer", "linux-x64");
    }

    [Fact]
    public void The_web_sample_lists_the_packages_CycloneDX_and_sbom_tool_list()
    {
        using var dir = new TempDirectory("ct-sbomcmp-helloweb-");
        CopyFolder(Path.Combine(Repo.Root, "samples", "HelloWeb"), dir["HelloWeb"]);
        Compare(dir, dir["HelloWeb"], "HelloWeb", null);
    }

    [Fact]
    public void A_web_app_with_a_project_reference_lists_the_packages_CycloneDX_and_sbom_tool_list()
    {
        using var dir = new TempDirectory("ct-sbomcmp-web-");
        WriteWebApp(dir);
        Compare(dir, dir["Web"], "Web", null);
    }

    [Fact]
    public void A_self_contained_app_with_build_only_private_and_platform_specific_packages_lists_what_is_in_its_image()
    {
        using var dir = new TempDirectory("ct-sbomcmp-tool-");
        Directory.CreateDirectory(dir["Tool"]);
        // StyleCop.Analyzers (analyzer) and Newtonsoft.Json are PrivateAssets="all", SourceLink is a development
        // dependency (MSBuild tasks), System.IO.Ports brings a runtime.<rid>.runtime.native package per platform.
        File.WriteAllText(dir["Tool/Tool.csproj"], """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="System.IO.Ports" Version="10.0.0" />
                <PackageReference Include="StyleCop.Analyzers" Version="1.1.118" PrivateAssets="all" />
                <PackageReference Include="Microsoft.SourceLink.GitHub" Version="8.0.0" />
                <PackageReference Include="Newtonsoft.Json" Version="13.0.3" PrivateAssets="all" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(dir["Tool/Program.cs"], "System.Console.WriteLine(string.Join(' ', System.IO.Ports.SerialPort.GetPortNames()));");
        Compare(dir, dir["Tool"], "Tool", "linux-x64");
    }

    [Fact]
    public void A_web_app_with_large_NuGet_dependencies_lists_the_packages_CycloneDX_and_sbom_tool_list()
    {
        using var dir = new TempDirectory("ct-sbomcmp-bench-");
        CopyFolder(Path.Combine(Repo.Root, "build", "bench", "publish", "web"), dir["WebBench"]);
        Compare(dir, dir["WebBench"], "WebBench", null);
    }

    private void Compare(TempDirectory dir, string projectDir, string name, string? rid)
    {
        RequireTools();
        string project = Path.Combine(projectDir, name + ".csproj");
        string[] runtime = rid is null ? [] : ["-r", rid, "--self-contained"];
        Publish(project, dir["publish"], runtime);
        var inputs = InputsOf(projectDir, name, "net10.0", rid, dir[$"publish/{name}.runtimeconfig.json"], null);
        var ours = SpdxPackages(SpdxWriter.Write(inputs));
        var cycloneDx = CycloneDxPackages(RunCycloneDx(project, dir["cyclonedx"], rid));
        var sbomTool = SpdxPackages(RunSbomTool(dir["publish"], projectDir, name, dir["sbom-tool"])).Select(p => p.Package).ToList();
        var inApp = DepsJsonLibraries(dir[$"publish/{name}.deps.json"]);
        output.WriteLine($"{name}: ours {ours.Count}, {CycloneDx} {cycloneDx.Count}, {SbomTool} {sbomTool.Count} packages besides the app; deps.json {inApp.Count} libraries");

        var failures = new[] { (CycloneDx, cycloneDx), (SbomTool, sbomTool) }
            .Select(tool => Difference(tool.Item1, ours, tool.Item2, inApp)).Where(d => d is not null).ToList();
        Assert.True(failures.Count == 0, $"{name}: package sets differ beyond the documented rules\n{string.Join('\n', failures)}");
    }

    // Applies the tool's rules to both sides and returns a readable diff of what is left unequal, or null.
    private string? Difference(string tool, IReadOnlyList<SpdxPackage> ours, IReadOnlyList<ListedPackage> theirs, IReadOnlySet<string> inApp)
    {
        var rules = Rules.Where(r => r.Tools.Contains(tool)).ToList();
        var oursLeft = new SortedSet<ListedPackage>(Ordinal);
        foreach (var package in ours)
        {
            var rule = rules.FirstOrDefault(r => r.Ours?.Invoke(package) == true);
            SetAsideOrKeep(tool, rule, "ours", package.Package, () => oursLeft.Add(package.Package));
        }
        var theirsLeft = new SortedSet<ListedPackage>(Ordinal);
        foreach (var package in theirs.Order(Ordinal))
        {
            var rule = rules.FirstOrDefault(r => r.Theirs?.Invoke(package, inApp) == true);
            SetAsideOrKeep(tool, rule, tool, package, () => theirsLeft.Add(package));
        }
        var onlyOurs = oursLeft.Except(theirsLeft).ToList();
        var onlyTheirs = theirsLeft.Except(oursLeft).ToList();
        return onlyOurs.Count + onlyTheirs.Count == 0
            ? null
            : $"against {tool}:\n" + string.Concat(onlyOurs.Select(p => $"  only in ours:     {p}\n"))
                + string.Concat(onlyTheirs.Select(p => $"  only in {tool,-9} {p}\n"));
    }

    private void SetAsideOrKeep(string tool, ComparisonRule? rule, string side, ListedPackage package, Action keep)
    {
        if (rule is null)
        {
            keep();
        }
        else
        {
            output.WriteLine($"  vs {tool}: rule \"{rule.Name}\" sets aside {package} ({side})");
        }
    }

    // CycloneDX reads the assets file the publish restored (-dpr: no restore of its own) for the one target the
    // image has (-tfm, -rt), lists project references (-ipr); hashes (-dhc) are not compared. No --exclude-dev
    // (deprecated): development-only packages stay listed with scope "excluded", a scope that does not say what
    // the publish leaves out (Newtonsoft.Json with PrivateAssets="all" is "required"); "not in the image" decides.
    private static byte[] RunCycloneDx(string project, string outputDir, string? rid)
    {
        string[] runtime = rid is null ? [] : ["-rt", rid];
        Run.Process(CycloneDxExe, [project, "--output-format", "Json", "-o", outputDir, "-fn", "bom.json", "-spv", "1.6",
                "-tfm", "net10.0", .. runtime, "-ipr", "-dpr", "-dhc", "-ns"], timeout: TimeSpan.FromMinutes(2))
            .EnsureSuccess($"dotnet-CycloneDX {project}");
        return File.ReadAllBytes(Path.Combine(outputDir, "bom.json"));
    }

    // sbom-tool lists the files of the publish folder (-b) and the packages its detectors find under the project
    // folder (-bc); the manifest goes to -m, not into the publish folder. It targets .NET 8: roll forward.
    private static byte[] RunSbomTool(string publishDir, string projectDir, string name, string manifestDir)
    {
        Directory.CreateDirectory(manifestDir);
        Run.Process(SbomToolExe, ["generate", "-b", publishDir, "-bc", projectDir, "-pn", name, "-pv", "1.0.0", "-ps", "Example",
                "-nsb", "https://example.test", "-m", manifestDir, "-D", "true", "-V", "Warning"],
                environment: new Dictionary<string, string?> { ["DOTNET_ROLL_FORWARD"] = "Major" }, timeout: TimeSpan.FromMinutes(2))
            .EnsureSuccess($"sbom-tool generate {projectDir}");
        return File.ReadAllBytes(Path.Combine(manifestDir, "_manifest", "spdx_2.2", "manifest.spdx.json"));
    }

    // Every package of an SPDX document but the ones it describes (the app itself, listed by every tool as the
    // SBOM's subject: SPDX documentDescribes, CycloneDX metadata.component).
    private static List<SpdxPackage> SpdxPackages(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var described = root.GetProperty("documentDescribes").EnumerateArray().Select(d => d.GetString()).ToHashSet();
        return root.GetProperty("packages").EnumerateArray()
            .Where(p => !described.Contains(p.GetProperty("SPDXID").GetString()))
            .Select(p => new SpdxPackage(
                new ListedPackage(p.GetProperty("name").GetString()!, p.GetProperty("versionInfo").GetString()!, SpdxPurl(p)),
                p.GetProperty("SPDXID").GetString()!,
                p.TryGetProperty("primaryPackagePurpose", out var purpose) ? purpose.GetString() : null))
            .ToList();
    }

    private static string? SpdxPurl(JsonElement package)
        => package.TryGetProperty("externalRefs", out var refs)
            ? refs.EnumerateArray().Where(r => r.GetProperty("referenceType").GetString() == "purl")
                .Select(r => r.GetProperty("referenceLocator").GetString()).FirstOrDefault()
            : null;

    private static List<ListedPackage> CycloneDxPackages(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("components", out var components)
            ? components.EnumerateArray().Select(c => new ListedPackage(c.GetProperty("name").GetString()!, c.GetProperty("version").GetString()!,
                c.TryGetProperty("purl", out var purl) ? purl.GetString() : null)).ToList()
            : [];
    }

    // What the publish put in the app, read here rather than by the code under test: the "Id/Version" of each
    // library of the deps.json the .NET host loads by, a runtime pack without its "runtimepack." prefix.
    private static HashSet<string> DepsJsonLibraries(string depsJson)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(depsJson));
        return document.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(l => l.Name.StartsWith("runtimepack.", StringComparison.Ordinal) ? l.Name["runtimepack.".Length..] : l.Name)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    private static bool IsRuntimePack(ListedPackage package) => package.Name.Contains(".App.Runtime.", StringComparison.Ordinal);

    private static void RequireTools()
    {
        foreach (string tool in new[] { CycloneDxExe, SbomToolExe })
        {
            if (!File.Exists(tool))
            {
                throw new Xunit.Sdk.XunitException($"{tool} is not installed. Run build/bootstrap.sh once.");
            }
        }
    }

    /// <summary>One package as a document lists it; the purl is null where the document gives none.</summary>
    private sealed record ListedPackage(string Name, string Version, string? Purl)
    {
        public string Key => $"{Name}/{Version}";

        public override string ToString() => $"{Name} {Version} {Purl ?? "(no purl)"}";
    }

    private sealed record SpdxPackage(ListedPackage Package, string SpdxId, string? Purpose);

    /// <summary>An allowed difference: packages of ours, or of the tool's (given what the publish's deps.json lists), set aside when compared with the named tools.</summary>
    private sealed record ComparisonRule(string Name, string[] Tools, Func<SpdxPackage, bool>? Ours = null,
        Func<ListedPackage, IReadOnlySet<string>, bool>? Theirs = null);
}
