using System.Security.Cryptography;
using System.Threading.Channels;
using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>A layer sent to an <see cref="IBlobStreamTarget"/> while it is written (issue #11: compress while uploading).</summary>
public sealed class LayerStreamingTests : IDisposable
{
    private readonly TempDirectory _dir = new("ct-stream-");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(300_000)]
    [InlineData((int)LayerWriter.ParallelThreshold + (3 * 1024 * 1024))]
    public async Task A_layer_sent_while_written_is_the_same_blob_and_the_target_gets_exactly_its_bytes(int randomBytes)
    {
        List<LayerEntry> entries = Input(randomBytes);
        BuiltLayer plain = await new LayerWriter().WriteAsync(entries, new ContentStore(_dir["plain"]));
        var store = new ContentStore(_dir["sent"]);
        var target = new FakeTarget();

        BuiltLayer sent = await new LayerWriter().WriteAsync(entries, store, default, target);

        Assert.Equal(plain, sent);
        Assert.True(sent.WrittenNow);
        FakeBlob blob = Assert.Single(target.Blobs);
        Assert.Equal(sent.Descriptor, blob.Completed);
        Assert.True(blob.Disposed);
        byte[] stored = File.ReadAllBytes(store.PathOf(sent.Descriptor.Digest));
        Assert.Equal(stored.Length, blob.Bytes.Length);
        Assert.True(stored.AsSpan().SequenceEqual(blob.Bytes), "the target got other bytes than the blob's");
    }

    [Fact]
    public async Task A_target_that_stalls_then_fails_midway_does_not_fail_the_write_and_is_not_completed()
    {
        List<LayerEntry> entries = Input(2_000_000);
        BuiltLayer plain = await new LayerWriter().WriteAsync(entries, new ContentStore(_dir["plain"]));
        var target = new FakeTarget { FailAfterBytes = 100_000, StallBeforeFailing = TimeSpan.FromMilliseconds(300) };
        var store = new ContentStore(_dir["sent"]);

        BuiltLayer sent = await new LayerWriter().WriteAsync(entries, store, default, target).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(plain, sent);
        Assert.True(store.Contains(sent.Descriptor.Digest));
        FakeBlob blob = Assert.Single(target.Blobs);
        Assert.Null(blob.Completed);
        Assert.True(blob.Disposed);
        Assert.InRange(blob.Bytes.Length, 1, 100_000);
    }

    [Fact]
    public async Task A_target_whose_completion_and_disposal_throw_does_not_fail_the_write()
    {
        List<LayerEntry> entries = Input(50_000);
        var target = new FakeTarget { ThrowOnComplete = true, ThrowOnDispose = true };
        var store = new ContentStore(_dir["sent"]);

        BuiltLayer sent = await new LayerWriter().WriteAsync(entries, store, default, target);

        Assert.True(store.Contains(sent.Descriptor.Digest));
        FakeBlob blob = Assert.Single(target.Blobs);
        Assert.Equal(sent.Descriptor, blob.Completed);
        Assert.True(blob.Disposed);
    }

    [Fact]
    public async Task Cancelling_a_write_whose_target_is_behind_ends_it_at_once_and_abandons_the_send()
    {
        List<LayerEntry> entries = Input(2_000_000);
        var target = new FakeTarget { WaitForCancellation = true };
        var store = new ContentStore(_dir["sent"]);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new LayerWriter().WriteAsync(entries, store, cancel.Token, target));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        FakeBlob blob = Assert.Single(target.Blobs);
        Assert.Null(blob.Completed);
        Assert.True(blob.Disposed);
        Assert.DoesNotContain(Directory.EnumerateFiles(store.Root, "*", SearchOption.AllDirectories), f => f.Contains("/blobs/", StringComparison.Ordinal));
    }

    [Fact]
    public void The_upload_queue_keeps_the_order_in_whole_chunks_and_a_stalled_upload_is_abandoned_after_the_limit()
    {
        var queue = Channel.CreateBounded<ArraySegment<byte>>(2);
        var reasons = new List<Exception>();
        using var abandoned = new CancellationTokenSource();
        using var stream = new ChunkWriteStream(queue.Writer, TimeSpan.FromMilliseconds(200), e => { reasons.Add(e); abandoned.Cancel(); }, abandoned.Token);
        byte[] data = RandomNumberGenerator.GetBytes((2 * ChunkWriteStream.ChunkSize) + 10);

        // Two whole chunks fill the queue; the third write waits for a reader that never comes, then gives up.
        stream.Write(data);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        stream.Write(RandomNumberGenerator.GetBytes(ChunkWriteStream.ChunkSize));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(5));
        TimeoutException reason = Assert.IsType<TimeoutException>(Assert.Single(reasons));
        Assert.Contains("took no bytes", reason.Message);

        // Abandoned: later writes return at once and keep nothing; the send cannot finish.
        clock.Restart();
        stream.Write(RandomNumberGenerator.GetBytes(5 * ChunkWriteStream.ChunkSize));
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(150), $"a write after the upload was abandoned took {clock.Elapsed}");
        Assert.False(stream.Finish());
        Assert.True(queue.Reader.TryRead(out ArraySegment<byte> first));
        Assert.True(queue.Reader.TryRead(out ArraySegment<byte> second));
        Assert.Equal(ChunkWriteStream.ChunkSize, first.Count);
        Assert.True(first.AsSpan().SequenceEqual(data.AsSpan(0, ChunkWriteStream.ChunkSize)));
        Assert.True(second.AsSpan().SequenceEqual(data.AsSpan(ChunkWriteStream.ChunkSize, ChunkWriteStream.ChunkSize)));
        Assert.False(queue.Reader.TryRead(out _));
    }

    private List<LayerEntry> Input(int randomBytes)
    {
        string folder = Directory.CreateDirectory(_dir[$"in-{randomBytes}"]).FullName;
        File.WriteAllBytes(Path.Combine(folder, "random.bin"), RandomNumberGenerator.GetBytes(randomBytes));
        File.WriteAllText(Path.Combine(folder, "text.txt"), string.Concat(Enumerable.Repeat("some text that compresses well\n", 20_000)));
        return DirectoryEntries.FromDirectory(folder, "/app");
    }

    private sealed class FakeTarget : IBlobStreamTarget
    {
        public List<FakeBlob> Blobs { get; } = new();
        public long FailAfterBytes { get; init; } = long.MaxValue;
        public TimeSpan StallBeforeFailing { get; init; }
        public bool ThrowOnComplete { get; init; }
        public bool ThrowOnDispose { get; init; }
        public bool WaitForCancellation { get; init; }

        public IStreamedBlob Begin(CancellationToken cancellationToken)
        {
            var blob = new FakeBlob(this, cancellationToken);
            Blobs.Add(blob);
            return blob;
        }
    }

    private sealed class FakeBlob(FakeTarget target, CancellationToken abandon) : Stream, IStreamedBlob
    {
        private readonly MemoryStream _bytes = new();

        public byte[] Bytes => _bytes.ToArray();
        public Descriptor? Completed { get; private set; }
        public bool Disposed { get; private set; }
        public Stream Content => this;

        public Task<bool> CompleteAsync(Descriptor blob, CancellationToken cancellationToken)
        {
            Completed = blob;
            return target.ThrowOnComplete ? throw new IOException("completion failed") : Task.FromResult(true);
        }

        public override ValueTask DisposeAsync()
        {
            Disposed = true;
            return target.ThrowOnDispose ? throw new IOException("disposal failed") : ValueTask.CompletedTask;
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (target.WaitForCancellation)
            {
                // A target that is behind: the write waits until the send is abandoned.
                abandon.WaitHandle.WaitOne(TimeSpan.FromSeconds(30));
                return;
            }
            if (_bytes.Length + buffer.Length > target.FailAfterBytes)
            {
                Thread.Sleep(target.StallBeforeFailing);
                throw new IOException("the target failed");
            }
            _bytes.Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Flush()
        {
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _bytes.Length;
        public override long Position { get => _bytes.Length; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
