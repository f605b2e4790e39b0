namespace ContainerTasks.Registry;

/// <summary>
/// A response body whose every read must make progress within a timeout (a stalled download fails instead of
/// hanging) and that may not run past the length expected (a body that never ends fails instead of filling a disk).
/// </summary>
internal sealed class IdleTimeoutStream : Stream
{
    private readonly Stream _inner;
    private readonly IDisposable _owner;
    private readonly TimeSpan _timeout;
    private readonly long _maxLength;
    private readonly Func<Exception> _tooLong;
    private long _read;

    public IdleTimeoutStream(Stream inner, IDisposable owner, TimeSpan timeout, long maxLength, Func<Exception> tooLong)
    {
        _inner = inner;
        _owner = owner;
        _timeout = timeout;
        _maxLength = maxLength;
        _tooLong = tooLong;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            int read = await _inner.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
            _read += read;
            return _read <= _maxLength ? read : throw _tooLong();
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"No data for {_timeout.TotalSeconds:0.#} s.", e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _owner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
