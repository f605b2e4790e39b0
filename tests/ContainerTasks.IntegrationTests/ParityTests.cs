using System.Text.Json;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// The same project published by the SDK's built-in container support and by ContainerTasks gives the same
/// image config and the same files (paths, types, modes and owners of what the layers add to the base), except
/// for the differences the committed allow-list names with their reasons (docs/properties.md lists them too).
/// </summary>
[Collection(ImageCollection.Name)]
public sealed class ParityTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>
{
    private static readonly string[] ComparedFields = ["Env", "Entrypoint", "Cmd", "WorkingDir", "User", "ExposedPorts", "Volumes", "Labels"];

    // Every item kind and setting the built-in knows (and ContainerVolume, which it ignores: allow-listed).
    private const string EveryItemKind = """
          <PropertyGroup>
            <ContainerUser>1001</ContainerUser>
          </PropertyGroup>
          EXTRA
          <ItemGroup>
            <ContainerPort Include="9090" Type="tcp" />
            <ContainerPort Include="9091" Type="udp" />
            <ContainerLabel Include="com.example.team" Value="platform" />
            <ContainerEnvironmentVariable Include="FEATURE_X" Value="on" />
            <ContainerEnvironmentVariable Include="ASPNETCORE_HTTP_PORTS" Value="8080;8081" />
            <ContainerVolume Include="/data" />
            <ContainerAppCommandArgs Include="--serve" />
            <ContainerDefaultArgs Include="--verbose" />
          </ItemGroup>
        </Project>
        """;

    private Dictionary<string, string?> Environment => new() { ["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = http.Server.Host };

    [Fact]
    public async Task The_console_sample_agrees_with_the_builtin_but_for_the_allowed_differences()
    {
        string baseImage = await RuntimeBases.GetAsync(http.Server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        var (builtin, ours) = PublishBoth(project, "console", baseImage, []);
        Compare("console", builtin, ours, baseImage);
        // The comparison is not hollow: both images have the sample's settings, and the first really is the built-in's.
        Assert.Contains("GREETING=built by ContainerTasks", ours.Config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("1654", builtin.Config.GetProperty("User").GetString());
        Assert.True(builtin.Config.GetProperty("Labels").TryGetProperty("org.opencontainers.image.created", out _));
        Assert.False(ours.Config.GetProperty("Labels").TryGetProperty("org.opencontainers.image.created", out _));
        Assert.Contains(ours.Files, f => f.StartsWith("file app/HelloContainer.dll ", StringComparison.Ordinal));
    }

    // The default app command with a working directory written with its slash (the built-in joins the app path to it
    // without a separator: "/srv/appHelloWeb.dll", docs/properties.md); and an explicit one with WORKDIR kept as given.
    [Theory]
    [InlineData("Entrypoint", "<PropertyGroup><ContainerWorkingDirectory>/srv/app/</ContainerWorkingDirectory></PropertyGroup>")]
    [InlineData("DefaultArgs", "<PropertyGroup><ContainerWorkingDirectory>/srv/app</ContainerWorkingDirectory></PropertyGroup><ItemGroup><ContainerAppCommand Include=\"dotnet;/srv/app/HelloWeb.dll\" /></ItemGroup>")]
    public async Task A_web_app_with_every_item_kind_agrees_with_the_builtin_in_each_app_command_form(string instruction, string extra)
    {
        string baseImage = await RuntimeBases.GetAsync(http.Server, bases, "aspnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloWeb", dir["web"]);
        File.WriteAllText(project, File.ReadAllText(project).Replace("</Project>", EveryItemKind.Replace("EXTRA", extra, StringComparison.Ordinal), StringComparison.Ordinal));
        var (builtin, ours) = PublishBoth(project, "web-" + instruction.ToLowerInvariant(), baseImage, [$"-p:ContainerAppCommandInstruction={instruction}"]);
        Compare("web " + instruction, builtin, ours, baseImage);
        // Not hollow: the items reached both images, and the web publish's files are there.
        foreach (var image in new[] { builtin, ours })
        {
            string ports = string.Join(",", image.Config.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).Order());
            Assert.Equal("8080/tcp,8081/tcp,9090/tcp,9091/udp", ports);
            Assert.Equal("1001", image.Config.GetProperty("User").GetString());
            Assert.Contains(image.Files, f => f == "file srv/app/HelloWeb 0755 1001:0");
            Assert.Contains(image.Files, f => f.StartsWith("file srv/app/web.config ", StringComparison.Ordinal));
            Assert.Contains(image.Files, f => f.StartsWith("file srv/app/wwwroot/index.html ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_self_contained_two_platform_publish_agrees_with_the_builtin_on_each_platform()
    {
        string baseImage = await RuntimeBases.GetTwoPlatformAsync(http.Server, bases);
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        // SelfContained only in each platform's publish: set for the outer build too, the SDK gives that build the machine's
        // RID, and the built-in then publishes that one platform. The list is quoted for MSBuild (the built-in reads %3B as part of a RID).
        File.WriteAllText(project, File.ReadAllText(project).Replace("</TargetFramework>",
            "</TargetFramework>\n    <RuntimeIdentifiers>linux-x64;linux-arm64</RuntimeIdentifiers>\n    <SelfContained Condition=\"'$(RuntimeIdentifier)' != ''\">true</SelfContained>",
            StringComparison.Ordinal));
        string[] extra = ["-p:ContainerRuntimeIdentifiers=\"linux-x64;linux-arm64\""];
        string builtinRepository = RegistryServer.NewRepository("parity/sc-builtin");
        string oursRepository = RegistryServer.NewRepository("parity/sc-ours");
        Publish(project, builtinRepository, baseImage, extra, ours: false);
        Publish(project, oursRepository, baseImage, extra, ours: true);
        // Both publish an index of both platforms: else the arm64 side would compare one tool's amd64 image.
        Assert.Equal(["linux/amd64", "linux/arm64"], IndexPlatforms(builtinRepository));
        Assert.Equal(["linux/amd64", "linux/arm64"], IndexPlatforms(oursRepository));
        foreach (string arch in new[] { "amd64", "arm64" })
        {
            Image builtin = Inspect(builtinRepository, arch, dir.Path, baseImage);
            Image ours = Inspect(oursRepository, arch, dir.Path, baseImage);
            // The built-in labels every platform with the first platform's base digest; ours names the base it was built on.
            string baseDigest = BaseManifestDigest(baseImage, arch);
            Assert.Equal(baseDigest, ours.Config.GetProperty("Labels").GetProperty("org.opencontainers.image.base.digest").GetString());
            // The built-in's multi-platform path cuts the base name at the registry's port ("127.0.0.1"); ours names it whole.
            Compare($"self-contained {arch}", builtin, ours, baseImage,
                arch == "amd64" ? ["Labels.org.opencontainers.image.base.name"] : ["Labels.org.opencontainers.image.base.name", "Labels.org.opencontainers.image.base.digest"]);
            Assert.Contains(ours.Files, f => f.StartsWith("file app/HelloContainer ", StringComparison.Ordinal));
            Assert.Contains(ours.Files, f => f.StartsWith("file app/libcoreclr.so ", StringComparison.Ordinal));
        }
    }

    private sealed record Image(JsonElement Config, IReadOnlyList<string> Files);

    private string[] IndexPlatforms(string repository)
    {
        var raw = Run.Process("skopeo", ["inspect", "--raw", "--tls-verify=false", $"docker://{http.Server.Host}/{repository}:latest"]).EnsureSuccess("skopeo inspect --raw");
        using var index = JsonDocument.Parse(raw.StandardOutput);
        Assert.True(index.RootElement.TryGetProperty("manifests", out JsonElement manifests), $"{repository}:latest is not an index");
        return manifests.EnumerateArray()
            .Select(m => $"{m.GetProperty("platform").GetProperty("os").GetString()}/{m.GetProperty("platform").GetProperty("architecture").GetString()}")
            .Order(StringComparer.Ordinal).ToArray();
    }

    private (Image Builtin, Image Ours) PublishBoth(string project, string scenario, string baseImage, string[] extra)
    {
        string builtinRepository = RegistryServer.NewRepository($"parity/{scenario}-builtin");
        string oursRepository = RegistryServer.NewRepository($"parity/{scenario}-ours");
        Publish(project, builtinRepository, baseImage, extra, ours: false);
        Publish(project, oursRepository, baseImage, extra, ours: true);
        string scratch = Path.GetDirectoryName(project)!;
        return (Inspect(builtinRepository, "amd64", scratch, baseImage), Inspect(oursRepository, "amd64", scratch, baseImage));
    }

    private void Publish(string project, string repository, string baseImage, string[] extra, bool ours)
    {
        // The built-in treats only "localhost" as insecure by itself; -t:PublishContainer is the form both understand.
        string[] arguments = ["publish", project, "-c", "Release", "-t:PublishContainer", $"-p:ContainerRegistry={http.Server.Host}",
            $"-p:ContainerBaseImage={baseImage}", $"-p:ContainerRepository={repository}", .. extra];
        feed.Dotnet(ours ? [.. arguments, $"-p:ContainerTasksVersion={feed.Version}"] : arguments, Environment)
            .EnsureSuccess(ours ? "ContainerTasks publish" : "built-in publish");
    }

    private Image Inspect(string repository, string arch, string scratch, string baseImage)
    {
        string layout = Path.Combine(scratch, "inspect-" + Guid.NewGuid().ToString("N"));
        string baseLayout = Path.Combine(scratch, "base-" + Guid.NewGuid().ToString("N"));
        foreach (var (reference, target) in new[] { (http.Server.Reference(repository + ":latest"), layout), (baseImage, baseLayout) })
        {
            Run.Process("skopeo", ["copy", "--src-tls-verify=false", "--override-arch", arch, $"docker://{reference}", $"oci:{target}:r"]).EnsureSuccess("skopeo copy");
        }
        string config = Run.Checked("skopeo", "inspect", "--config", $"oci:{layout}:r");
        string files = Run.Python("list_layers.py", layout, "r", baseLayout, "r").EnsureSuccess("list_layers.py").StandardOutput;
        return new Image(JsonDocument.Parse(config).RootElement.GetProperty("config").Clone(), files.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static string BaseManifestDigest(string baseImage, string arch)
        => JsonDocument.Parse(Run.Checked("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{baseImage}")).RootElement.GetProperty("manifests")
            .EnumerateArray().Single(m => m.GetProperty("platform").GetProperty("architecture").GetString() == arch).GetProperty("digest").GetString()!;

    private static void Compare(string scenario, Image builtin, Image ours, string baseImage, string[]? alsoAllowed = null)
    {
        var allowed = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "parity-allowlist.json"))).RootElement
            .GetProperty("differences").EnumerateArray().Select(d => d.GetProperty("field").GetString()!).Concat(alsoAllowed ?? []).ToHashSet();
        var differences = ConfigDifferences(builtin.Config, ours.Config, allowed).Concat(FileDifferences(builtin.Files, ours.Files, allowed)).ToList();
        Assert.True(differences.Count == 0, $"{scenario} (base {baseImage}): differences not in parity-allowlist.json:\n" + string.Join("\n", differences));
    }

    private static IEnumerable<string> ConfigDifferences(JsonElement builtin, JsonElement ours, HashSet<string> allowed)
    {
        foreach (string field in ComparedFields)
        {
            JsonElement? a = builtin.TryGetProperty(field, out var av) && av.ValueKind != JsonValueKind.Null ? av : null;
            JsonElement? b = ours.TryGetProperty(field, out var bv) && bv.ValueKind != JsonValueKind.Null ? bv : null;
            if (field == "Labels")
            {
                var left = Map(a);
                var right = Map(b);
                foreach (string key in left.Keys.Union(right.Keys).Where(k => !allowed.Contains($"Labels.{k}")))
                {
                    left.TryGetValue(key, out string? l);
                    right.TryGetValue(key, out string? r);
                    if (l != r)
                    {
                        yield return $"Labels.{key}: built-in '{l}', ContainerTasks '{r}'";
                    }
                }
                continue;
            }
            string left1 = Normalize(a);
            string right1 = Normalize(b);
            if (left1 != right1 && !allowed.Contains(field))
            {
                yield return $"{field}: built-in {left1}, ContainerTasks {right1}";
            }
        }
    }

    // Entries are "TYPE PATH MODE UID:GID". Allow-list entries: "Files.PATH" covers one path; "FileModes" lets a
    // built-in 0755 file be 0644 in ours; "ParentDirectories" lets ours add folders above the others.
    private static IEnumerable<string> FileDifferences(IReadOnlyList<string> builtin, IReadOnlyList<string> ours, HashSet<string> allowed)
    {
        static string PathOf(string entry) => entry.Split(' ')[1];
        string Mode(string entry) => allowed.Contains("FileModes") && entry.StartsWith("file ", StringComparison.Ordinal) ? entry.Replace(" 0755 ", " 0644 ", StringComparison.Ordinal) : entry;
        var left = builtin.Select(Mode).ToHashSet(StringComparer.Ordinal);
        var right = ours.Select(Mode).Where(e => !(allowed.Contains("ParentDirectories") && e.StartsWith("dir ", StringComparison.Ordinal)
            && !builtin.Any(b => PathOf(b) == PathOf(e)) && ours.Any(o => PathOf(o).StartsWith(PathOf(e) + "/", StringComparison.Ordinal)))).ToHashSet(StringComparer.Ordinal);
        foreach (string entry in left.Except(right).Where(e => !allowed.Contains("Files." + PathOf(e))))
        {
            yield return $"Files: built-in has '{entry}', ContainerTasks {ours.FirstOrDefault(o => PathOf(o) == PathOf(entry)) ?? "has no such path"}";
        }
        foreach (string entry in right.Except(left).Where(e => !allowed.Contains("Files." + PathOf(e)) && !left.Any(b => PathOf(b) == PathOf(e))))
        {
            yield return $"Files: ContainerTasks has '{entry}', the built-in has no such path";
        }
    }

    private static Dictionary<string, string> Map(JsonElement? element)
        => element is { ValueKind: JsonValueKind.Object } e ? e.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString()) : new();

    // Objects compare by their keys (ExposedPorts, Volumes are sets); empty and missing are the same.
    private static string Normalize(JsonElement? element) => element switch
    {
        null => "(none)",
        { ValueKind: JsonValueKind.Object } o => o.EnumerateObject().Any() ? string.Join(",", o.EnumerateObject().Select(p => p.Name).Order()) : "(none)",
        { ValueKind: JsonValueKind.Array } a => a.GetArrayLength() == 0 ? "(none)" : a.GetRawText(),
        { ValueKind: JsonValueKind.String } s => s.GetString() is { Length: > 0 } text ? text : "(none)",
        var other => other.Value.GetRawText(),
    };
}
