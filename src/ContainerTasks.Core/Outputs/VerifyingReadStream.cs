using System.Security.Cryptography;
using ContainerTasks.Model;

namespace ContainerTasks.Outputs;

/// <summary>
/// Reads a blob while hashing it: a size or digest mismatch is CT1007, found as soon as the last byte the
/// descriptor promises is read (a reader that stops there, as an upload chunk does, never asks for the end of
/// the stream) or as soon as more bytes than that arrive.
/// </summary>
internal sealed class VerifyingReadStream : Stream
{
    private readonly Stream _inner;
    private readonly Descriptor _descriptor;
    private readonly IncrementalHash _hash;
    private long _position;   // where the next read starts
    private long _read;       // how far the content has been hashed
    private bool _verified;
    private bool _unverifiable;

    public VerifyingReadStream(Stream inner, Descriptor descriptor)
    {
        _inner = inner;
        _descriptor = descriptor;
        _hash = descriptor.Digest.CreateHasher();
    }

    public override int Read(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        Account(buffer[..n]);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Account(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Account(ReadOnlySpan<byte> data)
    {
        long start = _position;
        _position += data.Length;
        if (_unverifiable)
        {
            return;
        }
        if (data.Length == 0)
        {
            Verify();
            return;
        }
        // A range read again (a chunk sent again) was hashed the first time: only bytes past it are new.
        if (_position <= _read)
        {
            return;
        }
        if (_position > _descriptor.Size)
        {
            throw Mismatch($"it is longer than {_descriptor.Size} bytes");
        }
        _hash.AppendData(data[(int)(_read - start)..]);
        _read = _position;
        if (_read == _descriptor.Size)
        {
            Verify();
        }
    }

    private void Verify()
    {
        if (_verified)
        {
            return;
        }
        _verified = true;
        if (_read != _descriptor.Size)
        {
            throw Mismatch($"it has {_read} bytes, not {_descriptor.Size}");
        }
        if (!_descriptor.Digest.Matches(_hash.GetHashAndReset()))
        {
            throw Mismatch("its content hashes to another digest");
        }
    }

    private ContainerTasksException Mismatch(string what)
        => new(ErrorCodes.DigestMismatch, $"The blob {_descriptor.Digest} ({_descriptor.MediaType}) is corrupt: {what}. Its source was changed or damaged; nothing was written.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    // Seekable when the source is (chunked uploads read it in ranges). Going back re-reads bytes already hashed;
    // only a jump past what was read (never done by an upload) leaves the check to the registry.
    public override bool CanSeek => _inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => _descriptor.Size;
    public override long Position
    {
        get => _position;
        set
        {
            if (value > _read)
            {
                _unverifiable = true;
            }
            _inner.Position = value;
            _position = value;
        }
    }
    public override void Flush()
    {
    }
    public override long Seek(long offset, SeekOrigin origin)
    {
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => Length + offset,
        };
        Position = target;
        return target;
    }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
