using System.Buffers.Binary;
using System.IO.Compression;

namespace ContainerTasks.Layers;

/// <summary>
/// Gzip (RFC 1952) around a raw deflate stream, with a header this class writes itself: mtime 0,
/// no name, XFL 0 and OS 255 ("unknown") on every platform. zlib's own header carries the build
/// platform's OS code, which would make the same layer's digest differ between Linux and Windows.
/// </summary>
internal sealed class GzipWriteStream : Stream
{
    private static readonly byte[] Header = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly DeflateStream _deflate;
    private readonly Crc32 _crc = new();
    private long _length;
    private bool _finished;

    public GzipWriteStream(Stream inner, CompressionLevel level, bool leaveOpen)
    {
        _inner = inner;
        _leaveOpen = leaveOpen;
        _inner.Write(Header);
        _deflate = new DeflateStream(inner, level, leaveOpen: true);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _crc.Append(buffer);
        _length += buffer.Length;
        _deflate.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Ends the deflate stream and writes the trailer (CRC-32, length mod 2^32).</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }
        _finished = true;
        _deflate.Dispose();
        Span<byte> trailer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, _crc.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], unchecked((uint)_length));
        _inner.Write(trailer);
    }

    public override void Flush()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _deflate.Dispose();
            if (!_leaveOpen)
            {
                _inner.Dispose();
            }
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
