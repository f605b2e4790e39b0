using System.Threading.Channels;
using ContainerTasks.Layers;
using ContainerTasks.Model;

namespace ContainerTasks.Registry;

/// <summary>
/// One blob uploaded while it is made (see <see cref="StreamingBlobUploads"/>): the upload starts at once, beside the
/// writer, and takes the bytes from <see cref="Content"/> through a bounded queue as the registry accepts them. Any
/// failure abandons it for good (one line in the client's log): the writer's further bytes are dropped at once, and
/// <see cref="CompleteAsync"/> says false, so the blob is uploaded with the image instead.
/// </summary>
internal sealed class StreamedBlobUpload : IStreamedBlob
{
    // Disposing waits this long at most for an abandoned upload to stop (cancelled, it stops at once).
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(10);

    private readonly RegistryClient _client;
    private readonly string _repository;
    private readonly Action<Descriptor> _sent;
    private readonly Channel<ArraySegment<byte>> _queue = Channel.CreateBounded<ArraySegment<byte>>(
        new BoundedChannelOptions(ChunkWriteStream.QueuedChunks) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _abort;
    private readonly ChunkWriteStream _content;
    private readonly TaskCompletionSource<Descriptor> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task<bool> _upload;
    private int _abandoned;

    /// <param name="client">The registry (push credentials).</param>
    /// <param name="repository">The repository.</param>
    /// <param name="sent">Told of each blob the registry took.</param>
    /// <param name="cancellationToken">Abandons the upload.</param>
    public StreamedBlobUpload(RegistryClient client, string repository, Action<Descriptor> sent, CancellationToken cancellationToken)
    {
        _client = client;
        _repository = repository;
        _sent = sent;
        _abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _content = new ChunkWriteStream(_queue.Writer, client.Transport.Settings.ReadTimeout, Abandon, _abort.Token);
        _upload = Task.Run(UploadAsync, CancellationToken.None);
    }

    public Stream Content => _content;

    public async Task<bool> CompleteAsync(Descriptor blob, CancellationToken cancellationToken)
    {
        if (!_content.Finish())
        {
            return false;
        }
        if (_content.BytesTaken != blob.Size)
        {
            Abandon(new InvalidDataException($"it was given {_content.BytesTaken} bytes of a {blob.Size}-byte blob"));
            return false;
        }
        _finished.TrySetResult(blob);
        if (!await _upload.WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        _sent(blob);
        _client.Detail($"Uploaded {blob.Digest} ({Sizes.Format(blob.Size)}) to {_client.Registry}/{_repository} while it was compressed.");
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_upload.IsCompleted)
        {
            Abandon(new IOException("the layer's write stopped before it was complete"));
        }
        _finished.TrySetCanceled(CancellationToken.None);
        await Task.WhenAny(_upload, Task.Delay(StopWait)).ConfigureAwait(false);
        _content.Dispose();
        if (_upload.IsCompleted)
        {
            // Chunks left when the upload stopped go back to the pool (it reads no more).
            while (_queue.Reader.TryRead(out ArraySegment<byte> chunk))
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(chunk.Array!);
            }
            _abort.Dispose();
        }
    }

    private async Task<bool> UploadAsync()
    {
        try
        {
            // Neither digest nor size is known before the last byte: the line names the repository and counts bytes.
            var body = new StreamedBody(_queue.Reader, _client.Transport.Settings.ReadTimeout)
            {
                Progress = TransferProgress.Start($"Uploading a layer to {_client.Registry}/{_repository} while it is compressed", null, _client.Notice),
            };
            await _client.StreamBlobAsync(_repository, body, _finished.Task, _abort.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e)
        {
            // Whatever went wrong, the layer is written and the push uploads it; this upload only ends.
            Abandon(e);
            return false;
        }
    }

    private void Abandon(Exception cause)
    {
        if (Interlocked.Exchange(ref _abandoned, 1) != 0)
        {
            return;
        }
        _queue.Writer.TryComplete(cause);
        _abort.Cancel();
        string reason = cause is OperationCanceledException ? "cancelled" : RegistryText.Clean(cause.Message);
        _client.Detail($"A layer being uploaded to {_client.Registry}/{_repository} while it was compressed was not sent ({reason}); it is uploaded with the image instead.");
    }
}
