using System.Text.Json;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// A win-x64 app on a nanoserver-shaped base (<see cref="WindowsBases"/>), published by the SDK's built-in container support
/// and by ContainerTasks: the same config and the same files in the Windows layer format (Files/…, Hives/, the
/// <c>MSWINDOWS.rawsd</c> record), except for the differences listed in <see cref="AllowedDifferences"/> with their reasons.
/// Layers are read with Python's tarfile (<see cref="LayerDump"/>).
/// </summary>
[Collection(ImageCollection.Name)]
public sealed class WindowsParityTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>
{
    /// <summary>Owner and group BUILTIN\Users, no DACL: what the built-in writes on every entry, and what ContainerTasks writes too.</summary>
    private const string UsersSecurityDescriptor = "AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA==";

    private static readonly string[] ComparedConfigFields = ["Env", "Entrypoint", "Cmd", "WorkingDir", "User", "ExposedPorts", "Labels"];
    private static readonly string[] ComparedImageFields = ["os", "architecture", "os.version", "os.features"];

    private sealed record Difference(string Field, string Reason);

    /// <summary>Every way ContainerTasks may differ from the built-in here, and why. Anything else fails the comparison.</summary>
    private static readonly Difference[] AllowedDifferences =
    [
        new("Labels.org.opencontainers.image.created", "The built-in stamps the build time (a new digest every build); ContainerTasks sets it only from SOURCE_DATE_EPOCH."),
        new("Labels.org.opencontainers.artifact.created", "As org.opencontainers.image.created."),
        new("os.version", "The built-in rebuilds the config from scratch and drops the base's os.version; ContainerTasks keeps it (Windows hosts pick images by it)."),
        new("os.features", "Dropped by the built-in with os.version; kept by ContainerTasks."),
        new("Entrypoint", @"On a Linux host MSBuild turns the '\' of the built-in's ContainerAppCommand item into '/' (C:/app/HelloContainer.dll); ContainerTasks writes C:\app\HelloContainer.dll."),
        new("EntryNames", @"The built-in keeps the trailing '\' of C:\app\ on a Linux host and names entries Files/app/ and Files/app//X; names are compared with '/' runs collapsed and no trailing '/'."),
        new("EntryOrder", "The built-in writes the publish folder in file system order; ContainerTasks sorts entries (Files first, Hives last)."),
        new("PaxTimes", "The built-in writes each entry's build time as a PAX mtime record (and every name as a PAX path record); ContainerTasks fixes times in the header."),
        new("LayerSplit", "ContainerTasks may split the app into several layers; the union of its app layers is compared with the built-in's one app layer."),
    ];

    private Dictionary<string, string?> Environment => new() { ["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = http.Server.Host };

    private sealed record Published(JsonElement Config, IReadOnlyList<IReadOnlyList<DumpedEntry>> AppLayers, string PublishDirectory);

    [Fact]
    public async Task The_builtin_writes_the_windows_app_layer_and_config_the_research_predicts()
    {
        WindowsBaseSet windows = await WindowsBases.GetAsync(http.Server, bases);
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        AssertBuiltinFacts(Publish(project, windows.Nanoserver, ours: false, dir.Path));
    }

    [Fact]
    public async Task A_win_x64_console_app_on_nanoserver_agrees_with_the_builtin_but_for_the_allowed_differences()
    {
        WindowsBaseSet windows = await WindowsBases.GetAsync(http.Server, bases);
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        Published builtin = Publish(project, windows.Nanoserver, ours: false, dir.Path);
        AssertBuiltinFacts(builtin);
        Published ours = Publish(project, windows.Nanoserver, ours: true, dir.Path);

        var differences = ConfigDifferences(builtin.Config, ours.Config).Concat(EntryDifferences(builtin, ours)).ToList();
        Assert.True(differences.Count == 0, "differences not in AllowedDifferences:\n" + string.Join("\n", differences));
        AssertOursFacts(ours, BaseConfig(windows.Nanoserver));
    }

    [Fact]
    public async Task A_linux_and_windows_publish_gives_one_index_whose_windows_entry_is_the_first_windows_base()
    {
        WindowsBaseSet windows = await WindowsBases.GetAsync(http.Server, bases);
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        // As a project states it: the platforms in RuntimeIdentifiers too (restore needs them).
        File.WriteAllText(project, File.ReadAllText(project).Replace("</TargetFramework>", "</TargetFramework>\n    <RuntimeIdentifiers>linux-x64;win-x64</RuntimeIdentifiers>", StringComparison.Ordinal));
        string repository = RegistryServer.NewRepository("windows-parity/mixed");
        feed.Dotnet(["publish", project, "-c", "Release", "-t:PublishContainer", $"-p:ContainerRegistry={http.Server.Host}",
                $"-p:ContainerBaseImage={windows.Multi}", $"-p:ContainerRepository={repository}", "-p:ContainerRuntimeIdentifiers=\"linux-x64;win-x64\"",
                $"-p:ContainerTasksVersion={feed.Version}"], Environment)
            .EnsureSuccess("ContainerTasks publish for linux-x64 and win-x64");

        using JsonDocument index = JsonDocument.Parse(Run.Checked("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{http.Server.Reference(repository + ":latest")}"));
        var entries = index.RootElement.GetProperty("manifests").EnumerateArray().ToList();
        Assert.Equal(["linux/amd64/", $"windows/amd64/{WindowsBases.Ltsc2019}"],
            entries.Select(e => e.GetProperty("platform")).Select(p => $"{Text(p, "os")}/{Text(p, "architecture")}/{Text(p, "os.version")}").Order(StringComparer.Ordinal));
        foreach (JsonElement entry in entries)
        {
            string child = http.Server.Reference($"{repository}@{entry.GetProperty("digest").GetString()}");
            using JsonDocument manifest = JsonDocument.Parse(Run.Checked("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{child}"));
            Assert.True(manifest.RootElement.GetProperty("layers").GetArrayLength() > 0, child);
            using JsonDocument config = JsonDocument.Parse(Run.Checked("skopeo", "inspect", "--config", "--tls-verify=false", $"docker://{child}"));
            bool isWindows = Text(entry.GetProperty("platform"), "os") == "windows";
            Assert.Equal(isWindows ? @"C:\app\" : "/app/", config.RootElement.GetProperty("config").GetProperty("WorkingDir").GetString());
            Assert.Equal(isWindows ? WindowsBases.Ltsc2019 : null, Text(config.RootElement, "os.version"));
        }
    }

    /// <summary>Publishes <paramref name="project"/> on <paramref name="baseImage"/> for win-x64 and reads the pushed image back.</summary>
    private Published Publish(string project, string baseImage, bool ours, string scratch)
    {
        string repository = RegistryServer.NewRepository(ours ? "windows-parity/ours" : "windows-parity/builtin");
        string[] arguments = ["publish", project, "-c", "Release", "-r", "win-x64", "--self-contained", "false", "-t:PublishContainer",
            $"-p:ContainerRegistry={http.Server.Host}", $"-p:ContainerBaseImage={baseImage}", $"-p:ContainerRepository={repository}"];
        feed.Dotnet(ours ? [.. arguments, $"-p:ContainerTasksVersion={feed.Version}"] : arguments, Environment)
            .EnsureSuccess(ours ? "ContainerTasks publish for win-x64" : "built-in publish for win-x64");
        string layout = Path.Combine(scratch, "image-" + Guid.NewGuid().ToString("N"));
        Run.Process("skopeo", ["copy", "--quiet", "--src-tls-verify=false", $"docker://{http.Server.Reference(repository + ":latest")}", $"oci:{layout}:r"])
            .EnsureSuccess("skopeo copy of the published image");
        DumpedImage image = LayerDump.ReadImage(layout, "r");
        int baseLayers = BaseConfig(baseImage).GetProperty("rootfs").GetProperty("diff_ids").GetArrayLength();
        return new Published(image.Config, image.Layers.Skip(baseLayers).Select(l => l.Entries!).ToList(),
            Path.Combine(Path.GetDirectoryName(project)!, "bin", "Release", "net10.0", "win-x64", "publish"));
    }

    private static JsonElement BaseConfig(string baseImage)
    {
        using JsonDocument config = JsonDocument.Parse(Run.Checked("skopeo", "inspect", "--config", "--tls-verify=false", $"docker://{baseImage}"));
        return config.RootElement.Clone();
    }

    /// <summary>What the research note on the built-in (SDK 10.0.401) predicts for a Windows base on a Linux host.</summary>
    private static void AssertBuiltinFacts(Published builtin)
    {
        IReadOnlyList<DumpedEntry> entries = Assert.Single(builtin.AppLayers);
        Assert.Equal(["Files", "Files/app/"], entries.Take(2).Select(e => e.Stored));
        Assert.Equal("Hives", entries[^1].Stored);
        DumpedEntry dll = Assert.Single(entries, e => e.Stored == "Files/app//HelloContainer.dll");
        Assert.Equal(Sha256(Path.Combine(builtin.PublishDirectory, "HelloContainer.dll")), dll.Sha256);
        Assert.All(entries, e =>
        {
            Assert.Equal(("0755", 0, 0), (e.Mode, e.Uid, e.Gid));
            Assert.Equal(UsersSecurityDescriptor, e.Pax.GetValueOrDefault("MSWINDOWS.rawsd"));
            Assert.True(e.Pax.ContainsKey("mtime"), e.Stored);
        });
        JsonElement config = builtin.Config;
        Assert.Equal(("windows", "amd64"), (Text(config, "os"), Text(config, "architecture")));
        Assert.False(config.TryGetProperty("os.version", out _), "the built-in kept os.version");
        Assert.Equal(@"C:\app\", Text(config.GetProperty("config"), "WorkingDir"));
        Assert.Equal(["dotnet", "C:/app/HelloContainer.dll"], config.GetProperty("config").GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("ContainerUser", Text(config.GetProperty("config"), "User"));
    }

    /// <summary>What ContainerTasks writes for Windows: sorted, normalized layers and the base's os.version kept.</summary>
    private static void AssertOursFacts(Published ours, JsonElement baseConfig)
    {
        Assert.NotEmpty(ours.AppLayers);
        foreach (IReadOnlyList<DumpedEntry> layer in ours.AppLayers)
        {
            Assert.Equal("Files", layer[0].NormalizedName);
            Assert.Equal("Hives", layer[^1].NormalizedName);
            var names = layer.Select(e => e.NormalizedName).ToList();
            Assert.Equal(names.Order(StringComparer.Ordinal), names);
            Assert.All(layer, e =>
            {
                Assert.Equal(("0755", 0, 0), (e.Mode, e.Uid, e.Gid));
                Assert.Equal(UsersSecurityDescriptor, e.Pax.GetValueOrDefault("MSWINDOWS.rawsd"));
                Assert.False(e.Pax.ContainsKey("mtime"), e.Stored);
                Assert.DoesNotContain("//", e.Stored, StringComparison.Ordinal);
            });
        }
        Assert.Contains(ours.AppLayers.SelectMany(l => l), e => e.NormalizedName == "Files/app" && e.Type == "dir");
        JsonElement config = ours.Config;
        Assert.Equal(@"C:\app\", Text(config.GetProperty("config"), "WorkingDir"));
        Assert.Equal(["dotnet", @"C:\app\HelloContainer.dll"], config.GetProperty("config").GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("ContainerUser", Text(config.GetProperty("config"), "User"));
        Assert.Equal("windows", Text(config, "os"));
        Assert.Equal(Text(baseConfig, "os.version"), Text(config, "os.version"));
        Assert.Equal(Raw(baseConfig, "os.features"), Raw(config, "os.features"));
    }

    private static IEnumerable<string> ConfigDifferences(JsonElement builtin, JsonElement ours)
    {
        var allowed = AllowedDifferences.Select(d => d.Field).ToHashSet(StringComparer.Ordinal);
        foreach (string field in ComparedImageFields.Where(f => !allowed.Contains(f) && Raw(builtin, f) != Raw(ours, f)))
        {
            yield return $"{field}: built-in {Raw(builtin, field)}, ContainerTasks {Raw(ours, field)}";
        }
        JsonElement left = builtin.GetProperty("config"), right = ours.GetProperty("config");
        foreach (string field in ComparedConfigFields.Where(f => f != "Labels" && !allowed.Contains(f) && Raw(left, f) != Raw(right, f)))
        {
            yield return $"{field}: built-in {Raw(left, field)}, ContainerTasks {Raw(right, field)}";
        }
        var leftLabels = Labels(left);
        var rightLabels = Labels(right);
        foreach (string key in leftLabels.Keys.Union(rightLabels.Keys).Where(k => !allowed.Contains("Labels." + k)))
        {
            if (leftLabels.GetValueOrDefault(key) != rightLabels.GetValueOrDefault(key))
            {
                yield return $"Labels.{key}: built-in '{leftLabels.GetValueOrDefault(key)}', ContainerTasks '{rightLabels.GetValueOrDefault(key)}'";
            }
        }
    }

    /// <summary>
    /// The entries of the built-in's app layer against the union of ours, as (name, type, mode, uid:gid, rawsd, SHA-256) with
    /// the normalizations <see cref="AllowedDifferences"/> names (EntryNames, EntryOrder, PaxTimes, LayerSplit).
    /// </summary>
    private static IEnumerable<string> EntryDifferences(Published builtin, Published ours)
    {
        var allowed = AllowedDifferences.Select(d => d.Field).ToHashSet(StringComparer.Ordinal);
        Assert.True(allowed.IsSupersetOf(["EntryNames", "EntryOrder", "PaxTimes", "LayerSplit"]), "the entry comparison below applies these");
        static string Key(DumpedEntry e) => $"{e.Type} {e.NormalizedName} {e.Mode} {e.Uid}:{e.Gid} rawsd={e.Pax.GetValueOrDefault("MSWINDOWS.rawsd")} {e.Sha256}";
        var left = builtin.AppLayers.Single().Select(Key).ToHashSet(StringComparer.Ordinal);
        var right = ours.AppLayers.SelectMany(l => l).Select(Key).ToHashSet(StringComparer.Ordinal);
        foreach (string entry in left.Except(right).Order(StringComparer.Ordinal))
        {
            yield return $"Entries: only the built-in has '{entry}'";
        }
        foreach (string entry in right.Except(left).Order(StringComparer.Ordinal))
        {
            yield return $"Entries: only ContainerTasks has '{entry}'";
        }
    }

    private static Dictionary<string, string> Labels(JsonElement config)
        => config.TryGetProperty("Labels", out JsonElement labels) && labels.ValueKind == JsonValueKind.Object
            ? labels.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString())
            : new();

    /// <summary>A field's JSON text; missing, null and empty are all "(none)" (objects compare by their keys).</summary>
    private static string Raw(JsonElement element, string field) => element.TryGetProperty(field, out JsonElement value) ? value switch
    {
        { ValueKind: JsonValueKind.Null } => "(none)",
        { ValueKind: JsonValueKind.Object } o => o.EnumerateObject().Any() ? string.Join(",", o.EnumerateObject().Select(p => p.Name).Order()) : "(none)",
        { ValueKind: JsonValueKind.Array } a => a.GetArrayLength() == 0 ? "(none)" : a.GetRawText(),
        { ValueKind: JsonValueKind.String } s => s.GetString() is { Length: > 0 } text ? text : "(none)",
        var other => other.GetRawText(),
    } : "(none)";

    private static string? Text(JsonElement element, string property) => element.TryGetProperty(property, out JsonElement value) ? value.GetString() : null;

    private static string Sha256(string file) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file))).ToLowerInvariant();
}
