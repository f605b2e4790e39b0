using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

public class CacheLayoutTests
{
    private static readonly Digest Sample = Digest.Sha256("sample"u8);

    [Fact]
    public void Every_folder_and_entry_is_under_the_root_where_the_documentation_says()
    {
        using var dir = new TempDirectory();
        var layout = new CacheLayout(dir["cache"]);
        Assert.Equal(dir["cache/blobs"], layout.Blobs);
        Assert.Equal(dir["cache/tmp"], layout.Temp);
        Assert.Equal(dir["cache/locks"], layout.Locks);
        Assert.Equal(dir["cache/layers"], layout.Layers);
        Assert.Equal(dir["cache/stat"], layout.Stat);
        Assert.Equal(dir["cache/pushed"], layout.Pushed);
        Assert.Equal(dir["cache/registries"], layout.Registries);
        Assert.Equal(dir[$"cache/blobs/sha256/{Sample.Hex}"], layout.BlobPath(Sample));
        Assert.Equal(dir[$"cache/locks/sha256-{Sample.Hex}.lock"], layout.LockPath(Sample));
        Assert.Equal(dir["cache/layers/k.json"], layout.LayerEntryPath("k"));
        Assert.Equal(dir[$"cache/pushed/{Sample.Hex}"], layout.PushedMarker(Sample));
        Assert.Matches(@"/tmp/[0-9a-f]{32}\.partial$", layout.NewPartialPath());
        Assert.Matches(@"/stat/x\.[0-9a-f]{32}\.tmp$", CacheLayout.NewTempPath(dir["cache/stat/x"]));
    }

    [Fact]
    public void A_relative_root_is_made_absolute()
    {
        Assert.Equal(Path.GetFullPath("rel/cache"), new CacheLayout("rel/cache").Root);
    }

    [Theory]
    [InlineData("/explicit", "/xdg", "/home/u", "/explicit")]
    [InlineData("", "/xdg", "/home/u", "/xdg/containertasks")]
    [InlineData(null, "", "/home/u", "/home/u/.cache/containertasks")]
    [InlineData(null, null, "/elsewhere", "/elsewhere/.cache/containertasks")]
    public void The_default_root_comes_from_the_build_environment_given_not_the_process_one(string? cache, string? xdg, string? home, string expected)
    {
        var environment = new Dictionary<string, string>();
        foreach (var (name, value) in new[] { ("CONTAINERTASKS_CACHE", cache), ("XDG_CACHE_HOME", xdg), ("HOME", home) })
        {
            if (value is not null)
            {
                environment[name] = value;
            }
        }
        Assert.Equal(expected, CacheLayout.DefaultRoot(environment));
    }

    [Fact]
    public async Task The_store_and_the_caches_write_where_the_layout_says()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["cache"]);
        Assert.Equal(store.Layout.Root, store.Root);
        Digest blob = store.Put("blob"u8);
        Assert.True(File.Exists(store.Layout.BlobPath(blob)));
        using (await store.LockAsync(blob))
        {
            Assert.True(File.Exists(store.Layout.LockPath(blob)));
        }
        store.MarkPushedHere(blob);
        Assert.True(File.Exists(store.Layout.PushedMarker(blob)));

        Directory.CreateDirectory(dir["in"]);
        File.WriteAllText(dir["in/a.txt"], "content");
        Thread.Sleep(1100); // past the stat cache's one-second "racily clean" window
        var (layer, _) = await new LayerCache(store).GetOrWriteAsync(DirectoryEntries.FromDirectory(dir["in"], "/app"), new LayerOptions());
        Assert.True(File.Exists(store.Layout.BlobPath(layer.Descriptor.Digest)));
        Assert.Single(Directory.EnumerateFiles(store.Layout.Layers, "*.json"));
        Assert.Single(Directory.EnumerateFiles(store.Layout.Stat));
        Assert.Equal(["blobs", "layers", "locks", "pushed", "stat", "tmp"], Directory.EnumerateDirectories(store.Root).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void The_index_folders_are_those_forgotten_when_the_cache_was_open_to_others()
    {
        using var dir = new TempDirectory();
        var layout = new CacheLayout(dir["cache"]);
        foreach (string folder in new[] { layout.Layers, layout.Stat, layout.Pushed, layout.Registries, layout.Blobs })
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "entry"), "");
        }
        File.SetUnixFileMode(layout.Root, (UnixFileMode)0x1FF);
        _ = new ContentStore(layout.Root);
        Assert.Equal(["blobs", "tmp"], Directory.EnumerateDirectories(layout.Root).Select(Path.GetFileName).Order());
        Assert.True(File.Exists(Path.Combine(layout.Blobs, "entry")), "blobs are kept: every read checks their digest");
    }
}
