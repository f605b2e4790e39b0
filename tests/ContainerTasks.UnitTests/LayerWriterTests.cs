using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ContainerTasks.Layers;
using ContainerTasks.Tests.Infrastructure;
using static ContainerTasks.Tests.Infrastructure.LayerSamples;

namespace ContainerTasks.Tests;

public class LayerWriterTests
{
    // The publish-like folder every reproducibility test writes: content is generated, so these
    // digests are the same on any machine. Regenerate them only when the tar format changes on purpose.
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
