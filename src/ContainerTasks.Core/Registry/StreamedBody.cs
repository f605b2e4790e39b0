using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Threading.Channels;

namespace ContainerTasks.Registry;

/// <summary>
/// The body of an upload whose bytes are still being made: pooled chunks (see <see cref="ChunkWriteStream"/>) sent as they
/// come, with chunked transfer encoding (its length is not known when it starts). It can be sent once only.
/// </summary>
internal sealed class StreamedBody : HttpContent
{
    /// <summary>
    /// The length a request of this body declares to the retry policy: none is known, so the attempt is given the longest
    /// transfer (see <see cref="Http.RetryPolicy.MaxTransfer"/>), and stalls are caught by the writer and <see cref="WhenSent"/>.
    /// </summary>
    public const long UnknownLength = long.MaxValue;

    private readonly ChannelReader<ArraySegment<byte>> _chunks;
    private readonly TimeSpan _writeTimeout;
    private int _taken;

    /// <param name="chunks">The chunks, in order; completed after the last one, or with the reason the upload was abandoned.</param>
    /// <param name="writeTimeout">How long the connection may take one chunk: a registry that stops reading ends the upload.</param>
    public StreamedBody(ChannelReader<ArraySegment<byte>> chunks, TimeSpan writeTimeout)
    {
        _chunks = chunks;
        _writeTimeout = writeTimeout;
        Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
    }

    /// <summary>Called when the connection takes no chunk for the write timeout: the request should be cancelled.</summary>
    public Action? WhenStalled { get; set; }

    /// <summary>Called once the last byte is handed to the connection.</summary>
    public Action? WhenSent { get; set; }

    /// <summary>Counts the bytes handed to the connection, for progress lines; null for none.</summary>
    public TransferProgress? Progress { get; init; }

    /// <summary>The body, for the one attempt that sends it; a second attempt (a redirect, a new login) is refused.</summary>
    public Task<HttpContent> TakeAsync(CancellationToken cancellationToken)
        => Interlocked.Exchange(ref _taken, 1) == 0
            ? Task.FromResult<HttpContent>(this)
            : throw new ContainerTasksException(ErrorCodes.RegistryError,
                "The registry asked for an upload's bytes again (a redirect or a new login), and bytes sent while they are made cannot be sent twice.");

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await foreach (ArraySegment<byte> chunk in _chunks.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                // A registry that stops reading would hold the write (and the build) for as long as a transfer may take;
                // the connection's writes heed only the request's own cancellation, so the stall cancels the request.
                using var stalled = new CancellationTokenSource(_writeTimeout);
                using CancellationTokenRegistration _ = stalled.Token.Register(() => WhenStalled?.Invoke());
                await stream.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                Progress?.Advance(chunk.Count);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk.Array!);
            }
        }
        WhenSent?.Invoke();
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
