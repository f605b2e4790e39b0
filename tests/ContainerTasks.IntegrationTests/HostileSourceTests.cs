using ContainerTasks.Building;
using ContainerTasks.Content;
using ContainerTasks.Model;
using ContainerTasks.Outputs;
using ContainerTasks.Sources;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>Hostile OCI layouts and archives, as a base or as an output folder: nothing outside them is read or written.</summary>
[Collection(ImageCollection.Name)]
public sealed class HostileSourceTests(BaseImages bases)
{
    private static readonly ImageReference Name = ImageReference.Parse("localhost:5000/test/app:1.0");

    private async Task<(SourceImage Base, string Layout)> BusyboxLayoutAsync(TempDirectory dir)
    {
        Run.Checked("skopeo", "copy", bases.Get("busybox"), $"oci:{dir["base"]}:b");
        return (await OciLayoutSource.Open(dir["base"], "b").GetImageAsync(null), dir["base"]);
    }

    private static string BlobPath(string layout, Descriptor blob) => Path.Combine(layout, "blobs", blob.Digest.Algorithm, blob.Digest.Hex);

    [Fact]
    public async Task A_layout_blob_linked_to_a_file_outside_the_layout_is_refused_before_a_byte_is_read()
    {
        using var dir = new TempDirectory();
        var (baseImage, layout) = await BusyboxLayoutAsync(dir);
        Descriptor layer = baseImage.Manifest.Layers[0];
        string outside = dir["secret.bin"];
        File.Move(BlobPath(layout, layer), outside); // the same bytes, but outside the layout
        File.CreateSymbolicLink(BlobPath(layout, layer), outside);
        var source = OciLayoutSource.Open(layout, "b");
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => source.OpenBlobAsync(layer));
        Assert.Equal("CT5002", error.Code);

        File.Delete(BlobPath(layout, layer));
        File.CreateSymbolicLink(BlobPath(layout, layer), "/dev/zero");
        // Bounded: reading /dev/zero as a blob would never end.
        var task = source.OpenBlobAsync(layer).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("CT5002", (await Assert.ThrowsAsync<ContainerTasksException>(() => task)).Code);
    }

    [Fact]
    public async Task A_layout_output_replaces_a_wrong_blob_of_the_right_size_and_never_writes_through_a_linked_blobs_folder()
    {
        using var dir = new TempDirectory();
        var (baseImage, _) = await BusyboxLayoutAsync(dir);
        var store = new ContentStore(dir["store"]);
        BuiltImage image = await TestImage.BuildAsync(baseImage, store, TestImage.CreateAppFolder(dir.Path));
        string output = dir["out"];
        await ImageOutput.WriteAsync($"oci:{output}", image, [Name]);
        Descriptor layer = image.Manifest.Layers[^1];
        byte[] wrong = new byte[layer.Size];
        File.WriteAllBytes(BlobPath(output, layer), wrong);
        await ImageOutput.WriteAsync($"oci:{output}", image, [Name]);
        Assert.True(layer.Digest.IsDigestOf(File.ReadAllBytes(BlobPath(output, layer))), "the wrong blob of the right size was kept");
        Assert.Equal(TestImage.ExpectedOutput, TestImage.RunImage($"oci:{output}:1.0"));

        // blobs/ linked elsewhere: refused, nothing written there.
        Directory.CreateDirectory(dir["elsewhere"]);
        Directory.CreateDirectory(dir["out2"]);
        File.WriteAllText(dir["out2/oci-layout"], """{"imageLayoutVersion":"1.0.0"}""");
        Directory.CreateSymbolicLink(dir["out2/blobs"], dir["elsewhere"]);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => ImageOutput.WriteAsync($"oci:{dir["out2"]}", image, [Name]));
        Assert.Equal("CT5004", error.Code);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir["elsewhere"]));
    }

    [Fact]
    public async Task An_archive_that_lacks_a_blob_is_refused_even_when_the_cache_holds_it()
    {
        using var dir = new TempDirectory();
        Run.Checked("skopeo", "copy", bases.Get("busybox"), $"oci-archive:{dir["full.tar"]}:b");
        var store = new ContentStore(dir["store"]);
        SourceImage full = await (await OciArchiveSource.OpenAsync(dir["full.tar"], "b", store)).GetImageAsync(null);
        Descriptor layer = full.Manifest.Layers[0];
        // The same archive without that layer: the warm cache still has it from the first archive.
        Run.Process("python3", ["-c", """
            import sys, tarfile
            with tarfile.open(sys.argv[1]) as src, tarfile.open(sys.argv[2], "w") as dst:
                for m in src.getmembers():
                    if not m.name.endswith(sys.argv[3]):
                        dst.addfile(m, src.extractfile(m) if m.isreg() else None)
            """, dir["full.tar"], dir["partial.tar"], layer.Digest.Hex]).EnsureSuccess("rewrite archive");
        SourceImage partial = await (await OciArchiveSource.OpenAsync(dir["partial.tar"], "b", store)).GetImageAsync(null);
        BuiltImage image = await TestImage.BuildAsync(partial, store, TestImage.CreateAppFolder(dir.Path));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => ImageOutput.WriteAsync($"oci-archive:{dir["out.tar"]}", image, [Name]));
        Assert.Equal("CT5003", error.Code);
        Assert.False(File.Exists(dir["out.tar"]));
    }

    [Fact]
    public async Task An_archive_whose_json_files_add_up_to_too_much_is_refused()
    {
        using var dir = new TempDirectory();
        // Five JSON files of 15 MiB: each under the per-file limit, together over the total.
        Run.Process("python3", ["-c", """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], "w") as tar:
                for i in range(5):
                    data = b"[" + b"0," * (15 * 1024 * 1024 // 2 - 2) + b"0]"
                    info = tarfile.TarInfo(f"extra{i}.json"); info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
            """, dir["big.tar"]]).EnsureSuccess("write archive");
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => OciArchiveSource.OpenAsync(dir["big.tar"], null, new ContentStore(dir["store"])));
        Assert.Equal("CT5002", error.Code);
        Assert.Contains("MiB of JSON metadata", error.Message);
    }

    [Fact]
    public async Task Archive_entries_nothing_references_are_not_kept_in_the_cache()
    {
        using var dir = new TempDirectory();
        Run.Checked("skopeo", "copy", bases.Get("busybox"), $"oci-archive:{dir["full.tar"]}:b");
        byte[] junk = System.Security.Cryptography.RandomNumberGenerator.GetBytes(4096);
        Digest junkDigest = Digest.Sha256(junk);
        File.WriteAllBytes(dir["junk"], junk);
        Run.Process("python3", ["-c", """
            import sys, tarfile
            with tarfile.open(sys.argv[1]) as src, tarfile.open(sys.argv[2], "w") as dst:
                for m in src.getmembers():
                    dst.addfile(m, src.extractfile(m) if m.isreg() else None)
                dst.add(sys.argv[3], arcname="blobs/sha256/" + sys.argv[4])
                dst.add(sys.argv[3], arcname="extra/data.bin")
            """, dir["full.tar"], dir["extra.tar"], dir["junk"], junkDigest.Hex]).EnsureSuccess("rewrite archive");
        var store = new ContentStore(dir["store"]);
        SourceImage image = await (await OciArchiveSource.OpenAsync(dir["extra.tar"], "b", store)).GetImageAsync(null);
        Assert.False(store.Contains(junkDigest), "an unreferenced blob of the archive was kept in the cache");
        Assert.All(image.Manifest.Layers, l => Assert.True(store.Contains(l.Digest)));
        Assert.True(store.Contains(image.Manifest.Config.Digest));
    }

    [Fact]
    public async Task An_archive_that_unpacks_to_far_more_than_its_size_is_refused()
    {
        using var dir = new TempDirectory();
        // 256 MiB of zeros in a few hundred KiB: a gzip bomb as far as the cache's disk is concerned.
        Run.Process("python3", ["-c", """
            import io, sys, tarfile
            class Zeros(io.RawIOBase):
                def __init__(self, n): self.left = n
                def readable(self): return True
                def readinto(self, b):
                    n = min(len(b), self.left); b[:n] = bytes(n); self.left -= n; return n
            with tarfile.open(sys.argv[1], "w:gz", compresslevel=1) as tar:
                info = tarfile.TarInfo("layer.tar"); info.size = 256 * 1024 * 1024
                tar.addfile(info, io.BufferedReader(Zeros(info.size)))
            """, dir["bomb.tar.gz"]]).EnsureSuccess("write archive");
        var store = new ContentStore(dir["store"]);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => DockerArchiveSource.OpenAsync(dir["bomb.tar.gz"], null, store));
        Assert.Equal("CT5002", error.Code);
        Assert.Contains("unpacks to more than", error.Message);
        Assert.DoesNotContain(Directory.EnumerateFiles(dir["store"], "*", SearchOption.AllDirectories), f => f.Contains("blobs", StringComparison.Ordinal) || f.EndsWith(".partial", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_archive_with_a_damaged_index_is_a_coded_error_and_leaves_nothing_in_the_cache()
    {
        using var dir = new TempDirectory();
        Run.Checked("skopeo", "copy", bases.Get("busybox"), $"oci-archive:{dir["full.tar"]}:b");
        Run.Process("python3", ["-c", """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1]) as src, tarfile.open(sys.argv[2], "w") as dst:
                for m in src.getmembers():
                    if m.name == "index.json":
                        data = b'{"manifests": [ {"digest": '
                        m.size = len(data)
                        dst.addfile(m, io.BytesIO(data))
                    else:
                        dst.addfile(m, src.extractfile(m) if m.isreg() else None)
            """, dir["full.tar"], dir["broken.tar"]]).EnsureSuccess("rewrite archive");
        var store = new ContentStore(dir["store"]);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => OciArchiveSource.OpenAsync(dir["broken.tar"], "b", store));
        Assert.NotEqual("CT9999", error.Code);
        Assert.DoesNotContain(Directory.EnumerateFiles(dir["store"], "*", SearchOption.AllDirectories), f => f.Contains("blobs", StringComparison.Ordinal));
    }
}
