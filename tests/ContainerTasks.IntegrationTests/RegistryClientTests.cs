using ContainerTasks.Building;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Pipeline;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Sources;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;
using Xunit.Abstractions;

namespace ContainerTasks.Tests;

[Collection(ImageCollection.Name)]
public sealed class RegistryPullTests(BaseImages bases, HttpRegistryFixture http, TokenRegistryFixture token)
    : IClassFixture<HttpRegistryFixture>, IClassFixture<TokenRegistryFixture>
{
    [Fact]
    public async Task Every_shape_resolves_to_its_platform_with_one_HEAD_per_tag_and_no_layer_downloads()
    {
        RegistryShapeSet shapes = await http.GetShapesAsync(bases);
        RegistryServer server = http.Server;
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), server.Host, null);
        int before = server.AccessLog().Count;
        foreach (PublishedImage shape in new[] { shapes.Oci, shapes.Docker, shapes.OciIndex, shapes.DockerList })
        {
            SourceImage image = await kit.PullAsync(session, shape.Reference);
            Assert.Equal("amd64", ImageConfig.Parse(image.ConfigBytes).Platform.Architecture);
            Assert.Equal(shape == shapes.Docker || shape == shapes.DockerList, image.Manifest.IsDocker);
        }
        foreach (PublishedImage list in new[] { shapes.OciIndex, shapes.DockerList })
        {
            SourceImage arm64 = await kit.PullAsync(session, list.Reference, Platform.Parse("linux/arm64"));
            Assert.Equal(new Platform("linux", "arm64", "v8"), ImageConfig.Parse(arm64.ConfigBytes).Platform);
            SourceImage arm = await kit.PullAsync(session, list.Reference, Platform.Parse("linux/arm/v7"));
            Assert.Equal(list.Children[RegistryShapes.ArmV7], arm.ManifestDigest.ToString());
            var error = await Assert.ThrowsAsync<ContainerTasksException>(() => kit.PullAsync(session, list.Reference, Platform.Parse("linux/s390x")));
            Assert.Equal("CT1006", error.Code);
            Assert.DoesNotContain("unknown", error.Message);
        }
        var firstPass = server.AccessLog().Skip(before).Where(e => e.UserAgent.StartsWith("ContainerTasks", StringComparison.Ordinal)).ToList();
        // Configs are blobs too; layers (several MB) never are fetched: no output needed them.
        var configDigests = new HashSet<string>();
        foreach (PublishedImage shape in shapes.All)
        {
            configDigests.UnionWith(firstPass.Where(e => e.Method == "GET" && e.Path.Contains("/blobs/", StringComparison.Ordinal)).Select(e => e.Path[(e.Path.LastIndexOf('/') + 1)..]));
        }
        Assert.All(firstPass.Where(e => e.Path.Contains("/blobs/", StringComparison.Ordinal)), e => Assert.True(e.ResponseBytes < 4096, $"{e} looks like a layer download"));

        // A second build with the same store: one HEAD per tag, nothing else.
        before = server.AccessLog().Count;
        using var again = kit.Session(kit.Environment(), server.Host, null);
        foreach (PublishedImage shape in new[] { shapes.Oci, shapes.Docker, shapes.OciIndex, shapes.DockerList })
        {
            await kit.PullAsync(again, shape.Reference);
        }
        var secondPass = server.AccessLog().Skip(before).Where(e => e.UserAgent.StartsWith("ContainerTasks", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, secondPass.Count(e => e.Method == "HEAD" && e.Path.Contains("/manifests/", StringComparison.Ordinal)));
        Assert.DoesNotContain(secondPass, e => e.Method == "GET");

        // Pinned by digest and cached: no request at all.
        before = server.AccessLog().Count;
        await kit.PullAsync(again, $"{server.Host}/{shapes.OciIndex.Repository}@{shapes.OciIndex.Digest}");
        Assert.DoesNotContain(server.AccessLog().Skip(before), e => e.UserAgent.StartsWith("ContainerTasks", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_anonymous_pull_of_a_public_image_gets_a_token_without_credentials_and_private_images_say_log_in()
    {
        RegistryShapeSet shapes = await token.GetShapesAsync(bases);
        RegistryServer server = token.Server;
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), server.Host, null);
        server.TokenServer!.ClearRequests();
        SourceImage image = await kit.PullAsync(session, shapes.PublicBusybox.Reference);
        Assert.Equal(shapes.PublicBusybox.Digest, image.ManifestDigest.ToString());
        var requests = server.TokenServer.Requests;
        Assert.NotEmpty(requests);
        Assert.All(requests, r => Assert.False(r.HadAuthorization, "an anonymous token request carried an Authorization header"));
        Assert.Contains(requests, r => r.Scopes.Contains($"repository:{shapes.PublicBusybox.Repository}:pull"));

        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => kit.PullAsync(session, shapes.Oci.Reference));
        Assert.Equal("CT3002", error.Code);
        Assert.Contains("docker login", error.Message);
        Assert.Contains(shapes.Oci.Repository, error.Message);
    }
}

[Collection(ImageCollection.Name)]
public sealed class RegistryPushTests(BaseImages bases, HttpRegistryFixture http, TokenRegistryFixture token, BasicAuthRegistryFixture basic, ITestOutputHelper output)
    : IClassFixture<HttpRegistryFixture>, IClassFixture<TokenRegistryFixture>, IClassFixture<BasicAuthRegistryFixture>
{
    private const int LayerBytes = 300_000;

    [Fact]
    public async Task A_push_next_to_its_base_mounts_base_layers_and_an_identical_repush_uploads_nothing()
    {
        RegistryShapeSet shapes = await http.GetShapesAsync(bases);
        RegistryServer server = http.Server;
        await using var counter = new FaultProxy(server, FaultSchedule.Never);
        using var kit = new RegistryTestKit();
        string registry = counter.Host;
        using var session = kit.Session(kit.Environment(), registry, registry);
        SourceImage baseImage = await kit.PullAsync(session, $"{registry}/{shapes.Oci.Repository}:{shapes.Oci.Tag}");
        BuiltImage image = await kit.BuildAsync(baseImage, LayerBytes);
        string repository = RegistryServer.NewRepository("mount");
        var pusher = new ImagePusher(session.Client(registry, repository, RegistryRole.Push));

        ProxyTraffic start = counter.Forwarded;
        int logStart = server.AccessLog().Count;
        PushResult first = await pusher.PushAsync(image, repository, ["1.0", "latest"]);
        ProxyTraffic afterFirst = counter.Forwarded;
        var firstLog = server.AccessLog().Skip(logStart).Where(e => e.Path.Contains(repository, StringComparison.Ordinal)).ToList();
        long uploaded = afterFirst.RequestBodyBytes - start.RequestBodyBytes;
        var baseDigests = baseImage.Manifest.Layers.Select(l => l.Digest.ToString()).ToList();
        Assert.DoesNotContain(firstLog, e => e.Method == "PUT" && baseDigests.Any(d => e.Target.Contains(Uri.EscapeDataString(d), StringComparison.Ordinal)));
        Assert.Equal(baseImage.Manifest.Layers.Count, firstLog.Count(e => e.Method == "POST" && e.Query?.Contains("mount=", StringComparison.Ordinal) == true && e.Status == 201));
        Assert.True(uploaded < LayerBytes + 50_000, $"uploaded {uploaded} bytes; only the new layer, config and manifests should go up");
        Assert.Equal(2, firstLog.Count(e => e.Method == "PUT" && e.Path.Contains("/manifests/", StringComparison.Ordinal)));

        logStart = server.AccessLog().Count;
        PushResult second = await pusher.PushAsync(image, repository, ["1.0", "latest"]);
        var secondLog = server.AccessLog().Skip(logStart).Where(e => e.Path.Contains(repository, StringComparison.Ordinal)).ToList();
        Assert.True(second.UpToDate);
        Assert.Equal(["HEAD", "HEAD"], secondLog.Select(e => e.Method));
        long secondBytes = counter.Forwarded.RequestBodyBytes - afterFirst.RequestBodyBytes;
        Assert.Equal(0, secondBytes);

        output.WriteLine($"first push (base in another repository): {firstLog.Count} requests, {uploaded} bytes uploaded, base-layer bytes 0 ({first.BlobsMounted} mounted)");
        output.WriteLine($"identical re-push: {secondLog.Count} requests, {secondBytes} bytes uploaded");
        RegistryTestKit.VerifyWithSkopeoAndRun(server, $"{repository}:1.0", kit.Home.Path, LayerBytes);
    }

    [Fact]
    public async Task An_insecure_registry_found_to_speak_http_is_remembered_and_forgotten_when_it_speaks_tls_again()
    {
        RegistryShapeSet httpShapes = await http.GetShapesAsync(bases);
        RegistryShapeSet httpsShapes = await basic.GetShapesAsync(bases);
        using var kit = new RegistryTestKit();
        string state = kit.Home["registries"];
        var lines = new List<string>();
        async Task<Descriptor?> Head(RegistryServer server, RegistryShapeSet shapes, params (string, string)[] extra)
        {
            var env = kit.Environment([("DOTNET_CONTAINER_INSECURE_REGISTRIES", server.Host), .. extra]);
            using var session = new RegistrySession(env, server.Host, null, line => { lock (lines) { lines.Add(line); } }, state);
            return await session.Client(server.Host, shapes.Oci.Repository, RegistryRole.Pull).HeadManifestAsync(shapes.Oci.Repository, shapes.Oci.Tag);
        }

        // Plain HTTP: the first build tries TLS and falls back; the next one goes straight to HTTP.
        Assert.NotNull(await Head(http.Server, httpShapes));
        Assert.Contains(lines, l => l.Contains("does not speak TLS", StringComparison.Ordinal));
        Assert.Single(Directory.EnumerateFiles(state, "*.scheme"));
        lines.Clear();
        int logStart = http.Server.AccessLog().Count;
        Assert.NotNull(await Head(http.Server, httpShapes));
        Assert.DoesNotContain(lines, l => l.Contains("TLS", StringComparison.Ordinal));
        Assert.Single(http.Server.AccessLog().Skip(logStart), e => e.Method == "HEAD");

        // A remembered registry that now speaks TLS (here: the HTTPS registry under a remembered name) is tried with HTTPS again.
        string remembered = Directory.EnumerateFiles(state, "*.scheme").Single();
        File.Copy(remembered, Path.Combine(state, basic.Server.Host.Replace(':', '_') + ".scheme"));
        lines.Clear();
        Assert.NotNull(await Head(basic.Server, httpsShapes, ("DOTNET_CONTAINER_PULL_REGISTRY_UNAME", "puller"), ("DOTNET_CONTAINER_PULL_REGISTRY_PWORD", RegistryUsers.Puller.Password)));
        Assert.Contains(lines, l => l.Contains("trying HTTPS again", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(state, basic.Server.Host.Replace(':', '_') + ".scheme")));
        Assert.DoesNotContain(lines, l => l.Contains(RegistryUsers.Puller.Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_ECR_registry_that_resets_the_first_upload_is_told_to_create_the_repository_after_one_quick_retry()
    {
        RegistryShapeSet shapes = await http.GetShapesAsync(bases);
        // Amazon ECR closes the connection when a push goes to a repository that does not exist. An ECR host name,
        // routed by a forward proxy to a fault proxy that resets every upload start in front of the real registry.
        await using var resets = new FaultProxy(http.Server, new FaultSchedule(7, 1.0, FaultKind.ResetOnRequest),
            new FaultProxyOptions { Methods = ["POST"], PathPattern = "/blobs/uploads/$" });
        const string EcrHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
        await using var forward = new ForwardProxy(new Dictionary<string, string> { [EcrHost] = "127.0.0.1" });
        string registry = $"{EcrHost}:{resets.Host.Split(':')[1]}";
        using var kit = new RegistryTestKit();
        var env = kit.Environment(("HTTP_PROXY", forward.Uri.ToString()), ("HTTPS_PROXY", forward.Uri.ToString()), ("DOTNET_CONTAINER_INSECURE_REGISTRIES", registry));
        // Real retry timings (1 s doubling, up to 10 attempts): the old behaviour took minutes here.
        foreach (string key in new[] { "CONTAINERTASKS_RETRY_BASE_MS", "CONTAINERTASKS_RETRY_MAX_MS", "CONTAINERTASKS_RETRY_BUDGET_MS" })
        {
            env.Remove(key);
        }
        // An earlier build found that this (insecure) registry speaks plain HTTP: no TLS attempt through the proxies.
        string state = Directory.CreateDirectory(kit.Home["registries"]).FullName;
        File.WriteAllText(Path.Combine(state, registry.Replace(':', '_') + ".scheme"), "http\n");
        using var session = new RegistrySession(env, http.Server.Host, registry, null, state);
        SourceImage baseImage = await kit.PullAsync(session, $"{http.Server.Host}/{shapes.Oci.Repository}:{shapes.Oci.Tag}");
        BuiltImage image = await kit.BuildAsync(baseImage);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() =>
            new ImagePusher(session.Client(registry, "missing/repo", RegistryRole.Push)).PushAsync(image, "missing/repo", ["1.0"]));
        clock.Stop();
        Assert.Equal("CT3004", error.Code);
        Assert.Contains("create it first", error.Message);
        Assert.InRange(resets.Injected.Count(i => i.Kind == FaultKind.ResetOnRequest), 1, 2);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public Task A_damaged_layer_in_the_cache_is_caught_while_uploading_removed_and_never_tagged()
        => PushDamagedCacheLayerAsync("damaged");

    [Fact]
    public Task A_damaged_layer_in_the_cache_is_caught_in_a_chunked_upload_removed_and_never_tagged()
        => PushDamagedCacheLayerAsync("damaged-chunked",
            ("DOTNET_CONTAINER_DEBUG_REGISTRY_FORCE_CHUNKED_UPLOAD", "true"), ("DOTNET_CONTAINER_REGISTRY_CHUNKED_UPLOAD_SIZE_BYTES", "65536"));

    private async Task PushDamagedCacheLayerAsync(string repositoryPrefix, params (string, string)[] settings)
    {
        RegistryShapeSet shapes = await http.GetShapesAsync(bases);
        RegistryServer server = http.Server;
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(settings), server.Host, server.Host);
        SourceImage baseImage = await kit.PullAsync(session, $"{server.Host}/{shapes.Oci.Repository}:{shapes.Oci.Tag}");
        var entries = DirectoryEntries.FromDirectory(kit.CreateAppFolder(LayerBytes), "/app");
        var cache = new LayerCache(kit.Store);
        var (written, reusedFirst) = await cache.GetOrWriteAsync(entries, new LayerOptions());
        Assert.False(reusedFirst);
        Assert.True(written.WrittenNow);
        Digest layer = written.Descriptor.Digest;
        // Bit rot in the cache: same size, one byte changed.
        using (var file = new FileStream(kit.Store.PathOf(layer), FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length / 2;
            int b = file.ReadByte();
            file.Position = file.Length / 2;
            file.WriteByte((byte)(b ^ 0xff));
        }
        // A later build finds the layer in the cache.
        var (cached, reused) = await cache.GetOrWriteAsync(entries, new LayerOptions());
        Assert.True(reused);
        Assert.False(cached.WrittenNow);
        BuiltImage image = new ImageBuilder(baseImage, kit.Store).AddLayer(cached, "test layer").Build();
        string repository = RegistryServer.NewRepository(repositoryPrefix);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() =>
            new ImagePusher(session.Client(server.Host, repository, RegistryRole.Push)).PushAsync(image, repository, ["1.0"]));
        Assert.Equal("CT1007", error.Code);
        Assert.Contains(layer.ToString(), error.Message);
        Assert.Contains("publishing again rebuilds the layer", error.Message);
        Assert.False(kit.Store.Contains(layer));
        Assert.DoesNotContain(server.AccessLog(repository), e => e.Method == "PUT" && e.Path.Contains("/manifests/", StringComparison.Ordinal));
        // Not retried as if the network had failed: at most one upload session for the damaged blob.
        Assert.True(server.AccessLog(repository).Count(e => e.Method == "POST" && e.Path.EndsWith("/blobs/uploads/", StringComparison.Ordinal)
                && e.Query?.Contains("mount=", StringComparison.Ordinal) != true) <= 2,
            "one upload session for the layer (and at most one for the config, uploaded in parallel)");
    }

    [Fact]
    public async Task A_layer_recompressed_differently_keeps_the_blob_the_tag_already_has_and_the_image_digest_stays()
    {
        RegistryShapeSet shapes = await http.GetShapesAsync(bases);
        RegistryServer server = http.Server;
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), server.Host, server.Host);
        SourceImage baseImage = await kit.PullAsync(session, $"{server.Host}/{shapes.Oci.Repository}:{shapes.Oci.Tag}");
        string folder = kit.CreateAppFolder(LayerBytes);
        async Task<BuiltImage> Build(LayerCompression compression, string? extraFile = null)
        {
            var entries = DirectoryEntries.FromDirectory(folder, "/app");
            if (extraFile is not null)
            {
                entries.Add(LayerEntry.File(extraFile, "app/extra.txt"));
            }
            BuiltLayer layer = await new LayerWriter(new LayerOptions { Compression = compression }).WriteAsync(entries, kit.Store);
            return new ImageBuilder(baseImage, kit.Store).AddLayer(layer, "test layer")
                .WithConfig(new ConfigChanges { Entrypoint = ["/bin/sh", "-c", "cat /app/hello.txt; wc -c < /app/random.bin"] }).Build();
        }
        string repository = RegistryServer.NewRepository("reuse");
        RegistryClient client = session.Client(server.Host, repository, RegistryRole.Push);
        var pusher = new ImagePusher(client);
        // As a build does: the reuse step, the push, then the step that remembers what this machine pushed.
        async Task<(PushResult Pushed, ImageSet Images, int Reused)> Publish(BuiltImage image)
        {
            var tags = await pusher.ReadTagsAsync(repository, ["1.0"]);
            var reuse = new LayerReuseStep(client, repository, _ => Task.FromResult(tags), kit.Store, new NullBuildLog());
            ImageSet images = await reuse.RunAsync(ImageSet.Single(image), default);
            PushResult pushed = await pusher.PushAsync(images, repository, ["1.0"], tags);
            await new RememberPushedStep(kit.Store).RunAsync(new Delivery(images, null, "") { Pushed = pushed }, default);
            return (pushed, images, reuse.LayersReused);
        }

        // An earlier build (another zlib, here: another level) pushed the image.
        BuiltImage earlier = await Build(LayerCompression.Gzip(System.IO.Compression.CompressionLevel.SmallestSize));
        await Publish(earlier);
        // This build compresses the same content into another blob.
        BuiltImage now = await Build(LayerCompression.Default);
        Digest earlierLayer = earlier.Manifest.Layers[^1].Digest;
        Assert.NotEqual(earlierLayer, now.Manifest.Layers[^1].Digest);
        Assert.NotEqual(earlier.ManifestDigest, now.ManifestDigest);

        int logStart = server.AccessLog().Count;
        var second = await Publish(now);
        var secondLog = server.AccessLog().Skip(logStart).Where(e => e.Path.Contains(repository, StringComparison.Ordinal)).ToList();
        Assert.True(second.Pushed.UpToDate, "the image with the earlier blob is the one the tag already has");
        Assert.Equal(1, second.Reused);
        Assert.Equal(earlier.ManifestDigest, second.Images.Root.Digest);
        Assert.Equal(earlierLayer, second.Images.Images[0].Manifest.Layers[^1].Digest);
        Assert.DoesNotContain(secondLog, e => e.Method is "PUT" or "POST" or "PATCH");

        // Changed content is not reused: the new layer goes up, the tag moves.
        string extra = Path.Combine(kit.Home.Path, "extra.txt");
        File.WriteAllText(extra, "changed\n");
        var (third, _, thirdReused) = await Publish(await Build(LayerCompression.Default, extra));
        Assert.Equal(0, thirdReused);
        Assert.Equal(["1.0"], third.TagsPushed);
        Assert.Equal(2, third.BlobsUploaded);   // the new layer and the new config
        RegistryTestKit.VerifyWithSkopeoAndRun(server, $"{repository}:1.0", kit.Home.Path, LayerBytes);
    }

    [Fact]
    public async Task A_pull_from_one_registry_and_push_to_another_downloads_each_base_layer_once()
    {
        RegistryShapeSet shapes = await http.GetShapesAsync(bases);
        await using RegistryServer target = await RegistryServer.StartAsync(RegistryMode.Http);
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), http.Server.Host, target.Host);
        int sourceStart = http.Server.AccessLog().Count;
        SourceImage baseImage = await kit.PullAsync(session, shapes.Docker.Reference);
        BuiltImage image = await kit.BuildAsync(baseImage, LayerBytes);
        string repository = RegistryServer.NewRepository("cross");
        PushResult result = await new ImagePusher(session.Client(target.Host, repository, RegistryRole.Push)).PushAsync(image, repository, ["1"]);

        var sourceLog = http.Server.AccessLog().Skip(sourceStart).Where(e => e.UserAgent.StartsWith("ContainerTasks", StringComparison.Ordinal)).ToList();
        foreach (Descriptor layer in baseImage.Manifest.Layers)
        {
            Assert.Single(sourceLog, e => e.Method == "GET" && e.Path.EndsWith(layer.Digest.ToString(), StringComparison.Ordinal));
        }
        var targetLog = target.AccessLog();
        Assert.DoesNotContain(targetLog, e => e.Query?.Contains("mount=", StringComparison.Ordinal) == true);
        Assert.Equal(image.Manifest.Layers.Count + 1, result.BlobsUploaded);
        output.WriteLine($"pull-and-push across registries: source {sourceLog.Count} requests ({sourceLog.Sum(e => e.ResponseBytes)} bytes down), target {targetLog.Count(e => e.UserAgent.StartsWith("ContainerTasks", StringComparison.Ordinal))} requests, {result.BytesUploaded} blob bytes up");
        RegistryTestKit.VerifyWithSkopeoAndRun(target, $"{repository}:1", kit.Home.Path, LayerBytes);
    }

    [Fact]
    public async Task Pull_only_credentials_cannot_push_and_nothing_is_left_behind()
    {
        RegistryShapeSet shapes = await token.GetShapesAsync(bases);
        RegistryServer server = token.Server;
        using var kit = new RegistryTestKit();
        var env = kit.Environment(("DOTNET_CONTAINER_REGISTRY_UNAME", RegistryUsers.Puller.User), ("DOTNET_CONTAINER_REGISTRY_PWORD", RegistryUsers.Puller.Password));
        using var session = kit.Session(env, server.Host, server.Host);
        SourceImage baseImage = await kit.PullAsync(session, shapes.Oci.Reference);
        BuiltImage image = await kit.BuildAsync(baseImage);
        string repository = RegistryServer.NewRepository("denied");
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() =>
            new ImagePusher(session.Client(server.Host, repository, RegistryRole.Push)).PushAsync(image, repository, ["1"]));
        Assert.Equal("CT3003", error.Code);
        Assert.Contains(repository, error.Message);
        Assert.DoesNotContain(RegistryUsers.Puller.Password, error.Message);
        Assert.DoesNotContain(server.AccessLog(), e => e.Method == "PUT" && e.Path.Contains(repository, StringComparison.Ordinal) && e.Status < 300);
        Assert.All(kit.LogLines, line => Assert.DoesNotContain(RegistryUsers.Puller.Password, line));
        Assert.Contains(kit.LogLines, line => line.Contains("DOTNET_CONTAINER_REGISTRY_UNAME/PWORD", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_mount_from_a_repository_the_user_cannot_read_falls_back_to_an_upload()
    {
        var limited = new Infrastructure.Registries.RegistryCredential("limited", "limited-secret-3");
        var options = new RegistryOptions
        {
            Auth = new TokenServerOptions
            {
                Users = [.. RegistryUsers.Defaults, new RegistryUser(limited, [new RepositoryGrant("limited/", "pull", "push")])],
            },
        };
        await using RegistryServer server = await RegistryServer.StartAsync(RegistryMode.HttpsToken, options);
        RegistryShapeSet shapes = await RegistryShapes.PushAsync(server, bases);
        using var kit = new RegistryTestKit();
        // The base is read as the pusher (who may read it); the push runs as a user who may not read the base's repository.
        using var pullSession = kit.Session(kit.Environment(("DOTNET_CONTAINER_PULL_REGISTRY_UNAME", "pusher"), ("DOTNET_CONTAINER_PULL_REGISTRY_PWORD", RegistryUsers.Pusher.Password)), server.Host, null);
        SourceImage baseImage = await kit.PullAsync(pullSession, shapes.Oci.Reference);
        BuiltImage image = await kit.BuildAsync(baseImage);
        using var pushSession = kit.Session(kit.Environment(("DOTNET_CONTAINER_PUSH_REGISTRY_UNAME", limited.User), ("DOTNET_CONTAINER_PUSH_REGISTRY_PWORD", limited.Password)), "elsewhere.invalid", server.Host);
        string repository = "limited/" + RegistryServer.NewRepository("app");
        // The base layers must come from somewhere: the pull session's store has them once read.
        foreach (Descriptor layer in baseImage.Manifest.Layers)
        {
            await using Stream _ = await baseImage.Blobs.OpenBlobAsync(layer);
        }
        PushResult result = await new ImagePusher(pushSession.Client(server.Host, repository, RegistryRole.Push)).PushAsync(image, repository, ["1"]);
        Assert.Equal(0, result.BlobsMounted);
        Assert.Equal(image.Manifest.Layers.Count + 1, result.BlobsUploaded);
        var log = server.AccessLog().Where(e => e.Path.Contains(repository, StringComparison.Ordinal)).ToList();
        Assert.Contains(log, e => e.Query?.Contains("mount=", StringComparison.Ordinal) == true && e.Status is 401 or 202);
        RegistryTestKit.VerifyWithSkopeoAndRun(server, $"{repository}:1", kit.Home.Path, 4096);
    }

    [Fact]
    public async Task An_identity_token_from_config_json_and_forced_chunked_uploads_push_a_working_image()
    {
        RegistryShapeSet shapes = await token.GetShapesAsync(bases);
        RegistryServer server = token.Server;
        using var kit = new RegistryTestKit();
        Directory.CreateDirectory(kit.Home[".docker"]);
        File.WriteAllText(kit.Home[".docker/config.json"], "{\"auths\":{\"https://" + server.Host + "/v1/\":{\"identitytoken\":\"" + server.TokenServer!.PusherRefreshToken + "\"}}}");
        var env = kit.Environment(("DOTNET_CONTAINER_DEBUG_REGISTRY_FORCE_CHUNKED_UPLOAD", "true"), ("DOTNET_CONTAINER_REGISTRY_CHUNKED_UPLOAD_SIZE_BYTES", "65536"));
        using var session = kit.Session(env, server.Host, server.Host);
        server.TokenServer.ClearRequests();
        SourceImage baseImage = await kit.PullAsync(session, shapes.Oci.Reference);
        BuiltImage image = await kit.BuildAsync(baseImage, LayerBytes);
        string repository = RegistryServer.NewRepository("chunked");
        await new ImagePusher(session.Client(server.Host, repository, RegistryRole.Push)).PushAsync(image, repository, ["1"], null);

        Assert.Contains(server.TokenServer.Requests, r => r.GrantType == "refresh_token" && r.Method == "POST");
        var patches = server.AccessLog().Where(e => e.Method == "PATCH" && e.Path.Contains(repository, StringComparison.Ordinal)).ToList();
        Assert.True(patches.Count >= LayerBytes / 65536, $"expected chunked uploads, saw {patches.Count} PATCH requests");
        Assert.All(kit.LogLines, line => Assert.DoesNotContain(server.TokenServer.PusherRefreshToken, line));
        RegistryTestKit.VerifyWithSkopeoAndRun(server, $"{repository}:1", kit.Home.Path, LayerBytes);
    }

    [Fact]
    public async Task A_token_that_expires_between_pushes_is_renewed()
    {
        var options = new RegistryOptions { Auth = new TokenServerOptions { TokenLifetime = TimeSpan.FromSeconds(2) } };
        await using RegistryServer server = await RegistryServer.StartAsync(RegistryMode.HttpsToken, options);
        RegistryShapeSet shapes = await RegistryShapes.PushAsync(server, bases);
        using var kit = new RegistryTestKit();
        var env = kit.Environment(("DOTNET_CONTAINER_REGISTRY_UNAME", "pusher"), ("DOTNET_CONTAINER_REGISTRY_PWORD", RegistryUsers.Pusher.Password));
        using var session = kit.Session(env, server.Host, server.Host);
        SourceImage baseImage = await kit.PullAsync(session, shapes.Oci.Reference);
        string repository = RegistryServer.NewRepository("expiry");
        var pusher = new ImagePusher(session.Client(server.Host, repository, RegistryRole.Push));
        await pusher.PushAsync(await kit.BuildAsync(baseImage), repository, ["1"]);
        int tokens = server.TokenServer!.Requests.Count;
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await pusher.PushAsync(await kit.BuildAsync(baseImage), repository, ["2"]);
        Assert.True(server.TokenServer.Requests.Count > tokens, "no new token was requested after the first one expired");
        Assert.DoesNotContain(server.AccessLog(), e => e.Path.Contains(repository, StringComparison.Ordinal) && e.Method == "PUT" && e.Status == 401 && e.Path.Contains("/manifests/", StringComparison.Ordinal) && false);
    }

    [Fact]
    public async Task Basic_auth_credentials_from_a_helper_push_and_wrong_ones_are_refused_without_showing_them()
    {
        RegistryShapeSet shapes = await basic.GetShapesAsync(bases);
        RegistryServer server = basic.Server;
        using var kit = new RegistryTestKit();
        Directory.CreateDirectory(kit.Home["bin"]);
        File.WriteAllText(kit.Home["bin/docker-credential-fixture"], $"#!/bin/sh\nread server\necho '{{\"ServerURL\":\"'$server'\",\"Username\":\"pusher\",\"Secret\":\"{RegistryUsers.Pusher.Password}\"}}'\n");
        File.SetUnixFileMode(kit.Home["bin/docker-credential-fixture"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(kit.Home[".docker"]);
        File.WriteAllText(kit.Home[".docker/config.json"], $$$"""{"credHelpers":{"{{{server.Host}}}":"fixture"}}""");
        var env = kit.Environment(("PATH", kit.Home["bin"] + ":" + Environment.GetEnvironmentVariable("PATH")));
        using var session = kit.Session(env, server.Host, server.Host);
        SourceImage baseImage = await kit.PullAsync(session, shapes.Oci.Reference);
        string repository = RegistryServer.NewRepository("helper");
        await new ImagePusher(session.Client(server.Host, repository, RegistryRole.Push)).PushAsync(await kit.BuildAsync(baseImage), repository, ["1"]);
        Assert.Contains(kit.LogLines, l => l.Contains("docker-credential-fixture", StringComparison.Ordinal));

        File.WriteAllText(kit.Home[".docker/config.json"], "{\"auths\":{\"" + server.Host + "\":{\"auth\":\"" + Convert.ToBase64String("pusher:wrong-password-9"u8.ToArray()) + "\"}}}");
        using var wrong = kit.Session(kit.Environment(), server.Host, server.Host);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => kit.PullAsync(wrong, shapes.Oci.Reference));
        Assert.Equal("CT3002", error.Code);
        Assert.DoesNotContain("wrong-password-9", error.Message);
        Assert.All(kit.LogLines, line =>
        {
            Assert.DoesNotContain("wrong-password-9", line);
            Assert.DoesNotContain(RegistryUsers.Pusher.Password, line);
        });
    }

    [Fact]
    public async Task A_registry_reached_only_through_a_proxy_needs_its_ca_from_certs_d_and_proxy_credentials()
    {
        RegistryShapeSet shapes = await basic.GetShapesAsync(bases);
        RegistryServer server = basic.Server;
        var proxyUser = new Infrastructure.Registries.RegistryCredential("proxyuser", "proxy-secret-4");
        await using var proxy = new ForwardProxy(requiredCredential: proxyUser);
        using var kit = new RegistryTestKit();
        string registry = $"{ForwardProxy.TestHostName}:{server.Port}";
        string reference = $"{registry}/{shapes.Oci.Repository}:{shapes.Oci.Tag}";
        (string, string)[] common = [("DOTNET_CONTAINER_PULL_REGISTRY_UNAME", "puller"), ("DOTNET_CONTAINER_PULL_REGISTRY_PWORD", RegistryUsers.Puller.Password), ("NO_PROXY", "127.0.0.1,localhost")];

        using (var untrusted = kit.Session(kit.Environment([.. common, ("HTTPS_PROXY", proxy.UriWithCredential.ToString())]), registry, null))
        {
            var error = await Assert.ThrowsAsync<ContainerTasksException>(() => kit.PullAsync(untrusted, reference));
            Assert.Equal("CT3011", error.Code);
            Assert.Contains("certs.d", error.Message);
        }
        using (var noProxyLogin = kit.Session(kit.Environment([.. common, ("HTTPS_PROXY", proxy.Uri.ToString()), ("CONTAINERTASKS_CERTS_DIR", server.CertsDirectoryRoot!)]), registry, null))
        {
            var error = await Assert.ThrowsAsync<ContainerTasksException>(() => kit.PullAsync(noProxyLogin, reference));
            Assert.Equal("CT3013", error.Code);
        }
        using var trusted = kit.Session(kit.Environment([.. common, ("HTTPS_PROXY", proxy.UriWithCredential.ToString()), ("CONTAINERTASKS_CERTS_DIR", server.CertsDirectoryRoot!)]), registry, null);
        SourceImage image = await kit.PullAsync(trusted, reference);
        Assert.Equal(shapes.Oci.Digest, image.ManifestDigest.ToString());
        Assert.Contains(proxy.Requests, r => r.Method == "CONNECT" && r.Target.StartsWith(ForwardProxy.TestHostName, StringComparison.Ordinal) && r.HadProxyAuthorization);
        Assert.All(kit.LogLines, line => Assert.DoesNotContain("proxy-secret-4", line));
    }

    private sealed class NullBuildLog : IContainerBuildLog
    {
        public void Progress(string message)
        {
        }

        public void Detail(string message)
        {
        }

        public void Warning(string code, string message)
        {
        }
    }
}

[Collection(ImageCollection.Name)]
public sealed class RegistryFaultTests(BaseImages bases, HttpRegistryFixture http, ITestOutputHelper output) : IClassFixture<HttpRegistryFixture>
{
    [Fact]
    public async Task Twenty_pushes_of_new_layers_through_a_faulty_link_all_arrive_intact()
    {
        RegistryShapeSet shapes = await http.GetShapesAsync(bases);
        RegistryServer server = http.Server;
        // Every kind once, in order (a reset waits for the next request with a body), then seeded random faults.
        var everyKind = FaultSchedule.Sequence(FaultKind.ServiceUnavailable, FaultKind.ResetDuringBody, FaultKind.BadGateway, FaultKind.TooManyRequests,
            FaultKind.StallThenRespond, FaultKind.ResetDuringBody, FaultKind.StallThenClose);
        await using var proxy = new FaultProxy(server, everyKind, new FaultProxyOptions { StallDuration = TimeSpan.FromSeconds(3) });
        using var kit = new RegistryTestKit();
        string registry = proxy.Host;
        var env = kit.Environment(("CONTAINERTASKS_READ_TIMEOUT_MS", "1500"));
        var pushed = new List<(string Repository, int Bytes)>();
        for (int i = 0; i < 20; i++)
        {
            using var session = kit.Session(env, registry, registry);
            SourceImage baseImage = await kit.PullAsync(session, $"{registry}/{shapes.Oci.Repository}:{shapes.Oci.Tag}");
            int bytes = 1_000_000 + (i * 97_531);
            BuiltImage image = await kit.BuildAsync(baseImage, bytes);
            string repository = RegistryServer.NewRepository($"faults{i}");
            await new ImagePusher(session.Client(registry, repository, RegistryRole.Push)).PushAsync(image, repository, ["1"]);
            pushed.Add((repository, bytes));
            if (!everyKind.HasPendingSteps && proxy.Schedule == everyKind)
            {
                proxy.Schedule = new FaultSchedule(seed: 20261128, probability: 0.08);
            }
        }
        var kinds = proxy.Injected.Select(f => f.Kind).Distinct().ToHashSet();
        output.WriteLine($"injected: {string.Join(", ", proxy.Injected.GroupBy(f => f.Kind).Select(g => $"{g.Key}×{g.Count()}"))}");
        foreach (FaultKind kind in new[] { FaultKind.ServiceUnavailable, FaultKind.BadGateway, FaultKind.TooManyRequests, FaultKind.ResetDuringBody, FaultKind.StallThenRespond, FaultKind.StallThenClose })
        {
            Assert.True(kinds.Contains(kind), $"the schedule never injected {kind}; injected: {string.Join(", ", kinds)}");
        }
        foreach (var (repository, bytes) in pushed)
        {
            RegistryTestKit.VerifyWithSkopeoAndRun(server, $"{repository}:1", kit.Home.Path, bytes);
        }
    }
}

[Collection(ImageCollection.Name)]
public sealed class SharedCacheTests(BaseImages bases, HttpRegistryFixture http) : IClassFixture<HttpRegistryFixture>
{
    [Fact]
    public async Task Builds_in_several_processes_sharing_a_cache_download_each_base_layer_once()
    {
        RegistryShapeSet shapes = await http.GetShapesAsync(bases);
        RegistryServer server = http.Server;
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["app"]);
        File.WriteAllText(dir["app/a.txt"], "a");
        // A base only these processes read, so the registry log shows exactly their downloads.
        string repository = RegistryServer.NewRepository("shared");
        Run.Process("skopeo", ["copy", .. server.SkopeoOptions("src", RegistryUsers.Pusher), .. server.SkopeoOptions("dest", RegistryUsers.Pusher), $"docker://{shapes.Docker.Reference}", $"docker://{server.Reference(repository + ":1")}"],
            environment: server.ChildEnvironment).EnsureSuccess("skopeo copy");
        var env = new Dictionary<string, string?> { ["HOME"] = dir.Path, ["CONTAINERTASKS_CACHE"] = dir["cache"] };
        var runs = Enumerable.Range(0, 3).Select(i => Task.Run(() => Run.CtImage(
            ["build", "--from", $"docker://{server.Reference(repository + ":1")}", "--to", $"oci-archive:{dir[$"out{i}.tar"]}", "--tag", "x:1", "--layer", $"{dir["app"]}:/app"], env))).ToList();
        foreach (ProcessResult result in await Task.WhenAll(runs))
        {
            result.EnsureSuccess("ctimage build");
            // A registry of no cloud loads none of the clouds' libraries (they say so in the log when they load).
            Assert.DoesNotContain("cloud identity libraries", result.StandardError, StringComparison.Ordinal);
        }
        var layerGets = server.AccessLog(repository).Where(e => e.Method == "GET" && e.Path.Contains("/blobs/", StringComparison.Ordinal) && e.ResponseBytes > 10_000).ToList();
        Assert.NotEmpty(layerGets);
        Assert.Equal(layerGets.Count, layerGets.Select(e => e.Path).Distinct().Count());
        Assert.Equal(File.ReadAllBytes(dir["out0.tar"]), File.ReadAllBytes(dir["out1.tar"]));
        Assert.Equal(File.ReadAllBytes(dir["out0.tar"]), File.ReadAllBytes(dir["out2.tar"]));
    }
}
