using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Compression;

namespace ContainerTasks.Layers;

/// <summary>
/// Gzip (RFC 1952) with a header this class writes itself: mtime 0, no name, XFL 0 and OS 255 ("unknown") on
/// every platform (zlib's own header carries the OS code, which would make Linux and Windows builds differ).
/// <para>Two ways to deflate, chosen by the caller from the content (so the choice is the same everywhere):
/// one stream, or — for large layers — pigz-style pieces: the input is cut into fixed 2 MiB chunks, each
/// deflated on its own thread and ended with a sync flush (byte-aligned, not final), written in order.
/// The pieces' output depends only on the input, the level and the chunk size, never on the number of cores,
/// so digests are the same on a laptop and a 64-core agent; restarting the deflate window every 2 MiB costs
/// about 0.4 % of size. Memory stays bounded: at most a few chunks are in flight.</para>
/// </summary>
internal sealed class GzipWriteStream : Stream
{
    /// <summary>The chunk size of the pieces: part of the output format (changing it changes blob digests).</summary>
    public const int ChunkSize = 2 * 1024 * 1024;

    private static readonly byte[] Header = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly CompressionLevel _level;
    private readonly int _parallelism;
    private readonly Crc32 _crc = new();
    private readonly Queue<Task<(byte[] Buffer, int Length)>> _pending = new();
    private readonly DeflateStream? _single;
    // The stream's own buffers, reused: pieces are compressed on short-lived threads, whose thread-local
    // caches in the shared array pool would lose every buffer they are handed back.
    private readonly ConcurrentBag<byte[]> _inputs = new();
    private readonly ConcurrentBag<byte[]> _outputs = new();
    private byte[] _chunk;
    private int _filled;
    private long _length;
    private bool _finished;

    /// <param name="inner">Where the gzip stream goes.</param>
    /// <param name="level">The deflate level.</param>
    /// <param name="leaveOpen">Keep <paramref name="inner"/> open.</param>
    /// <param name="pieces">Deflate in parallel pieces (for large content) instead of one stream.</param>
    /// <param name="parallelism">Pieces in flight; the core count by default. Does not change the output.</param>
    public GzipWriteStream(Stream inner, CompressionLevel level, bool leaveOpen, bool pieces = false, int? parallelism = null)
    {
        _inner = inner;
        _leaveOpen = leaveOpen;
        _level = level;
        // Capped: memory grows with pieces in flight, and 8 already saturate a fast upload.
        _parallelism = Math.Clamp(parallelism ?? Environment.ProcessorCount, 1, 8);
        _inner.Write(Header);
        _chunk = pieces ? new byte[ChunkSize] : [];
        _single = pieces ? null : CreateDeflate(inner, level);
    }

    private static DeflateStream CreateDeflate(Stream output, CompressionLevel level) => new(output, level, leaveOpen: true);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _crc.Append(buffer);
        _length += buffer.Length;
        if (_single is not null)
        {
            _single.Write(buffer);
            return;
        }
        while (buffer.Length > 0)
        {
            int take = Math.Min(buffer.Length, ChunkSize - _filled);
            buffer[..take].CopyTo(_chunk.AsSpan(_filled));
            _filled += take;
            buffer = buffer[take..];
            if (_filled == ChunkSize)
            {
                Submit(final: false);
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Compresses what is left as the final piece, writes every piece in order, then the trailer (CRC-32, length mod 2^32).</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }
        _finished = true;
        if (_single is not null)
        {
            _single.Dispose();
        }
        else
        {
            Submit(final: true);
            while (_pending.Count > 0)
            {
                WriteOldest();
            }
        }
        Span<byte> trailer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, _crc.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], unchecked((uint)_length));
        _inner.Write(trailer);
    }

    private void Submit(bool final)
    {
        byte[] data = _chunk;
        int length = _filled;
        CompressionLevel level = _level;
        // Dedicated threads: the writer blocks on the oldest piece, so pool threads could starve each other.
        _pending.Enqueue(Task.Factory.StartNew(() => Deflate(data, length, level, final), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        _chunk = final ? [] : _inputs.TryTake(out byte[]? reused) ? reused : new byte[ChunkSize];
        _filled = 0;
        while (_pending.Count > _parallelism)
        {
            WriteOldest();
        }
    }

    private void WriteOldest()
    {
        var (buffer, length) = _pending.Dequeue().GetAwaiter().GetResult();
        _inner.Write(buffer, 0, length);
        _outputs.Add(buffer);
    }

    // Buffers are reused, so a 1 GiB layer allocates a few chunks' worth of arrays, not 1 GiB.
    private (byte[] Buffer, int Length) Deflate(byte[] data, int length, CompressionLevel level, bool final)
    {
        try
        {
            // Deflate never grows data by more than a few bytes per 16 KiB block; this leaves ample room.
            byte[] buffer = _outputs.TryTake(out byte[]? reused) ? reused : new byte[ChunkSize + (ChunkSize / 8) + 4096];
            if (length == 0 && final)
            {
                // An empty last piece: just the final empty fixed-Huffman block (what zlib writes; .NET writes nothing here).
                buffer[0] = 0x03;
                buffer[1] = 0x00;
                return (buffer, 2);
            }
            using var output = new MemoryStream(buffer, 0, buffer.Length, writable: true);
            var deflate = CreateDeflate(output, level);
            deflate.Write(data, 0, length);
            if (final)
            {
                deflate.Dispose();
                return (buffer, (int)output.Position);
            }
            // A sync flush ends the piece on a byte boundary without a final block; the bytes that disposing
            // adds afterwards (the final block) are not part of the piece.
            deflate.Flush();
            int pieceLength = (int)output.Position;
            deflate.Dispose();
            return (buffer, pieceLength);
        }
        finally
        {
            if (data.Length > 0)
            {
                _inputs.Add(data);
            }
        }
    }

    public override void Flush()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _single?.Dispose();
            // Pieces still in flight (an exception stopped the writer) are awaited so no thread outlives the stream.
            while (_pending.Count > 0)
            {
                try
                {
                    _pending.Dequeue().GetAwaiter().GetResult();
                }
                catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException)
                {
                }
            }
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
