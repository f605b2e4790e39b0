using ContainerTasks.Content;
using ContainerTasks.Model;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

public class ContentStoreTests
{
    [Fact]
    public async Task Content_that_does_not_match_its_digest_is_refused_and_nothing_is_left()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        Digest claimed = Digest.Sha256("expected"u8);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => store.PutAsync(new MemoryStream("actual"u8.ToArray()), claimed));
        Assert.Equal("CT1007", error.Code);
        Assert.False(store.Contains(claimed));
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Many_writers_of_one_blob_all_succeed_and_leave_one_complete_file()
    {
        using var dir = new TempDirectory();
        byte[] content = Enumerable.Range(0, 3_000_000).Select(i => (byte)(i % 253)).ToArray();
        Digest digest = Digest.Sha256(content);
        var writers = Enumerable.Range(0, 16).Select(_ => Task.Run(() => new ContentStore(dir.Path).PutAsync(new MemoryStream(content), digest)));
        var results = await Task.WhenAll(writers);
        Assert.All(results, r => Assert.Equal((digest, (long)content.Length), (r.Digest, r.Size)));
        var store = new ContentStore(dir.Path);
        Assert.Equal(content, File.ReadAllBytes(store.PathOf(digest)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.Path, "tmp")));
    }

    [Fact]
    public void An_abandoned_write_leaves_no_blob_and_no_temporary_file()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        using (var pending = store.BeginWrite())
        {
            pending.Stream.Write("partial"u8);
        }
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*", SearchOption.AllDirectories));
        Assert.Equal("CT5003", Assert.Throws<ContainerTasksException>(() => store.OpenRead(Digest.Sha256("partial"u8))).Code);
    }

    [Fact]
    public async Task Sha512_digests_are_verified_and_stored_under_their_algorithm()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        Digest sha512 = Digest.Parse("sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
        await store.PutAsync(new MemoryStream("abc"u8.ToArray()), sha512);
        Assert.True(File.Exists(Path.Combine(dir.Path, "blobs", "sha512", sha512.Hex)));
        await Assert.ThrowsAsync<ContainerTasksException>(() => store.PutAsync(new MemoryStream("abd"u8.ToArray()), Digest.Parse("sha512:" + new string('0', 128))));
    }

    [Fact]
    public void Pruning_deletes_the_least_recently_used_blobs_first_and_spares_recent_ones_and_their_layer_entries_go_too()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir.Path);
        var digests = Enumerable.Range(0, 5).Select(i => store.Put(Enumerable.Repeat((byte)i, 1000).ToArray())).ToList();
        for (int i = 0; i < 4; i++)
        {
            // Blob i was last used 10-i hours ago: the lower the index, the longer ago.
            File.SetLastWriteTimeUtc(store.PathOf(digests[i]), DateTime.UtcNow.AddHours(-(10 - i)));
        }
        // digests[4] was used just now: too recent to delete even though the limit asks for more room.
        Directory.CreateDirectory(Path.Combine(dir.Path, "layers"));
        File.WriteAllText(Path.Combine(dir.Path, "layers", "k0.json"), $"{{\"digest\":\"{digests[0]}\"}}");
        File.WriteAllText(Path.Combine(dir.Path, "layers", "k3.json"), $"{{\"digest\":\"{digests[3]}\"}}");
        _ = store.OpenRead(digests[1]); // reading marks it used now

        var (deleted, freed) = store.Prune(maxBytes: 2500, minimumAge: TimeSpan.FromHours(1));
        Assert.Equal(3, deleted);
        Assert.Equal(3000, freed);
        Assert.False(store.Contains(digests[0]));
        Assert.True(store.Contains(digests[1]));
        Assert.False(store.Contains(digests[2]));
        Assert.False(store.Contains(digests[3]));
        Assert.True(store.Contains(digests[4]));
        Assert.False(File.Exists(Path.Combine(dir.Path, "layers", "k0.json")));
        Assert.False(File.Exists(Path.Combine(dir.Path, "layers", "k3.json")));
        Assert.Equal((0, 0L), store.Prune(maxBytes: 1_000_000, minimumAge: TimeSpan.Zero));
    }

    [Fact]
    public void A_new_cache_is_owner_only_and_an_existing_open_one_of_ours_is_tightened()
    {
        using var dir = new TempDirectory();
        _ = new ContentStore(dir["new/cache"]);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir["new/cache"]));
        Directory.CreateDirectory(dir["old/layers"]);
        File.WriteAllText(dir["old/layers/planted.json"], "{}"); // an entry someone else could have written while it was open
        File.SetUnixFileMode(dir["old"], (UnixFileMode)0x1FF); // 0777, as older versions or a umask could leave it
        _ = new ContentStore(dir["old"]);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir["old"]));
        Assert.False(File.Exists(dir["old/layers/planted.json"]), "an index entry from while the cache was open was kept");
    }

    [Fact]
    public void Pruning_follows_no_link_and_deletes_only_names_the_store_writes()
    {
        using var dir = new TempDirectory();
        var store = new ContentStore(dir["cache"]);
        Digest own = store.Put(new byte[4000]);
        File.SetLastWriteTimeUtc(store.PathOf(own), DateTime.UtcNow.AddDays(-3));
        // Outside the cache: old files that a linked folder or file would expose to pruning.
        Directory.CreateDirectory(dir["outside"]);
        string hex = new('a', 64);
        File.WriteAllBytes(dir[$"outside/{hex}"], new byte[4000]);
        File.WriteAllBytes(dir["outside/precious"], new byte[4000]);
        File.SetLastWriteTimeUtc(dir[$"outside/{hex}"], DateTime.UtcNow.AddDays(-5));
        Directory.CreateSymbolicLink(dir["cache/blobs/sha512"], dir["outside"]);
        File.CreateSymbolicLink(Path.Combine(dir["cache/blobs/sha256"], new string('b', 64)), dir["outside/precious"]);
        File.WriteAllBytes(Path.Combine(dir["cache/blobs/sha256"], "notes.txt"), new byte[4000]);
        File.SetLastWriteTimeUtc(Path.Combine(dir["cache/blobs/sha256"], "notes.txt"), DateTime.UtcNow.AddDays(-5));

        var (deleted, _) = store.Prune(maxBytes: 0, minimumAge: TimeSpan.Zero);
        Assert.Equal(1, deleted);
        Assert.False(store.Contains(own));
        Assert.True(File.Exists(dir[$"outside/{hex}"]));
        Assert.True(File.Exists(dir["outside/precious"]));
        Assert.True(File.Exists(Path.Combine(dir["cache/blobs/sha256"], new string('b', 64))));
        Assert.True(File.Exists(Path.Combine(dir["cache/blobs/sha256"], "notes.txt")));
    }
}
