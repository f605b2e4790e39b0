using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

public class CachePruneTests
{
    private const long NoLimit = long.MaxValue;
    private static readonly TimeSpan OneHour = TimeSpan.FromHours(1);

    private static string Hex(int length, char c = 'a') => new(c, length);

    private static string Guid32() => Guid.NewGuid().ToString("N");

    // Writes a file last written `age` ago.
    private static string Aged(string path, TimeSpan age, string content = "")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
        return path;
    }

    // Prunes with no size limit, then checks what went and what stayed.
    private static void PruneAndCheck(ContentStore store, string[] gone, string[] kept)
    {
        store.Prune(NoLimit, OneHour);
        Assert.All(gone, path => Assert.False(File.Exists(path), $"kept {path}"));
        Assert.All(kept, path => Assert.True(File.Exists(path), $"deleted {path}"));
    }

    [Theory]
    [InlineData("tmp", "0123456789abcdef0123456789abcdef.partial", 1.02, 0.98)] // partial writes: an hour after their last write
    [InlineData("stat", "0123456789abcdef0123456789abcdef01234567", 8 * 24, 6 * 24)] // stat entries: not used for a week
    [InlineData("pushed", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 31 * 24, 29 * 24)] // markers: a month
    [InlineData("registries", "registry.example.com_5000.scheme", 31 * 24, 29 * 24)] // plain-HTTP registries: a month after written
    public void Entries_go_by_age_and_names_the_cache_does_not_write_stay(string folder, string ownName, double goneAfterHours, double keptAtHours)
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["cache"]);
        string old = Aged(dir[$"cache/{folder}/{ownName}"], TimeSpan.FromHours(goneAfterHours));
        string recent = Aged(dir[$"cache/{folder}/{ownName.Replace('0', 'f')}"], TimeSpan.FromHours(keptAtHours));
        string foreign = Aged(dir[$"cache/{folder}/notes.txt"], TimeSpan.FromDays(400));
        PruneAndCheck(store, gone: [old], kept: [recent, foreign]);
    }

    [Fact]
    public void The_folders_ruled_by_age_are_swept_at_most_once_an_hour()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["cache"]);
        string first = Aged(Path.Combine(store.Layout.Stat, Hex(40, 'a')), TimeSpan.FromDays(8));
        PruneAndCheck(store, gone: [first], kept: [store.Layout.SweepStamp]);
        string second = Aged(Path.Combine(store.Layout.Stat, Hex(40, 'b')), TimeSpan.FromDays(8));
        PruneAndCheck(store, gone: [], kept: [second]);
        File.SetLastWriteTimeUtc(store.Layout.SweepStamp, DateTime.UtcNow.AddMinutes(-61));
        PruneAndCheck(store, gone: [second], kept: []);
    }

    [Fact]
    public async Task Lock_files_go_when_an_hour_old_and_not_held_and_a_held_one_stays_locked()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["cache"]);
        Digest held = Digest.Sha256("held"u8), free = Digest.Sha256("free"u8), fresh = Digest.Sha256("fresh"u8);
        using (await store.LockAsync(fresh))
        {
        }
        Aged(store.Layout.LockPath(free), TimeSpan.FromHours(2));
        string foreign = Aged(Path.Combine(store.Layout.Locks, "mine.lock"), TimeSpan.FromDays(2));
        using (IDisposable holding = await store.LockAsync(held))
        {
            File.SetLastWriteTimeUtc(store.Layout.LockPath(held), DateTime.UtcNow.AddHours(-2));
            store.Prune(NoLimit, OneHour);
            Assert.True(File.Exists(store.Layout.LockPath(held)), "a held lock was deleted");
            var waiting = store.LockAsync(held);
            await Task.Delay(100);
            Assert.False(waiting.IsCompleted, "the lock was no longer held after pruning");
            holding.Dispose();
            (await waiting).Dispose();
        }
        Assert.False(File.Exists(store.Layout.LockPath(free)));
        Assert.True(File.Exists(store.Layout.LockPath(fresh)));
        Assert.True(File.Exists(foreign));
    }

    [Fact]
    public void A_lock_taken_on_a_file_pruning_deleted_meanwhile_is_seen_as_stale()
    {
        // The interleaving pruning allows: a waiter opens the lock file, pruning deletes it, the waiter's lock then succeeds.
        using var dir = new TempDirectory();
        string path = dir["sha256-x.lock"];
        using (var held = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1))
        {
            Assert.True(ContentStore.IsNamedBy(held, path));
            File.Delete(path);
            Assert.False(ContentStore.IsNamedBy(held, path));
            File.WriteAllText(path, ""); // another waiter's new lock file under the same name
            Assert.False(ContentStore.IsNamedBy(held, path));
        }
    }

    [Fact]
    public async Task A_stat_entry_that_hits_is_marked_used_so_that_it_is_kept()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["cache"]);
        Directory.CreateDirectory(dir["in"]);
        File.WriteAllText(dir["in/a.txt"], "content");
        Thread.Sleep(1100); // past the stat cache's one-second "racily clean" window
        var cache = new LayerCache(store);
        await cache.GetOrWriteAsync(DirectoryEntries.FromDirectory(dir["in"], "/app"), new LayerOptions());
        string entry = Assert.Single(Directory.EnumerateFiles(store.Layout.Stat));
        File.SetLastWriteTimeUtc(entry, DateTime.UtcNow.AddDays(-6));
        await cache.GetOrWriteAsync(DirectoryEntries.FromDirectory(dir["in"], "/app"), new LayerOptions());
        Assert.True(File.GetLastWriteTimeUtc(entry) > DateTime.UtcNow.AddMinutes(-1), "a stat entry that hit was not marked used");
    }

    [Fact]
    public void A_pushed_marker_that_is_asked_for_is_marked_used_so_that_it_is_kept()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["cache"]);
        Digest used = Digest.Sha256("used"u8);
        store.MarkPushedHere(used);
        File.SetLastWriteTimeUtc(store.Layout.PushedMarker(used), DateTime.UtcNow.AddDays(-31));
        Assert.True(store.WasPushedHere(used));
        store.Prune(NoLimit, OneHour);
        Assert.True(store.WasPushedHere(used));
    }

    [Fact]
    public void Layer_entries_go_when_their_blob_is_gone_once_no_build_can_be_writing_them()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["cache"]);
        Digest kept = store.Put("kept"u8), removed = store.Put("removed"u8);
        File.Delete(store.PathOf(removed)); // as a damaged blob is discarded
        string Entry(string key, Digest digest, TimeSpan age) => Aged(store.Layout.LayerEntryPath(key), age, $"{{\"digest\":\"{digest}\"}}");
        string withBlob = Entry("with-blob", kept, TimeSpan.FromDays(90));
        string orphan = Entry("orphan", removed, TimeSpan.FromMinutes(61));
        string beingWritten = Entry("being-written", removed, TimeSpan.FromMinutes(1));
        string damaged = Aged(store.Layout.LayerEntryPath("damaged"), TimeSpan.FromDays(1), "{not json");
        string foreign = Aged(Path.Combine(store.Layout.Layers, "notes.txt"), TimeSpan.FromDays(9));
        PruneAndCheck(store, gone: [orphan, damaged], kept: [withBlob, beingWritten, foreign]);
    }

    [Fact]
    public void Temporary_files_of_every_index_folder_go_when_an_hour_old_and_a_recent_registry_entry_stays()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["cache"]);
        var layout = store.Layout;
        string[] leftovers =
        [
            Aged(CacheLayout.NewTempPath(layout.LayerEntryPath(Hex(64))), TimeSpan.FromHours(2)),
            Aged(CacheLayout.NewTempPath(Path.Combine(layout.Stat, Hex(40))), TimeSpan.FromHours(2)),
            Aged(CacheLayout.NewTempPath(Path.Combine(layout.Registries, "localhost_5000.scheme")), TimeSpan.FromHours(2)),
            Aged(CacheLayout.NewTempPath(Path.Combine(layout.Pushed, Hex(64))), TimeSpan.FromHours(2)),
        ];
        string writing = Aged(CacheLayout.NewTempPath(Path.Combine(layout.Stat, Hex(40, 'b'))), TimeSpan.FromMinutes(5));
        string scheme = Aged(Path.Combine(layout.Registries, "localhost_5000.scheme"), TimeSpan.FromDays(10), "http\n");
        PruneAndCheck(store, gone: leftovers, kept: [writing, scheme]);
    }

    [Fact]
    public void Pruning_follows_no_linked_index_folder()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["cache"]);
        // Outside the cache: old files named as the cache names its entries, which a linked folder would expose.
        string[] outside =
        [
            Aged(dir[$"outside/{Hex(40)}"], TimeSpan.FromDays(90)),
            Aged(dir[$"outside/{Hex(64)}"], TimeSpan.FromDays(90)),
            Aged(dir[$"outside/sha256-{Hex(64)}.lock"], TimeSpan.FromDays(90)),
            Aged(dir[$"outside/{Guid32()}.partial"], TimeSpan.FromDays(90)),
        ];
        Directory.Delete(store.Layout.Temp);
        foreach (string folder in new[] { store.Layout.Stat, store.Layout.Pushed, store.Layout.Locks, store.Layout.Temp })
        {
            Directory.CreateSymbolicLink(folder, dir["outside"]);
        }
        Directory.CreateDirectory(store.Layout.Layers);
        File.CreateSymbolicLink(Path.Combine(store.Layout.Layers, "link.json"), outside[0]);
        File.CreateSymbolicLink(store.Layout.SweepStamp, outside[1]);
        DateTime untouched = File.GetLastWriteTimeUtc(outside[1]);
        store.Prune(0, TimeSpan.Zero);
        Assert.All(outside, path => Assert.True(File.Exists(path), path));
        Assert.Equal(untouched, File.GetLastWriteTimeUtc(outside[1]));
        Assert.True(File.Exists(Path.Combine(store.Layout.Layers, "link.json")));
    }

    [Fact]
    public void Each_layer_entry_is_read_once_and_a_large_cache_is_pruned_quickly()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["cache"]);
        var blobs = Enumerable.Range(0, 200).Select(i => store.Put(BitConverter.GetBytes(i))).ToList();
        for (int i = 0; i < blobs.Count; i++)
        {
            File.SetLastWriteTimeUtc(store.PathOf(blobs[i]), DateTime.UtcNow.AddHours(-2 - i));
            Aged(store.Layout.LayerEntryPath($"{i:x64}"), TimeSpan.FromHours(2), $"{{\"digest\":\"{blobs[i]}\"}}");
        }
        for (int i = 0; i < 1000; i++)
        {
            Aged(Path.Combine(store.Layout.Stat, $"{i:x40}"), TimeSpan.FromDays(i % 10 + 0.5));
        }
        var timer = System.Diagnostics.Stopwatch.StartNew();
        var (deleted, _) = store.Prune(blobs.Count * 4 - 40, OneHour);
        timer.Stop();
        Assert.Equal(10, deleted); // the ten least recently used: the last ten put
        Assert.Equal(190, Directory.EnumerateFiles(store.Layout.Layers).Count());
        Assert.All(blobs.TakeLast(10), b => Assert.False(File.Exists(store.Layout.LayerEntryPath($"{blobs.IndexOf(b):x64}"))));
        Assert.Equal(700, Directory.EnumerateFiles(store.Layout.Stat).Count()); // 7.5, 8.5 and 9.5 days old go
        Assert.True(timer.Elapsed < TimeSpan.FromSeconds(2), $"pruning took {timer.Elapsed}");
    }
}
