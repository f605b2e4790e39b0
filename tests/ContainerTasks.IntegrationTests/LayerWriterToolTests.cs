using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ContainerTasks.Layers;
using ContainerTasks.Tests.Infrastructure;
using static ContainerTasks.Tests.Infrastructure.LayerSamples;

namespace ContainerTasks.Tests;

/// <summary>Layers checked by independent readers (python's tarfile, gzip) and written by a second process with other owners (root needed for chown).</summary>
public class LayerWriterToolTests
{
    [Fact]
    public void Two_processes_with_different_owners_times_modes_and_order_write_identical_layers()
    {
        using var dir = new TempDirectory();
        CreateInput(dir["a"], scramble: false);
        CreateInput(dir["b"], scramble: true);
        var results = new List<JsonElement>();
        foreach (string input in new[] { "a", "b" })
        {
            var run = Run.CtImage(["layer", "--out", dir[$"{input}.tgz"], "--layer", $"{dir[input]}:/app", "--executable", "/app/apphost-without-x"])
                .EnsureSuccess("ctimage layer");
            results.Add(JsonDocument.Parse(run.StandardOutput).RootElement.Clone());
        }
        Assert.Equal(File.ReadAllBytes(dir["a.tgz"]), File.ReadAllBytes(dir["b.tgz"]));
        Assert.Equal(results[0].GetProperty("digest").GetString(), results[1].GetProperty("digest").GetString());

        // The same entries in any order, in this process, give the same bytes too.
        var shuffled = Entries(dir["b"]).OrderBy(_ => Random.Shared.Next()).ToList();
        var (layer, bytes) = WriteInProcess(shuffled);
        Assert.Equal(File.ReadAllBytes(dir["a.tgz"]), bytes);
        Assert.Equal(results[0].GetProperty("diffId").GetString(), layer.DiffId.ToString());
    }

    [Fact]
    public void The_diff_id_of_the_reference_folder_is_stable_across_machines_and_versions()
    {
        using var dir = new TempDirectory();
        CreateInput(dir.Path, scramble: true);
        var (layer, bytes) = WriteInProcess(Entries(dir.Path));
        Assert.True(ExpectedDiffId == layer.DiffId.ToString(), $"diff_id is {layer.DiffId}, expected {ExpectedDiffId}");
        Assert.Equal(layer.Descriptor.Size, bytes.Length);
        Assert.Equal(ContainerTasks.Model.Digest.Sha256(bytes), layer.Descriptor.Digest);
        if (Environment.Version.Major == 10)
        {
            Assert.True(ExpectedGzipDigestNet10 == layer.Descriptor.Digest.ToString(), $"digest is {layer.Descriptor.Digest}, expected {ExpectedGzipDigestNet10}");
        }
    }

    [Fact]
    public void An_independent_tar_reader_sees_sorted_names_root_owners_no_names_and_modes_by_role()
    {
        using var dir = new TempDirectory();
        CreateInput(dir["in"], scramble: true);
        var (layer, bytes) = WriteInProcess(Entries(dir["in"]), new LayerOptions { ModificationTime = DateTimeOffset.FromUnixTimeSeconds(1_600_000_000) });
        File.WriteAllBytes(dir["layer.tgz"], bytes);
        var result = Run.Python("inspect_tar.py", dir["layer.tgz"]).EnsureSuccess("inspect_tar.py");
        var report = JsonDocument.Parse(result.StandardOutput).RootElement;

        Assert.Equal("1f8b08000000000000ff", report.GetProperty("gzip_header").GetString());
        var members = report.GetProperty("members").EnumerateArray().ToList();
        var names = members.Select(m => m.GetProperty("name").GetString()!).ToList();
        Assert.Equal(names.OrderBy(n => Encoding.UTF8.GetBytes(n), ByteOrder.Instance).ToList(), names);
        Assert.Equal(names.Count, names.Distinct().Count());
        foreach (var member in members)
        {
            Assert.Equal(0, member.GetProperty("uid").GetInt32());
            Assert.Equal(0, member.GetProperty("gid").GetInt32());
            Assert.Equal("", member.GetProperty("uname").GetString());
            Assert.Equal("", member.GetProperty("gname").GetString());
            Assert.Equal(1_600_000_000, member.GetProperty("mtime").GetInt64());
            Assert.NotEqual("symlink", member.GetProperty("type").GetString());
            Assert.NotEqual("hardlink", member.GetProperty("type").GetString());
        }
        int ModeOf(string name) => members.Single(m => m.GetProperty("name").GetString() == name).GetProperty("mode").GetInt32();
        Assert.Equal(0x1ED, ModeOf("app"));
        Assert.Equal(0x1ED, ModeOf("app/logs")); // empty directory kept
        Assert.Equal(0x1ED, ModeOf("app/App")); // ELF
        Assert.Equal(0x1ED, ModeOf("app/run.sh")); // script
        Assert.Equal(0x1ED, ModeOf("app/apphost-without-x")); // explicit role
        Assert.Equal(0x1A4, ModeOf("app/App.dll")); // host had x bits; ignored
        Assert.Equal(0x1A4, ModeOf("app/wwwroot/css/site.css"));
        Assert.Equal(0x1A4, ModeOf("app/linked.json")); // link followed: a file
        Assert.Equal(0x1A4, ModeOf(LongPath));
        Assert.Equal(0x1A4, ModeOf("app/deep/" + VeryLongName));
        Assert.Equal(0x1A4, ModeOf("app/caf\u00e9.txt")); // NFC
        Assert.DoesNotContain("app/" + DecomposedName, names);
        Assert.True(LongPath.Length > 100);
        Assert.Contains("path", members.Single(m => m.GetProperty("name").GetString() == "app/deep/" + VeryLongName).GetProperty("pax").EnumerateArray().Select(p => p.GetString()));
        byte[] tar = Decompress(bytes);
        Assert.Equal(layer.UncompressedSize, tar.Length);
        Assert.Equal(layer.DiffId, ContainerTasks.Model.Digest.Sha256(tar));
    }

    [Fact]
    public void Parallel_pieces_decompress_to_the_input_and_do_not_depend_on_the_thread_count()
    {
        // 5.5 MiB of mixed content: three pieces, the last one partial.
        var random = new Random(42);
        byte[] input = new byte[(5 * 1024 * 1024) + (512 * 1024)];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = i % 3 == 0 ? (byte)random.Next(256) : (byte)(i / 1000);
        }
        byte[] Compress(int parallelism)
        {
            using var output = new MemoryStream();
            using (var gzip = new GzipWriteStream(output, CompressionLevel.Optimal, leaveOpen: true, pieces: true, parallelism: parallelism))
            {
                gzip.Write(input);
                gzip.Finish();
            }
            return output.ToArray();
        }
        byte[] one = Compress(1);
        Assert.Equal(one, Compress(4));
        Assert.Equal(input, Decompress(one));
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir["pieces.gz"], one);
        Run.Checked("gzip", "-t", dir["pieces.gz"]);

        // Exactly a multiple of the piece size: the final piece is empty and still ends the stream.
        byte[] exact = input[..(2 * GzipWriteStream.ChunkSize)];
        using var exactOut = new MemoryStream();
        using (var gzip = new GzipWriteStream(exactOut, CompressionLevel.Fastest, leaveOpen: true, pieces: true))
        {
            gzip.Write(exact);
            gzip.Finish();
        }
        Assert.Equal(exact, Decompress(exactOut.ToArray()));
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    /// <summary>A stream of <c>size</c> zero bytes, without holding them.</summary>
}
