namespace ContainerTasks.Registry;

/// <summary>
/// A blob's bytes on their way to or from a registry, each read counted by a <see cref="TransferProgress"/>: what an
/// upload's request body reads is what goes on the wire, give or take the socket's buffer. Seeks pass through (chunked
/// uploads read their source in ranges); a range read again (a chunk sent again) is not counted again, so the count
/// never passes the blob's size. Disposing disposes the source.
/// </summary>
internal sealed class ProgressStream : Stream
{
    private readonly Stream _inner;
    private readonly TransferProgress _progress;
    private long _counted;

    /// <param name="inner">The source, owned from now on.</param>
    /// <param name="progress">Counts the bytes read.</param>
    public ProgressStream(Stream inner, TransferProgress progress)
    {
        _inner = inner;
        _progress = progress;
    }

    /// <summary>
    /// <paramref name="inner"/> counted by <paramref name="progress"/> from zero (a new attempt reads from the start), or
    /// <paramref name="inner"/> itself when there is no progress to show.
    /// </summary>
    public static Stream Track(Stream inner, TransferProgress? progress)
    {
        if (progress is null)
        {
            return inner;
        }
        progress.Restart();
        return new ProgressStream(inner, progress);
    }

    public override int Read(Span<byte> buffer)
    {
        long start = Start();
        int n = _inner.Read(buffer);
        Count(start, n);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        long start = Start();
        int n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Count(start, n);
        return n;
    }

    // Where a read starts: the source's position when it has one, else just after what was counted.
    private long Start() => _inner.CanSeek ? _inner.Position : _counted;

    // Counts only the bytes past the furthest point read so far.
    private void Count(long start, int read)
    {
        long end = start + read;
        if (end > _counted)
        {
            _progress.Advance(end - Math.Max(start, _counted));
            _counted = end;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => _inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => _inner.Length;
    public override long Position { get => _inner.Position; set => _inner.Position = value; }
    public override void Flush()
    {
    }
    public override long Seek(long offset, SeekOrigin origin) => _inner.Seek(offset, origin);
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
