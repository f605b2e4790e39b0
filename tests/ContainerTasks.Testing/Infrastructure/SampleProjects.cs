using System.Text;
using ContainerTasks.Model;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests.Infrastructure;

/// <summary>
/// The ContainerTasks package as a user gets it: packed once per test run with a unique version
/// (<c>0.0.0-dev.N</c>) into a private feed, restored into a private <c>NUGET_PACKAGES</c>, and built with
/// node reuse and build servers off, so no test ever runs stale bits.
/// </summary>
public sealed class PackageFeed : IDisposable
{
    // One pack per test run, shared by every fixture instance: packs of one project at once would share its obj/.
    private static readonly TempDirectory SharedFeed = new("ct-feed-shared-");
    private static readonly Lazy<string> SharedVersion = new(Pack, LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly TempDirectory _root = new("ct-feed-");

    /// <summary>The package version of this run (packed on first use).</summary>
    public string Version => SharedVersion.Value;

    /// <summary>The feed folder.</summary>
    public string FeedDirectory
    {
        get
        {
            _ = SharedVersion.Value;
            return SharedFeed.Path;
        }
    }

    /// <summary>This fixture's own NuGet package cache.</summary>
    public string PackagesDirectory => _root["packages"];

    /// <summary>A scratch folder for this fixture.</summary>
    public TempDirectory Root => _root;

    private static string Pack()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => SharedFeed.Dispose();
        string version = $"0.0.0-dev.{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}";
        Run.Process("dotnet", ["pack", Path.Combine(Repo.Root, "src", "ContainerTasks", "ContainerTasks.csproj"), "-c", "Release",
                $"-p:Version={version}", "-o", SharedFeed.Path, "-nologo", "-v:q", "--disable-build-servers"],
            environment: new Dictionary<string, string?> { ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0" },
            timeout: TimeSpan.FromMinutes(5)).EnsureSuccess("dotnet pack");
        return version;
    }

    /// <summary>The environment every dotnet command of the tests gets.</summary>
    public Dictionary<string, string?> BuildEnvironment(IDictionary<string, string?>? extra)
    {
        var env = new Dictionary<string, string?>
        {
            ["NUGET_PACKAGES"] = PackagesDirectory,
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
            ["CONTAINERTASKS_CACHE"] = _root["cache"],
            ["CONTAINERTASKS_RETRY_BASE_MS"] = "50",
            ["CONTAINERTASKS_RETRY_BUDGET_MS"] = "3000",
            ["SOURCE_DATE_EPOCH"] = null,
        };
        if (extra is not null)
        {
            foreach (var pair in extra)
            {
                env[pair.Key] = pair.Value;
            }
        }
        return env;
    }

    /// <summary>Copies a sample into a fresh folder with a nuget.config that adds this run's feed.</summary>
    public string CopySample(string sample, string destination)
    {
        string source = Path.Combine(Repo.Root, "samples", sample);
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(source, file);
            if (relative.StartsWith("bin", StringComparison.Ordinal) || relative.StartsWith("obj", StringComparison.Ordinal))
            {
                continue;
            }
            string target = Path.Combine(destination, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        File.WriteAllText(Path.Combine(destination, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="containertasks-test" value="{FeedDirectory}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(destination, "Directory.Build.props"), "<Project />");
        return Path.Combine(destination, sample + ".csproj");
    }

    /// <summary>The <c>obj/…/container/image.json</c> the last image build of <paramref name="project"/> wrote.</summary>
    public static System.Text.Json.JsonElement ImageJson(string project)
    {
        string file = Directory.EnumerateFiles(Path.Combine(Path.GetDirectoryName(project)!, "obj"), "image.json", SearchOption.AllDirectories).Single();
        return System.Text.Json.JsonDocument.Parse(File.ReadAllText(file)).RootElement.Clone();
    }

    /// <summary>
    /// True for a request of the last publish of <paramref name="project"/> that attached its SBOM or provenance rather than
    /// pushed its image: the upload of a document listed in image.json (or of the empty config), the PUT of an artifact
    /// manifest (by digest) or of a referrers tag (<c>sha256-…</c>). Tests about layers count the image's requests only.
    /// </summary>
    public static bool IsDocumentRequest(Registries.AccessLogEntry entry, string project)
    {
        if (entry.Path.Contains("/manifests/sha256", StringComparison.Ordinal))
        {
            return true;
        }
        var documents = ImageJson(project).GetProperty("artifacts").EnumerateArray().Select(a => a.TryGetProperty("digest", out var d) ? d.GetString() : null)
            .OfType<string>().Append(ContainerTasks.Registry.Referrers.ArtifactManifest.EmptyDescriptor.Digest.ToString());
        string query = Uri.UnescapeDataString(entry.Query ?? "");
        return documents.Any(d => query.Contains("digest=" + d, StringComparison.Ordinal));
    }

    /// <summary>Runs <c>dotnet ARGS</c> for a project with the run's environment.</summary>
    public ProcessResult Dotnet(IEnumerable<string> arguments, IDictionary<string, string?>? environment = null)
    {
        var list = arguments.ToList();
        // `dotnet publish/build/pack` take --disable-build-servers; `dotnet msbuild` and binlog replays do not.
        if (list.Count > 0 && list[0] is "publish" or "build" or "pack" or "restore")
        {
            list.Add("--disable-build-servers");
        }
        list.Add("-nologo");
        return Run.Process("dotnet", list, environment: BuildEnvironment(environment), timeout: TimeSpan.FromMinutes(5));
    }

    /// <summary>
    /// Runs <c>dotnet</c> with one command-line string, as a client that writes its command line as text (.NET Aspire)
    /// starts it, with the run's environment.
    /// </summary>
    public ProcessResult DotnetCommandLine(string arguments, IDictionary<string, string?>? environment = null)
        => Run.CommandLine("dotnet", arguments + " -nologo", BuildEnvironment(environment), TimeSpan.FromMinutes(5));

    public void Dispose() => _root.Dispose();
}

/// <summary>Pushes the runtime base images (made by make-base.sh) into a registry once.</summary>
public static class RuntimeBases
{
    private static readonly Dictionary<string, Task<string>> Pushed = new();

    /// <summary>The reference of <paramref name="kind"/> (dotnet or aspnet) in <paramref name="server"/>.</summary>
    public static Task<string> GetAsync(RegistryServer server, BaseImages bases, string kind)
    {
        lock (Pushed)
        {
            string key = $"{server.Host}/{kind}";
            if (!Pushed.TryGetValue(key, out Task<string>? task))
            {
                task = Task.Run(() =>
                {
                    string reference = server.Reference($"base/{kind}:10.0");
                    Run.Process("skopeo", ["copy", .. server.SkopeoOptions("dest", RegistryUsers.Pusher), bases.Get(kind), $"docker://{reference}"],
                        environment: server.ChildEnvironment, timeout: TimeSpan.FromMinutes(5)).EnsureSuccess($"skopeo copy {kind} base");
                    return reference;
                });
                Pushed[key] = task;
            }
            return task;
        }
    }

    /// <summary>The two-platform runtime base (amd64 and an arm64-labelled copy) in <paramref name="server"/>, pushed once.</summary>
    public static Task<string> GetTwoPlatformAsync(RegistryServer server, BaseImages bases)
    {
        lock (Pushed)
        {
            string key = $"{server.Host}/dotnet-multi";
            if (!Pushed.TryGetValue(key, out Task<string>? task))
            {
                task = Task.Run(() => PushTwoPlatformAsync(server, bases));
                Pushed[key] = task;
            }
            return task;
        }
    }

    /// <summary>A two-platform runtime base: the real amd64 image and an arm64-labelled copy (same layers; it need not run here).</summary>
    public static async Task<string> PushTwoPlatformAsync(RegistryServer server, BaseImages bases)
    {
        string reference = server.Reference("base/dotnet-multi:10.0");
        using var dir = new TempDirectory();
        string layout = dir["layout"];
        Run.Checked("skopeo", "copy", bases.Get("dotnet"), $"oci:{layout}:amd64");
        var source = ContainerTasks.Sources.OciLayoutSource.Open(layout, "amd64");
        var amd64 = await source.GetImageAsync(null);
        string armConfig = Encoding.UTF8.GetString(amd64.ConfigBytes).Replace("\"architecture\":\"amd64\"", "\"architecture\":\"arm64\",\"variant\":\"v8\"", StringComparison.Ordinal);
        if (!armConfig.Contains("arm64", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("the dotnet base config has no amd64 architecture to relabel");
        }
        byte[] armConfigBytes = Encoding.UTF8.GetBytes(armConfig);
        var armManifest = amd64.Manifest with { Config = amd64.Manifest.Config with { Digest = Digest.Sha256(armConfigBytes), Size = armConfigBytes.Length } };
        byte[] armManifestBytes = armManifest.ToBytes();
        string blobs = Path.Combine(layout, "blobs", "sha256");
        File.WriteAllBytes(Path.Combine(blobs, Digest.Sha256(armConfigBytes).Hex), armConfigBytes);
        File.WriteAllBytes(Path.Combine(blobs, Digest.Sha256(armManifestBytes).Hex), armManifestBytes);
        var index = new ImageIndex(MediaTypes.OciIndex,
        [
            new Descriptor(amd64.Manifest.MediaType, amd64.ManifestDigest, amd64.ManifestBytes.Length) { Platform = new Platform("linux", "amd64") },
            new Descriptor(armManifest.MediaType, Digest.Sha256(armManifestBytes), armManifestBytes.Length) { Platform = new Platform("linux", "arm64", "v8") },
        ]);
        byte[] indexBytes = index.ToBytes();
        File.WriteAllBytes(Path.Combine(blobs, Digest.Sha256(indexBytes).Hex), indexBytes);
        File.WriteAllText(Path.Combine(layout, "index.json"),
            $"{{\"schemaVersion\":2,\"manifests\":[{{\"mediaType\":\"{MediaTypes.OciIndex}\",\"digest\":\"{Digest.Sha256(indexBytes)}\",\"size\":{indexBytes.Length},\"annotations\":{{\"org.opencontainers.image.ref.name\":\"multi\"}}}}]}}");
        Run.Process("skopeo", ["copy", "--all", .. server.SkopeoOptions("dest", RegistryUsers.Pusher), $"oci:{layout}:multi", $"docker://{reference}"],
            environment: server.ChildEnvironment).EnsureSuccess("skopeo copy --all of the two-platform base");
        return reference;
    }
}
