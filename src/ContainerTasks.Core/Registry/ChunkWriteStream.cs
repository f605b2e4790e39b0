using System.Buffers;
using System.Threading.Channels;

namespace ContainerTasks.Registry;

/// <summary>
/// The writing end of an upload sent while its bytes are made: writes are gathered into pooled chunks of
/// <see cref="ChunkSize"/> and queued for the upload's <see cref="StreamedBody"/>. At most <see cref="QueuedChunks"/> wait,
/// so memory stays bounded; a full queue makes a write wait for the upload (the registry sets the pace), but no longer
/// than the stall limit, after which the upload is abandoned. Once it is abandoned, writes return at once and keep nothing.
/// </summary>
internal sealed class ChunkWriteStream : Stream
{
    /// <summary>The size of a queued chunk.</summary>
    public const int ChunkSize = 1024 * 1024;

    /// <summary>Chunks that may wait for the upload: with the one being filled and the one being sent, 10 MiB per upload.</summary>
    public const int QueuedChunks = 8;

    private readonly ChannelWriter<ArraySegment<byte>> _queue;
    private readonly TimeSpan _stallLimit;
    private readonly Action<Exception> _abandon;
    private readonly CancellationToken _abandoned;
    private byte[]? _chunk;
    private int _filled;

    /// <param name="queue">Where the chunks go (bounded to <see cref="QueuedChunks"/>).</param>
    /// <param name="stallLimit">The longest a write waits for the upload to take a chunk.</param>
    /// <param name="abandon">Abandons the upload, with the reason.</param>
    /// <param name="abandoned">Cancelled when the upload is abandoned.</param>
    public ChunkWriteStream(ChannelWriter<ArraySegment<byte>> queue, TimeSpan stallLimit, Action<Exception> abandon, CancellationToken abandoned)
    {
        _queue = queue;
        _stallLimit = stallLimit;
        _abandon = abandon;
        _abandoned = abandoned;
    }

    /// <summary>Bytes written before the upload was abandoned (all of them when it was not).</summary>
    public long BytesTaken { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0 && !_abandoned.IsCancellationRequested)
        {
            _chunk ??= ArrayPool<byte>.Shared.Rent(ChunkSize);
            int take = Math.Min(buffer.Length, ChunkSize - _filled);
            buffer[..take].CopyTo(_chunk.AsSpan(_filled));
            _filled += take;
            BytesTaken += take;
            buffer = buffer[take..];
            if (_filled == ChunkSize)
            {
                Enqueue();
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Queues what is left and ends the queue; false when the upload was abandoned.</summary>
    public bool Finish()
    {
        if (_filled > 0 && !_abandoned.IsCancellationRequested)
        {
            Enqueue();
        }
        return !_abandoned.IsCancellationRequested && _queue.TryComplete();
    }

    private void Enqueue()
    {
        var chunk = new ArraySegment<byte>(_chunk!, 0, _filled);
        _chunk = null;
        _filled = 0;
        if (_queue.TryWrite(chunk))
        {
            return;
        }
        try
        {
            if (!_queue.WriteAsync(chunk, _abandoned).AsTask().Wait(_stallLimit))
            {
                _abandon(new TimeoutException($"the registry took no bytes for {_stallLimit.TotalSeconds:0.#} s"));
            }
        }
        catch (AggregateException)
        {
            // The upload was abandoned while this write waited (the queue closed, the wait cancelled): it said why.
        }
    }

    public override void Flush()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _chunk is not null)
        {
            ArrayPool<byte>.Shared.Return(_chunk);
            _chunk = null;
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesTaken; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
