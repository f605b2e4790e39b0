namespace ContainerTasks.Engines;

/// <summary>
/// The request stream of a send to an engine, as the archive writer sees it: each write must finish within a silence
/// limit, and a failed write is marked, so a failure of the connection is told from one of the build's own files.
/// </summary>
internal sealed class ConnectionStream(Stream inner, TimeSpan silenceLimit) : Stream
{
    /// <summary>True once a write to the connection failed.</summary>
    public bool Failed { get; private set; }

    /// <summary>True when a write failed because the engine took nothing for the silence limit.</summary>
    public bool Stalled { get; private set; }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        silence.CancelAfter(silenceLimit);
        try
        {
            await inner.WriteAsync(buffer, silence.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            Failed = true;
            Stalled = silence.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
            throw;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            Failed = true;
            throw;
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
