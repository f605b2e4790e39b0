using ContainerTasks.Layers;
using ContainerTasks.Model;

namespace ContainerTasks.Registry;

/// <summary>
/// A repository that takes layers while they are compressed (issue #11): each blob goes up in one upload that runs
/// beside the writer — a session, one PATCH fed as the bytes are made (chunked transfer encoding, no Content-Range),
/// then a PUT with the digest known at the end — so a cold publish waits for the slower of compressing and uploading,
/// not both. A blob that fails to go up this way costs nothing but the bytes sent: the push uploads it from the store.
/// </summary>
internal sealed class StreamingBlobUploads : IBlobStreamTarget
{
    private readonly RegistryClient _client;
    private readonly string _repository;
    private int _blobs;
    private long _bytes;

    /// <param name="client">The registry, with push credentials.</param>
    /// <param name="repository">The repository the image goes to.</param>
    public StreamingBlobUploads(RegistryClient client, string repository)
    {
        _client = client;
        _repository = repository;
    }

    /// <summary>
    /// False where a streamed upload is not sent at all, and every blob goes with the image: uploads one at a time (Amazon
    /// ECR, or asked for), since this one runs beside the others; and registries where one request must not carry a
    /// whole blob of unknown size (chunks of a minimum size, chunked uploads required or forced).
    /// </summary>
    public bool Accepts
    {
        get
        {
            RegistryQuirks quirks = _client.Quirks;
            return _client.ParallelBlobRequests > 1 && quirks.MinimumChunkSize == 0 && !quirks.RequiresChunkedUpload
                && !_client.Transport.Settings.ForceChunkedUpload;
        }
    }

    /// <summary>Blobs the registry took this way.</summary>
    public int BlobsSent => Volatile.Read(ref _blobs);

    /// <summary>Their bytes.</summary>
    public long BytesSent => Interlocked.Read(ref _bytes);

    public IStreamedBlob Begin(CancellationToken cancellationToken)
        => Accepts ? new StreamedBlobUpload(_client, _repository, Count, cancellationToken) : DroppedBlob.Instance;

    private void Count(Descriptor blob)
    {
        Interlocked.Increment(ref _blobs);
        Interlocked.Add(ref _bytes, blob.Size);
    }
}
