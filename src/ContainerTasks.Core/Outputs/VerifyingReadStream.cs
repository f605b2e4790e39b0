using System.Security.Cryptography;
using ContainerTasks.Model;

namespace ContainerTasks.Outputs;

/// <summary>Reads a blob while hashing it; at the end of the stream, a size or digest mismatch is CT1007.</summary>
internal sealed class VerifyingReadStream : Stream
{
    private readonly Stream _inner;
    private readonly Descriptor _descriptor;
    private readonly IncrementalHash _hash;
    private long _read;
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
        if (_unverifiable)
        {
            return;
        }
        if (data.Length == 0)
        {
            Verify();
            return;
        }
        _read += data.Length;
        if (_read > _descriptor.Size)
        {
            throw Mismatch($"it is longer than {_descriptor.Size} bytes");
        }
        _hash.AppendData(data);
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
    // Seekable when the source is (chunked uploads read it in ranges): read in order it is still verified; a jump
    // elsewhere (a chunk sent again) ends the check, and the registry's own digest check remains.
    public override bool CanSeek => _inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => _descriptor.Size;
    public override long Position
    {
        get => _inner.CanSeek ? _inner.Position : _read;
        set
        {
            if (value != _read)
            {
                _unverifiable = true;
            }
            _inner.Position = value;
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
