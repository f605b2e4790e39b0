using ContainerTasks.Layers;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

public class LayerPlannerTests
{
    [Fact]
    public void Foreign_runtime_assets_are_left_out_on_request_and_the_rest_is_classified()
    {
        using var dir = new TempDirectory();
        foreach (string file in new[] { "App.dll", "App", "Pkg.dll", "runtimes/linux-x64/native/libpkg.so", "runtimes/win-x64/native/pkg.dll",
                     "runtimes/osx-arm64/native/libpkg.dylib", "runtimes/unix/lib/net8.0/Pkg.Unix.dll", "wwwroot/a.css" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir[file])!);
            File.WriteAllText(dir[file], file);
        }
        PublishedFile[] items =
        [
            new("Pkg.dll", "Pkg", "1.2.3", false),
            new("runtimes/linux-x64/native/libpkg.so", "Pkg", "1.2.3", false),
            new("runtimes/win-x64/native/pkg.dll", "Pkg", "1.2.3", false),
            new("runtimes/unix/lib/net8.0/Pkg.Unix.dll", "Pkg", "1.2.3+abc", false),
        ];
        var all = LayerPlanner.Plan(dir.Path, "/app", items, [], "App", LayeringMode.Split);
        var trimmed = LayerPlanner.Plan(dir.Path, "/app", items, [], "App", LayeringMode.Split, trimForeignRuntimeAssets: true, runtimeIdentifier: "linux-x64");

        string[] Paths(List<PlannedLayer> plan, LayerKind kind) => plan.Single(l => l.Kind == kind).Entries.Where(e => e.Kind == LayerEntryKind.File).Select(e => e.Path).Order().ToArray();
        Assert.Contains("app/runtimes/win-x64/native/pkg.dll", Paths(all, LayerKind.Packages));
        Assert.Equal(["app/Pkg.dll", "app/runtimes/linux-x64/native/libpkg.so", "app/runtimes/unix/lib/net8.0/Pkg.Unix.dll"], Paths(trimmed, LayerKind.Packages));
        Assert.DoesNotContain(trimmed.SelectMany(l => l.Entries), e => e.Path.Contains("osx-arm64", StringComparison.Ordinal));
        Assert.Equal(["app/App"], Paths(trimmed, LayerKind.AppHost));
        Assert.Equal(["app/wwwroot/a.css"], Paths(trimmed, LayerKind.StaticWebAssets));
        Assert.Equal(["app/App.dll"], Paths(trimmed, LayerKind.App));
        Assert.Equal(LayerWriter.ExecutableMode, trimmed.Single(l => l.Kind == LayerKind.AppHost).Entries[0].Mode);

        // A Windows image keeps the Windows assets and drops the Unix ones.
        var windows = LayerPlanner.Plan(dir.Path, "/C:/app", items, [], "App", LayeringMode.Split, trimForeignRuntimeAssets: true, runtimeIdentifier: "win-x64");
        Assert.Equal(["C:/app/Pkg.dll", "C:/app/runtimes/win-x64/native/pkg.dll"], Paths(windows, LayerKind.Packages));
    }

    [Theory]
    [InlineData("1.0.0", LayerKind.Packages)]
    [InlineData("1.0.0+build.5", LayerKind.Packages)]
    [InlineData("1.0.0-beta.2", LayerKind.PrereleasePackages)]
    [InlineData("1.0.0-rc.1+build", LayerKind.PrereleasePackages)]
    public void Prerelease_is_a_dash_before_any_build_metadata(string version, LayerKind expected)
    {
        Assert.Equal(expected, LayerPlanner.Classify("x.dll", new PublishedFile("x.dll", "X", version, false), new HashSet<string>(), null));
    }

    [Fact]
    public void Proxy_uris_handed_to_the_http_stack_carry_no_password()
    {
        var proxy = Registry.ProxySettings.FromEnvironment(new Dictionary<string, string> { ["HTTPS_PROXY"] = "http://alice:S3cret@proxy.example:3128" });
        Uri used = proxy.GetProxy(new Uri("https://ghcr.io/v2/"))!;
        Assert.DoesNotContain("S3cret", used.ToString());
        Assert.Equal("S3cret", proxy.GetCredential(used, "Basic")!.Password);
    }
}

public class LayerCacheTests
{
    [Fact]
    public void A_file_that_cannot_be_read_for_the_key_is_a_coded_error_even_when_files_are_hashed_in_parallel()
    {
        using var dir = new TempDirectory();
        var entries = Enumerable.Range(0, 8).Select(i =>
        {
            File.WriteAllText(dir[$"f{i}.txt"], $"file {i}");
            return LayerEntry.File(dir[$"f{i}.txt"], $"app/f{i}.txt");
        }).Append(LayerEntry.File(dir["gone.dll"], "app/gone.dll")).ToList();
        var error = Assert.Throws<ContainerTasksException>(() => LayerCache.ComputeKey(entries, new LayerOptions()));
        Assert.Equal("CT2003", error.Code);
        Assert.Contains("gone.dll", error.Message);
    }

    [Fact]
    public async Task A_layer_is_reused_by_content_and_an_unchanged_file_is_not_hashed_again()
    {
        using var dir = new TempDirectory();
        var store = new Content.ContentStore(dir["store"]);
        var cache = new LayerCache(store);
        Directory.CreateDirectory(dir["in"]);
        File.WriteAllText(dir["in/a.txt"], "first");
        var when = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(dir["in/a.txt"], when);
        List<LayerEntry> Entries() => DirectoryEntries.FromDirectory(dir["in"], "/app");

        var (first, reusedFirst) = await cache.GetOrWriteAsync(Entries(), new LayerOptions());
        var (second, reusedSecond) = await cache.GetOrWriteAsync(Entries(), new LayerOptions());
        Assert.False(reusedFirst);
        Assert.True(reusedSecond);
        Assert.Equal(first, second);

        // Rewritten with the same size and time (cp -p, Nix, Bazel): the status-change time still tells, so the
        // file is hashed again and the new content gives a new layer (size and time alone kept the old bytes).
        File.WriteAllText(dir["in/a.txt"], "FIRST");
        File.SetLastWriteTimeUtc(dir["in/a.txt"], when);
        var (third, reusedThird) = await cache.GetOrWriteAsync(Entries(), new LayerOptions());
        Assert.False(reusedThird);
        Assert.NotEqual(first.DiffId, third.DiffId);
        Assert.Equal(third, (await cache.GetOrWriteAsync(Entries(), new LayerOptions())).Layer);

        // The key ignores time stamps of files otherwise: the same content elsewhere hits the cache.
        Directory.CreateDirectory(dir["copy"]);
        File.WriteAllText(dir["copy/a.txt"], "FIRST");
        Assert.True((await cache.GetOrWriteAsync(DirectoryEntries.FromDirectory(dir["copy"], "/app"), new LayerOptions())).Reused);
    }

    [Fact]
    public async Task A_file_changed_in_the_last_moments_is_not_remembered_by_the_stat_cache()
    {
        // Within one tick of a coarse file-system clock a rewrite could keep the identity: such a file's hash is not kept.
        using var dir = new TempDirectory();
        var store = new Content.ContentStore(dir["store"]);
        Directory.CreateDirectory(dir["in"]);
        File.WriteAllText(dir["in/fresh.txt"], "just written");
        await new LayerCache(store).GetOrWriteAsync(DirectoryEntries.FromDirectory(dir["in"], "/app"), new LayerOptions());
        string stat = store.Layout.Stat;
        Assert.False(Directory.Exists(stat) && Directory.EnumerateFiles(stat).Any(), "a file changed just now was remembered by its identity");
    }
}
