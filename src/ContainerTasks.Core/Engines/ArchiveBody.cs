using System.Net;
using System.Net.Http.Headers;

namespace ContainerTasks.Engines;

/// <summary>
/// A request body written while it is sent (chunked: its length is not known before), so an image goes to the engine
/// without a file on disk. It can be sent once. An engine that takes no byte of it for <see cref="SilenceLimit"/>
/// fails the send rather than holding the build.
/// </summary>
internal sealed class ArchiveBody : HttpContent
{
    /// <summary>The longest an engine may take no part of the archive.</summary>
    public static readonly TimeSpan SilenceLimit = TimeSpan.FromMinutes(5);

    private readonly Func<Stream, CancellationToken, Task> _write;
    private readonly TimeSpan _silenceLimit;
    private readonly string _engine;

    /// <param name="engine">The engine, for messages.</param>
    /// <param name="write">Writes the archive into the stream of the request.</param>
    /// <param name="silenceLimit">How long one write to the engine may wait; <see cref="SilenceLimit"/> when null.</param>
    public ArchiveBody(string engine, Func<Stream, CancellationToken, Task> write, TimeSpan? silenceLimit = null)
    {
        _engine = engine;
        _write = write;
        _silenceLimit = silenceLimit ?? SilenceLimit;
        Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
    }

    /// <summary>
    /// What went wrong on this side rather than on the connection: a blob that does not match its digest, the build's
    /// cache unreadable, or the engine taking nothing for <see cref="SilenceLimit"/>. Null when nothing did.
    /// </summary>
    public ContainerTasksException? WriteFailure { get; private set; }

    /// <summary>Set once the whole archive has been written into the request.</summary>
    public Action? Sent { get; init; }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var connection = new ConnectionStream(stream, _silenceLimit);
        try
        {
            await _write(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (ContainerTasksException e)
        {
            // The HTTP client may wrap what the body throws; the coded error is kept to be thrown as it is.
            WriteFailure = e;
            throw;
        }
        catch (Exception e) when (connection.Stalled)
        {
            WriteFailure = new ContainerTasksException(ErrorCodes.DaemonLoadFailed,
                $"{_engine} took no part of the image for {Words(_silenceLimit)}. Check that the engine is running and has free space.", e);
            throw;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && !connection.Failed)
        {
            // Not the connection: reading the image's blobs from the build's cache.
            WriteFailure = new ContainerTasksException(ErrorCodes.OutputFailed,
                $"The image could not be read from the build's cache while it was sent to the engine: {e.Message}", e);
            throw;
        }
        Sent?.Invoke();
    }

    private static string Words(TimeSpan time) => time.TotalMinutes >= 1 ? $"{time.TotalMinutes:0.#} minutes" : $"{time.TotalSeconds:0.#} s";

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
