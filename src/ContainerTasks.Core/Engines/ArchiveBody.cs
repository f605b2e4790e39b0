using System.Net;
using System.Net.Http.Headers;

namespace ContainerTasks.Engines;

/// <summary>
/// A request body written while it is sent (chunked: its length is not known before), so an image goes to the engine
/// without a file on disk. It can be sent once.
/// </summary>
internal sealed class ArchiveBody : HttpContent
{
    private readonly Func<Stream, CancellationToken, Task> _write;

    /// <param name="write">Writes the archive into the stream of the request.</param>
    public ArchiveBody(Func<Stream, CancellationToken, Task> write)
    {
        _write = write;
        Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
    }

    /// <summary>What went wrong writing the archive (a blob that does not match its digest), rather than sending it; null when nothing did.</summary>
    public ContainerTasksException? WriteFailure { get; private set; }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        try
        {
            await _write(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (ContainerTasksException e)
        {
            // The HTTP client may wrap what the body throws; the coded error is kept to be thrown as it is.
            WriteFailure = e;
            throw;
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
