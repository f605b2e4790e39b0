namespace ContainerTasks.Registry;

/// <summary>
/// A blob's bytes on their way to or from a registry, each read counted by a <see cref="TransferProgress"/>: what an
/// upload's request body reads is what goes on the wire, give or take the socket's buffer. Seeks pass through (chunked
/// uploads read their source in ranges); disposing disposes the source.
/// </summary>
internal sealed class ProgressStream : Stream
{
    private readonly Stream _inner;
    private readonly TransferProgress _progress;

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
        int n = _inner.Read(buffer);
        _progress.Advance(n);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _progress.Advance(n);
        return n;
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
