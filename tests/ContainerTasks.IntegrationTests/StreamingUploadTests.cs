using System.Security.Cryptography;
using ContainerTasks.Building;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Sources;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;
using Xunit.Abstractions;

namespace ContainerTasks.Tests;

/// <summary>Layers uploaded while they are compressed (issue #11 item 4), against the real Distribution registry.</summary>
[Collection(ImageCollection.Name)]
public sealed class StreamingUploadTests(BaseImages bases, HttpRegistryFixture http, TokenRegistryFixture token, ITestOutputHelper output)
    : IClassFixture<HttpRegistryFixture>, IClassFixture<TokenRegistryFixture>
{
    // Over the threshold of parallel pieces, and incompressible: the blob is as big as the content.
    private const int LayerBytes = (int)LayerWriter.ParallelThreshold + (8 * 1024 * 1024);

    [Fact]
    public async Task A_large_layer_sent_while_compressed_lands_in_one_upload_and_the_push_does_not_upload_it_again()
    {
        RegistryServer server = http.Server;
        await using var counter = new FaultProxy(server, FaultSchedule.Never);
        using var setup = await Setup.StartAsync(http, bases, counter, "streamed");
        var (kit, baseImage, repository, client, target) = (setup.Kit, setup.BaseImage, setup.Repository, setup.Client, setup.Target);

        BuiltLayer layer = await new LayerWriter().WriteAsync(DirectoryEntries.FromDirectory(kit.CreateAppFolder(LayerBytes), "/app"), kit.Store, default, target);

        Assert.Equal([true], target.Results);
        Assert.Equal((1, layer.Descriptor.Size), (target.Inner.BlobsSent, target.Inner.BytesSent));
        Assert.True(layer.Descriptor.Size > LayerWriter.ParallelThreshold);
        Assert.True(await client.BlobExistsAsync(repository, layer.Descriptor.Digest, forPush: false));
        using (HttpClient raw = server.CreateHttpClient())
        {
            byte[] served = await raw.GetByteArrayAsync($"/v2/{repository}/blobs/{layer.Descriptor.Digest}");
            Assert.True(served.AsSpan().SequenceEqual(File.ReadAllBytes(kit.Store.PathOf(layer.Descriptor.Digest))), "the registry serves other bytes than the stored blob");
        }
        // One session, one PATCH of the whole blob without a length (chunked), one PUT with the digest.
        ProxyExchange patch = Assert.Single(counter.Exchanges, e => e.Method == "PATCH");
        Assert.Equal((202, layer.Descriptor.Size), (patch.Status!.Value, patch.RequestBodyBytes));
        Assert.Single(counter.Exchanges, e => e.Method == "POST" && e.Path.EndsWith("/blobs/uploads/", StringComparison.Ordinal));
        Assert.Single(counter.Exchanges, e => e.Method == "PUT" && e.Target.Contains(Uri.EscapeDataString(layer.Descriptor.Digest.ToString()), StringComparison.Ordinal) && e.Status == 201);

        ProxyTraffic beforePush = counter.Forwarded;
        BuiltImage image = Image(kit, baseImage, layer);
        PushResult pushed = await new ImagePusher(client).PushAsync(image, repository, ["1"]);
        long pushBytes = counter.Forwarded.RequestBodyBytes - beforePush.RequestBodyBytes;
        Assert.Equal(1, pushed.BlobsUploaded);   // the config only
        Assert.True(pushBytes < 100_000, $"the push sent {pushBytes} bytes; the layer was already there");
        var uploadsOfLayer = server.AccessLog(repository).Where(e => e.Method == "PUT" && e.Query?.Contains(Uri.EscapeDataString(layer.Descriptor.Digest.ToString()), StringComparison.Ordinal) == true).ToList();
        Assert.Single(uploadsOfLayer);
        Assert.Contains(kit.LogLines, l => l.Contains("while it was compressed", StringComparison.Ordinal) && l.Contains(layer.Descriptor.Digest.ToString(), StringComparison.Ordinal));
        RegistryTestKit.VerifyWithSkopeoAndRun(server, $"{repository}:1", kit.Home.Path, LayerBytes);
        output.WriteLine($"streamed {layer.Descriptor.Size} bytes in one PATCH; the push then sent {pushBytes} bytes");
    }

    [Fact]
    public async Task A_reset_in_the_middle_of_the_streamed_upload_still_writes_the_layer_and_the_push_lands_a_correct_image()
    {
        RegistryServer server = http.Server;
        await using var proxy = new FaultProxy(server, FaultSchedule.Sequence(FaultKind.ResetDuringBody), new FaultProxyOptions { Methods = ["PATCH"] });
        using var setup = await Setup.StartAsync(http, bases, proxy, "streamreset");
        var (kit, baseImage, repository, client, target) = (setup.Kit, setup.BaseImage, setup.Repository, setup.Client, setup.Target);
        string folder = kit.CreateAppFolder(LayerBytes);

        BuiltLayer layer = await new LayerWriter().WriteAsync(DirectoryEntries.FromDirectory(folder, "/app"), kit.Store, default, target).WaitAsync(TimeSpan.FromMinutes(2));

        BuiltLayer plain = await new LayerWriter().WriteAsync(DirectoryEntries.FromDirectory(folder, "/app"), new Content.ContentStore(kit.Home["plain"]));
        Assert.Equal(plain, layer);
        Assert.True(kit.Store.Contains(layer.Descriptor.Digest));
        Assert.Equal([false], target.Results);
        Assert.Equal((0, 0L), (target.Inner.BlobsSent, target.Inner.BytesSent));
        FaultInjection reset = Assert.Single(proxy.Injected);
        Assert.Equal((FaultKind.ResetDuringBody, "PATCH"), (reset.Kind, reset.Method));
        Assert.Contains(kit.LogLines, l => l.Contains("was not sent", StringComparison.Ordinal) && l.Contains("uploaded with the image", StringComparison.Ordinal));
        Assert.False(await client.BlobExistsAsync(repository, layer.Descriptor.Digest, forPush: false));

        PushResult pushed = await new ImagePusher(client).PushAsync(Image(kit, baseImage, layer), repository, ["1"]);
        Assert.Equal(2, pushed.BlobsUploaded);
        Assert.True(await client.BlobExistsAsync(repository, layer.Descriptor.Digest, forPush: false));
        RegistryTestKit.VerifyWithSkopeoAndRun(server, $"{repository}:1", kit.Home.Path, LayerBytes);
    }

    [Fact]
    public async Task A_registry_that_holds_its_answer_to_the_streamed_upload_is_given_up_on_after_the_read_timeout()
    {
        RegistryServer server = http.Server;
        var stall = TimeSpan.FromSeconds(20);
        await using var proxy = new FaultProxy(server, FaultSchedule.Sequence(FaultKind.StallThenRespond), new FaultProxyOptions { Methods = ["PATCH"], StallDuration = stall });
        using var setup = await Setup.StartAsync(http, bases, proxy, "streamstall");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        BuiltLayer layer = await new LayerWriter().WriteAsync(DirectoryEntries.FromDirectory(setup.Kit.CreateAppFolder(3_000_000), "/app"), setup.Kit.Store, default, setup.Target);

        // The test environment's read timeout is 2.5 s: the layer is done long before the registry would have answered.
        Assert.True(clock.Elapsed < stall, $"the write waited {clock.Elapsed} for the registry's answer");
        Assert.Equal([false], setup.Target.Results);
        Assert.Equal((FaultKind.StallThenRespond, "PATCH"), (Assert.Single(proxy.Injected).Kind, Assert.Single(proxy.Injected).Method));
        Assert.Contains(setup.Kit.LogLines, l => l.Contains("gave no answer after its last byte", StringComparison.Ordinal));
        Assert.True(setup.Kit.Store.Contains(layer.Descriptor.Digest));
    }

    [Fact]
    public async Task Cancelling_a_layer_write_that_is_being_uploaded_ends_both_at_once()
    {
        RegistryServer server = http.Server;
        // The registry's answer to the streamed body is held, so the write cannot end before it is cancelled, however
        // slowly this test's own polling runs on a busy machine.
        await using var counter = new FaultProxy(server, FaultSchedule.Sequence(FaultKind.StallThenRespond), new FaultProxyOptions { Methods = ["PATCH"], StallDuration = TimeSpan.FromSeconds(20) });
        using var setup = await Setup.StartAsync(http, bases, counter, "streamcancel");
        string folder = setup.Kit.CreateAppFolder(LayerBytes);
        using var cancel = new CancellationTokenSource();

        Task<BuiltLayer> write = new LayerWriter().WriteAsync(DirectoryEntries.FromDirectory(folder, "/app"), setup.Kit.Store, cancel.Token, setup.Target);
        // Cancelled once the upload is under way.
        while (!counter.Exchanges.Any(e => e.Method == "POST") && !write.IsCompleted)
        {
            await Task.Delay(20);
        }
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Empty(setup.Target.Results);
        Assert.Equal(0, setup.Target.Inner.BlobsSent);
        Assert.Contains(setup.Kit.LogLines, l => l.Contains("was not sent", StringComparison.Ordinal));
        Assert.DoesNotContain(server.AccessLog(setup.Repository), e => e.Method == "PUT");
    }

    [Fact]
    public async Task A_layer_sent_while_compressed_to_a_token_registry_gets_its_token_like_any_upload()
    {
        RegistryServer server = token.Server;
        using var kit = new RegistryTestKit();
        var env = kit.Environment(("DOTNET_CONTAINER_REGISTRY_UNAME", "pusher"), ("DOTNET_CONTAINER_REGISTRY_PWORD", RegistryUsers.Pusher.Password));
        using var session = kit.Session(env, server.Host, server.Host);
        string repository = RegistryServer.NewRepository("streamtoken");
        RegistryClient client = session.Client(server.Host, repository, RegistryRole.Push);
        var target = new RecordingTarget(new StreamingBlobUploads(client, repository));

        BuiltLayer layer = await new LayerWriter().WriteAsync(DirectoryEntries.FromDirectory(kit.CreateAppFolder(3_000_000), "/app"), kit.Store, default, target);

        Assert.Equal([true], target.Results);
        Assert.True(await client.BlobExistsAsync(repository, layer.Descriptor.Digest, forPush: false));
        Assert.Contains(server.TokenServer!.Requests, r => r.Scopes.Contains($"repository:{repository}:pull,push"));
        Assert.Single(server.AccessLog(repository), e => e.Method == "PATCH" && e.Status == 202);
    }

    private static BuiltImage Image(RegistryTestKit kit, SourceImage baseImage, BuiltLayer layer)
        => new ImageBuilder(baseImage, kit.Store).AddLayer(layer, "test layer")
            .WithConfig(new ConfigChanges { Entrypoint = ["/bin/sh", "-c", "cat /app/hello.txt; wc -c < /app/random.bin"] })
            .Build();

    // A build's state through a proxy in front of the HTTP registry: its base image read, a new repository to push to.
    private sealed class Setup : IDisposable
    {
        private Setup(RegistryTestKit kit, RegistrySession session, SourceImage baseImage, string repository, RegistryClient client)
            => (Kit, Session, BaseImage, Repository, Client, Target) = (kit, session, baseImage, repository, client, new RecordingTarget(new StreamingBlobUploads(client, repository)));

        public RegistryTestKit Kit { get; }
        public RegistrySession Session { get; }
        public SourceImage BaseImage { get; }
        public string Repository { get; }
        public RegistryClient Client { get; }
        public RecordingTarget Target { get; }

        public static async Task<Setup> StartAsync(HttpRegistryFixture http, BaseImages bases, FaultProxy proxy, string prefix)
        {
            RegistryShapeSet shapes = await http.GetShapesAsync(bases);
            var kit = new RegistryTestKit();
            RegistrySession session = kit.Session(kit.Environment(), proxy.Host, proxy.Host);
            SourceImage baseImage = await kit.PullAsync(session, $"{proxy.Host}/{shapes.Oci.Repository}:{shapes.Oci.Tag}");
            string repository = RegistryServer.NewRepository(prefix);
            return new Setup(kit, session, baseImage, repository, session.Client(proxy.Host, repository, RegistryRole.Push));
        }

        public void Dispose()
        {
            Session.Dispose();
            Kit.Dispose();
        }
    }

    // Keeps what each send's completion said.
    private sealed class RecordingTarget(StreamingBlobUploads inner) : IBlobStreamTarget
    {
        private readonly List<bool> _results = new();

        public StreamingBlobUploads Inner => inner;

        public IReadOnlyList<bool> Results
        {
            get
            {
                lock (_results)
                {
                    return _results.ToList();
                }
            }
        }

        public IStreamedBlob Begin(CancellationToken cancellationToken) => new Recorded(inner.Begin(cancellationToken), _results);

        private sealed class Recorded(IStreamedBlob blob, List<bool> results) : IStreamedBlob
        {
            public Stream Content => blob.Content;

            public async Task<bool> CompleteAsync(Descriptor descriptor, CancellationToken cancellationToken)
            {
                bool done = await blob.CompleteAsync(descriptor, cancellationToken);
                lock (results)
                {
                    results.Add(done);
                }
                return done;
            }

            public ValueTask DisposeAsync() => blob.DisposeAsync();
        }
    }
}
