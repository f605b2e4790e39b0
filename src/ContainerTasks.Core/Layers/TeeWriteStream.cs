namespace ContainerTasks.Layers;

/// <summary>
/// A write-only stream that writes everything to its main stream and copies it to a side stream. The side stream
/// is a convenience (a layer sent while it is written): its failure stops the copies, never the writes.
/// </summary>
internal sealed class TeeWriteStream : Stream
{
    private readonly Stream _main;
    private Stream? _side;

    /// <param name="main">Where the writes go; left open.</param>
    /// <param name="side">Where they are copied while it works; left open.</param>
    public TeeWriteStream(Stream main, Stream side)
    {
        _main = main;
        _side = side;
    }

    /// <summary>Why the side stream stopped taking copies; null while it takes them.</summary>
    public Exception? SideFailure { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _main.Write(buffer);
        if (_side is null)
        {
            return;
        }
        try
        {
            _side.Write(buffer);
        }
        catch (Exception e)
        {
            // The side's owner logs its own failures; the main stream must not notice.
            SideFailure = e;
            _side = null;
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush() => _main.Flush();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _main.Position; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
