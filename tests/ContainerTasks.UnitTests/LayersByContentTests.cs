using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Pipeline;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>The pieces of finding a layer by its content: its diff_id without compressing, another blob's diff_id, the cache images named.</summary>
public class LayersByContentTests
{
    [Fact]
    public async Task The_diff_id_computed_without_compressing_is_the_one_the_written_layer_has()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["in"]);
        File.WriteAllBytes(dir["in/app.dll"], Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7)).ToArray());
        File.WriteAllText(dir["in/app.json"], "{}");
        var store = new ContentStore(dir["cache"]);
        var cache = new LayerCache(store);
        var entries = DirectoryEntries.FromDirectory(dir["in"], "/app");
        LayerLookup lookup = await cache.LookupAsync(entries, new LayerOptions());
        var (diffId, size) = await LayerCache.ComputeDiffIdAsync(lookup, new LayerOptions());
        Assert.False(Directory.Exists(store.Layout.Blobs) && Directory.EnumerateFiles(store.Layout.Blobs, "*", SearchOption.AllDirectories).Any()); // nothing written to hash it

        BuiltLayer written = await cache.WriteAsync(lookup, new LayerOptions(), null);
        Assert.Equal(written.DiffId, diffId);
        Assert.Equal(written.UncompressedSize, size);
        Assert.NotEqual(written.Descriptor.Digest, diffId); // compressed: the blob is another digest

        await using Stream blob = store.OpenRead(written.Descriptor.Digest);
        Assert.Equal(diffId, await LayerContent.DiffIdOfAsync(blob, gzip: true, size, CancellationToken.None));
    }

    [Fact]
    public async Task A_blob_that_inflates_past_the_expected_size_or_is_not_gzip_has_no_diff_id()
    {
        byte[] zeros = new byte[1_000_000];
        using var compressed = new MemoryStream();
        await using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(zeros);
        }
        Assert.Equal(Digest.Sha256(zeros), await LayerContent.DiffIdOfAsync(new MemoryStream(compressed.ToArray()), gzip: true, zeros.Length, CancellationToken.None));
        // A bomb stops at the bound instead of inflating on.
        Assert.Null(await LayerContent.DiffIdOfAsync(new MemoryStream(compressed.ToArray()), gzip: true, zeros.Length - 1, CancellationToken.None));
        Assert.Null(await LayerContent.DiffIdOfAsync(new MemoryStream("not gzip at all"u8.ToArray()), gzip: true, 1000, CancellationToken.None));
        Assert.Equal(Digest.Sha256("tar"u8), await LayerContent.DiffIdOfAsync(new MemoryStream("tar"u8.ToArray()), gzip: false, 3, CancellationToken.None));
    }

    [Fact]
    public async Task Bytes_after_the_compressed_data_are_read_so_a_blob_that_is_not_its_digest_is_caught()
    {
        byte[] data = new byte[100_000];
        using var compressed = new MemoryStream();
        await using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(data);
        }
        // What the registry serves: the right gzip data, then bytes the descriptor's digest does not cover.
        byte[] served = [.. compressed.ToArray(), .. new byte[50_000]];
        byte[] claimed = [.. compressed.ToArray(), .. Enumerable.Repeat((byte)1, 50_000)];
        var descriptor = new Descriptor(MediaTypes.OciLayerGzip, Digest.Sha256(claimed), claimed.Length);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() =>
            LayerContent.DiffIdOfAsync(new Outputs.VerifyingReadStream(new MemoryStream(served), descriptor), gzip: true, data.Length, CancellationToken.None));
        Assert.Equal("CT1007", error.Code);
    }

    [Fact]
    public void Cache_images_come_from_the_items_then_the_environment_each_once_and_a_bad_one_is_CT4124()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["publish"]);
        File.WriteAllText(dir["publish/app.dll"], "app");
        ContainerBuildRequest request = Request(dir, ["registry.example.com/app:main", " "], "registry.example.com/app:main; other.example.com:5000/team/app:dev ;");
        using (BuildRun run = BuildRun.Start(request, new NullLog()))
        {
            Assert.Equal(["registry.example.com/app:main", "other.example.com:5000/team/app:dev"], run.CacheFrom.Select(r => r.ToString()));
        }
        var error = Assert.Throws<ContainerTasksException>(() => BuildRun.Start(Request(dir, ["Not A Reference!"], null), new NullLog()));
        Assert.Equal("CT4124", error.Code);
        Assert.Contains("Not A Reference!", error.Message);
        var withToken = Assert.Throws<ContainerTasksException>(() => BuildRun.Start(Request(dir, ["https://me:s3cret@registry.example.com/app:main"], null), new NullLog()));
        Assert.Equal("CT4124", withToken.Code);
        Assert.DoesNotContain("s3cret", withToken.Message);
    }

    private static ContainerBuildRequest Request(TempDirectory dir, string[] cacheFrom, string? environment) => new()
    {
        BaseImage = "scratch",
        Platforms = [new PlatformInput("linux-x64", null, dir["publish"], null, [], [])],
        Repository = "app",
        Tags = ["latest"],
        FallbackArchiveDirectory = dir["out"],
        CacheDirectory = dir["cache"],
        CacheFrom = cacheFrom,
        EnvironmentSnapshot = environment is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["CONTAINERTASKS_CACHE_FROM"] = environment },
    };

    private sealed class NullLog : IContainerBuildLog
    {
        public void Progress(string message) { }
        public void Detail(string message) { }
        public void Warning(string code, string message) { }
    }
}
