using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ContainerTasks.Layers;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

public class LayerWriterTests
{
    // The publish-like folder every reproducibility test writes: content is generated, so these
    // digests are the same on any machine. Regenerate them only when the tar format changes on purpose.
    private const string ExpectedDiffId = "sha256:0b264995174c30252f4f3511b56cb90698906fe554ee48bdfd94e3391b7dd3c1";
    // Tied to the compressor: .NET 10's zlib-ng at the default level (Optimal, zlib level 6).
    private const string ExpectedGzipDigestNet10 = "sha256:dfb809cdef0c21d7392a5c21e58ed41565935aec0226ff274b13198f11a1f53d";

    private static readonly string LongDirectory = "very-long-directory-name-" + new string('d', 60);
    private static readonly string LongPath = $"app/{LongDirectory}/and-an-even-longer-file-name-{new string('f', 40)}.dll"; // > 100 bytes, splittable
    private static readonly string VeryLongName = "x" + new string('y', 120) + ".txt"; // one segment > 100 bytes: needs PAX
    private const string DecomposedName = "cafe\u0301.txt"; // NFD on disk; must be NFC in the layer

    /// <summary>Creates the input folder; <paramref name="scramble"/> gives the same content with other owners, times and x bits.</summary>
    private static void CreateInput(string root, bool scramble)
    {
        var files = new (string Path, byte[] Content)[]
        {
            ("App", [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, .. Enumerable.Range(0, 500).Select(i => (byte)i)]),
            ("App.dll", Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7 % 251)).ToArray()),
            ("run.sh", "#!/bin/sh\necho run\n"u8.ToArray()),
            ("appsettings.json", "{\"Logging\":{}}"u8.ToArray()),
            ("wwwroot/css/site.css", "body{}"u8.ToArray()),
            (LongPath[4..], "long"u8.ToArray()),
            ("deep/" + VeryLongName, "pax"u8.ToArray()),
            (DecomposedName, "nfc"u8.ToArray()),
            ("apphost-without-x", "#not-a-script, marked executable by the caller"u8.ToArray()),
        };
        if (scramble)
        {
            Array.Reverse(files); // another creation order
        }
        foreach (var (path, content) in files)
        {
            string full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, content);
        }
        Directory.CreateDirectory(Path.Combine(root, "logs"));
        File.CreateSymbolicLink(Path.Combine(root, "linked.json"), "appsettings.json");
        foreach (string entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Append(root))
        {
            if (new FileInfo(entry).LinkTarget is not null)
            {
                continue;
            }
            if (scramble)
            {
                File.SetUnixFileMode(entry, Directory.Exists(entry)
                    ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
                File.SetLastWriteTimeUtc(entry, new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc).AddMinutes(entry.Length));
                Run.Checked("chown", "-h", "1234:1234", entry);
            }
            else
            {
                File.SetLastWriteTimeUtc(entry, DateTime.UtcNow);
            }
        }
    }

    private static List<LayerEntry> Entries(string root)
        => DirectoryEntries.FromDirectory(root, "/app", relative => relative == "apphost-without-x" ? LayerWriter.ExecutableMode : null);

    private static (BuiltLayer Layer, byte[] Bytes) WriteInProcess(IEnumerable<LayerEntry> entries, LayerOptions? options = null)
    {
        using var output = new MemoryStream();
        BuiltLayer layer = new LayerWriter(options).Write(entries, output);
        return (layer, output.ToArray());
    }

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
    public void The_default_compression_is_zlib_level_6_in_one_gzip_member_with_our_own_header()
    {
        using var dir = new TempDirectory();
        CreateInput(dir.Path, scramble: false);
        var (tarLayer, tar) = WriteInProcess(Entries(dir.Path), new LayerOptions { Compression = LayerCompression.None });
        var (layer, blob) = WriteInProcess(Entries(dir.Path));
        Assert.Equal(tarLayer.DiffId, layer.DiffId);

        // Our header, then exactly zlib-ng's level-6 raw deflate of the tar (the level the SDK's container support uses), then a trailer GZipStream accepts (CRC, size).
        Assert.Equal(new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff }, blob[..10]);
        using var expected = new MemoryStream();
        using (var deflate = new System.IO.Compression.DeflateStream(expected, new System.IO.Compression.ZLibCompressionOptions { CompressionLevel = 6 }, leaveOpen: true))
        {
            deflate.Write(tar);
        }
        Assert.Equal(expected.ToArray(), blob[10..^8]);
        using var inflated = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(new MemoryStream(blob), System.IO.Compression.CompressionMode.Decompress))
        {
            gzip.CopyTo(inflated);
        }
        Assert.Equal(tar, inflated.ToArray());
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
    public void Files_over_8_GiB_get_a_pax_size_record_that_a_standard_reader_understands()
    {
        long size = (8L << 30) + 3;
        var capture = new PrefixCapture(4096);
        var writer = new TarStreamWriter(capture, 0, copyBufferSize: 1 << 20);
        writer.WriteFile("big.bin", 0x1A4, 0, 0, size, new ZeroStream(size), CancellationToken.None);
        // Non-seekable, so the reader does not try to skip the 8 GiB of data we did not keep.
        using var reader = new TarReader(new NonSeekableStream(capture.Prefix));
        TarEntry entry = reader.GetNextEntry(copyData: false)!;
        Assert.Equal("big.bin", entry.Name);
        Assert.Equal(size, entry.Length);
        Assert.Equal(TarEntryFormat.Pax, entry.Format);
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

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("app/../../x")]
    [InlineData("/")]
    [InlineData("")]
    public void Paths_that_escape_or_name_the_root_are_CT2001(string path)
    {
        var error = Assert.Throws<ContainerTasksException>(() => LayerEntry.Directory(path));
        Assert.Equal("CT2001", error.Code);
    }

    [Fact]
    public void Duplicate_paths_and_files_used_as_directories_are_CT2002()
    {
        Assert.Equal("CT2002", Assert.Throws<ContainerTasksException>(() => LayerWriter.Plan([LayerEntry.File("/x", "/app/a"), LayerEntry.File("/y", "app/a")])).Code);
        Assert.Equal("CT2002", Assert.Throws<ContainerTasksException>(() => LayerWriter.Plan([LayerEntry.File("/x", "/app/a"), LayerEntry.File("/y", "/app/a/b")])).Code);
    }

    [Fact]
    public void Relative_links_above_the_root_are_CT2004_and_links_inside_are_written_as_asked()
    {
        Assert.Equal("CT2004", Assert.Throws<ContainerTasksException>(() => LayerWriter.Plan([LayerEntry.Symlink("/usr/bin/x", "../../../etc/x")])).Code);
        var (_, bytes) = WriteInProcess([LayerEntry.Symlink("/usr/bin/dotnet", "../share/dotnet/dotnet")], new LayerOptions { Compression = LayerCompression.None });
        using var reader = new TarReader(new MemoryStream(bytes));
        var entries = new List<TarEntry>();
        while (reader.GetNextEntry() is { } e)
        {
            entries.Add(e);
        }
        Assert.Equal(["usr/", "usr/bin/", "usr/bin/dotnet"], entries.Select(e => e.Name));
        Assert.Equal("../share/dotnet/dotnet", entries[2].LinkName);
    }

    [Fact]
    public void An_uncompressed_layer_has_its_diff_id_as_digest()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["f"], "x");
        var (layer, bytes) = WriteInProcess([LayerEntry.File(dir["f"], "/f")], new LayerOptions { Compression = LayerCompression.None });
        Assert.Equal(layer.DiffId, layer.Descriptor.Digest);
        Assert.Equal(ContainerTasks.Model.MediaTypes.OciLayer, layer.Descriptor.MediaType);
        Assert.Equal(bytes.Length, layer.UncompressedSize);
        Assert.Equal(0, bytes.Length % 512);
    }

    [Fact]
    public void A_dangling_link_in_a_folder_is_CT2004()
    {
        using var dir = new TempDirectory();
        File.CreateSymbolicLink(dir["gone"], dir["nowhere"]);
        Assert.Equal("CT2004", Assert.Throws<ContainerTasksException>(() => DirectoryEntries.FromDirectory(dir.Path, "/app")).Code);
    }

    [Fact]
    public void A_link_loop_in_a_folder_is_CT2004()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["sub"]);
        Directory.CreateSymbolicLink(dir["sub/up"], dir.Path);
        Assert.Equal("CT2004", Assert.Throws<ContainerTasksException>(() => DirectoryEntries.FromDirectory(dir.Path, "/app")).Code);
    }

    private static byte[] Decompress(byte[] gzip)
    {
        using var stream = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        stream.CopyTo(output);
        return output.ToArray();
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    /// <summary>A stream of <c>size</c> zero bytes, without holding them.</summary>
    private sealed class ZeroStream(long size) : Stream
    {
        private long _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, size - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => size;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }

    /// <summary>Keeps the first bytes written and discards the rest.</summary>
    private sealed class PrefixCapture(int keep) : Stream
    {
        private readonly MemoryStream _prefix = new();

        public byte[] Prefix => _prefix.ToArray();

        public override void Write(byte[] buffer, int offset, int count)
        {
            int take = (int)Math.Min(count, keep - _prefix.Length);
            if (take > 0)
            {
                _prefix.Write(buffer, offset, take);
            }
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
