using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Registry.Http;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;
using Xunit.Abstractions;

namespace ContainerTasks.Tests;

/// <summary>Registries that send too much, too slowly, nothing at all, or text meant for a terminal.</summary>
public sealed class HostileRegistryTests(ITestOutputHelper output)
{
    private const long HugeBody = 300L * 1024 * 1024;
    private const long BoundedBytes = 64L * 1024 * 1024;
    private const string Repository = "app";

    [Fact]
    public async Task A_manifest_that_never_ends_is_refused_at_its_limit_without_being_buffered()
    {
        await using var server = new HostileServer((_, _) => HostileAnswer.Endless(200, HugeBody, ("Content-Type", MediaTypes.OciManifest)));
        var error = await FailsInBoundedMemoryAsync(server, client => client.GetManifestAsync(Repository, "latest"));
        Assert.Equal("CT3020", error.Code);
        Assert.Contains("4 MiB", error.Message);
        Assert.True(server.BodyBytesSent < BoundedBytes, $"read {server.BodyBytesSent} bytes of a refused manifest");
    }

    [Fact]
    public async Task A_blob_longer_than_its_descriptor_stops_at_its_size_and_leaves_no_partial_file()
    {
        await using var server = new HostileServer((_, _) => HostileAnswer.Endless(200, HugeBody, ("Content-Type", "application/octet-stream")));
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), server.Host, null);
        var layer = new Descriptor(MediaTypes.OciLayerGzip, Digest.Sha256(RandomNumberGenerator.GetBytes(16)), 1024 * 1024);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => new RegistryBlobReader(Client(session, server), Repository, kit.Store).OpenBlobAsync(layer));
        output.WriteLine($"{error.Code}: {error.Message}; server sent {server.BodyBytesSent / 1024 / 1024} MiB");
        Assert.Equal("CT3014", error.Code);
        Assert.Contains("sent more than", error.Message);
        Assert.True(server.BodyBytesSent < BoundedBytes, $"read {server.BodyBytesSent} bytes of a 1 MiB blob");
        Assert.False(kit.Store.Contains(layer.Digest));
        Assert.Empty(Directory.EnumerateFiles(kit.Store.Root, "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_token_answer_that_never_ends_is_refused_without_being_buffered()
    {
        HostileServer? self = null;
        await using var server = self = new HostileServer((_, path) => path == "/token"
            ? HostileAnswer.Endless(200, HugeBody, ("Content-Type", "application/json"))
            : HostileAnswer.Fixed(401, "", ("WWW-Authenticate", $"Bearer realm=\"http://{self!.Host}/token\",service=\"hostile\"")));
        var error = await FailsInBoundedMemoryAsync(server, client => client.HeadManifestAsync(Repository, "latest"));
        Assert.Equal("CT3020", error.Code);
        Assert.Contains("token", error.Message);
    }

    [Fact]
    public async Task An_error_answer_that_never_ends_still_reports_its_status_without_being_buffered()
    {
        await using var server = new HostileServer((_, _) => HostileAnswer.Endless(400, HugeBody, ("Content-Type", "application/json")));
        var error = await FailsInBoundedMemoryAsync(server, client => client.GetManifestAsync(Repository, "latest"));
        Assert.Equal("CT3006", error.Code);
        Assert.Contains("400", error.Message);
    }

    [Fact]
    public async Task Registry_error_text_with_terminal_escapes_and_newlines_is_cleaned_and_capped_before_it_reaches_a_message()
    {
        string hostile = "\u001b[2J\u001b[31mgo away\r\nCT0000: fake line\u0007\u009b" + new string('x', 10_000);
        string body = $$"""{"errors":[{"code":"DENIED\u001b]0;title\u0007","message":"{{System.Text.Encodings.Web.JavaScriptEncoder.Default.Encode(hostile)}}"}]}""";
        await using var server = new HostileServer((_, _) => HostileAnswer.Fixed(400, body, ("Content-Type", "application/json")));
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), server.Host, null);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => Client(session, server).GetManifestAsync(Repository, "latest"));
        output.WriteLine(error.Message);
        Assert.Equal("CT3006", error.Code);
        Assert.Contains("go away", error.Message);
        Assert.DoesNotContain(error.Message, char.IsControl);
        Assert.True(error.Message.Length < 2000, $"a message of {error.Message.Length} characters");
    }

    [Theory]
    [InlineData("localhost:{free port}", "refused", "ContainerRegistry")]
    [InlineData("registry.containertasks.invalid:5000", "DNS", "registry.containertasks.invalid")]
    public async Task A_closed_port_or_an_unknown_name_fails_within_seconds_naming_the_cause_after_retries_shown_at_normal_verbosity(string registry, string cause, string named)
    {
        using var kit = new RegistryTestKit();
        using var closed = Sockets.ClosedPort(out int port);
        registry = registry.Replace("{free port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var error = await HeadFailsWithinSecondsAsync(kit, registry);
        Assert.Equal("CT3001", error.Code);
        Assert.Contains(cause, error.Message);
        Assert.Contains(named, error.Message);
        AssertRetriesShown(kit, cause);
    }

    [Fact]
    public async Task A_token_service_nothing_listens_on_fails_within_seconds_with_its_retries_shown()
    {
        using var closed = Sockets.ClosedPort(out int tokenPort);
        await using var server = new HostileServer((_, _) => HostileAnswer.Fixed(401, "", ("WWW-Authenticate", $"Bearer realm=\"http://127.0.0.1:{tokenPort}/token\",service=\"hostile\"")));
        using var kit = new RegistryTestKit();
        var error = await HeadFailsWithinSecondsAsync(kit, server.Host);
        Assert.Equal("CT3001", error.Code);
        Assert.Contains("token service", error.Message);
        AssertRetriesShown(kit, "refused");
    }

    [Fact]
    public async Task A_registry_that_accepts_connections_and_never_answers_fails_in_well_under_a_minute()
    {
        await using var server = new HostileServer((_, _) => HostileAnswer.Silent);
        using var kit = new RegistryTestKit();
        var error = await HeadFailsWithinSecondsAsync(kit, server.Host);
        Assert.Equal("CT3010", error.Code);
        Assert.Contains("did not answer", error.Message);
        AssertRetriesShown(kit, "no answer");
    }

    [Fact]
    public async Task A_registry_that_stops_answering_midway_is_given_up_on_within_the_retry_budget()
    {
        // It answers once (so it is known to be there), then holds every request.
        int seen = 0;
        await using var server = new HostileServer((_, _) => Interlocked.Increment(ref seen) == 1 ? HostileAnswer.Fixed(404, "") : HostileAnswer.Silent);
        using var kit = new RegistryTestKit();
        var env = kit.Environment(("CONTAINERTASKS_READ_TIMEOUT_MS", "2000"), ("CONTAINERTASKS_RETRY_BUDGET_MS", "5000"));
        using var session = kit.Session(env, server.Host, null);
        RegistryClient client = Client(session, server);
        Assert.Null(await client.HeadManifestAsync(Repository, "latest"));
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => client.GetManifestAsync(Repository, "latest"));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s, {server.Requests} requests: {error}");
        Assert.Equal("CT3010", error.Code);
        // Was 10 attempts of a full read timeout each (here 20 s; by default 20 minutes).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_registry_that_restarts_after_it_answered_is_retried_until_it_is_back_not_given_up_on_as_unreachable()
    {
        HostileAnswer NotFound(string method, string path) => HostileAnswer.Fixed(404, "");
        var first = new HostileServer(NotFound);
        using var kit = new RegistryTestKit();
        // Shipped backoff; a tiny unreachable budget, which must not apply to a registry that has answered.
        var env = DefaultTimings(kit.Environment(("CONTAINERTASKS_UNREACHABLE_BUDGET_MS", "500")));
        using var session = kit.Session(env, first.Host, null);
        RegistryClient client = Client(session, first);
        Assert.Null(await client.HeadManifestAsync(Repository, "before"));
        await first.DisposeAsync();
        Task<HostileServer> restarted = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            return new HostileServer(NotFound, first.Port);
        });
        Assert.Null(await client.HeadManifestAsync(Repository, "after"));
        await using HostileServer second = await restarted;
        Assert.True(second.Requests >= 1);
        Assert.Contains(kit.NoticeLines, l => l.Contains("refused", StringComparison.Ordinal) && l.Contains("retrying", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_blob_download_that_trickles_forever_ends_within_its_budget_and_leaves_no_partial_file()
    {
        await using var server = new HostileServer((_, _) => HostileAnswer.Trickle(200, TimeSpan.FromMilliseconds(100), ("Content-Type", "application/octet-stream")));
        using var kit = new RegistryTestKit();
        var env = kit.Environment(("CONTAINERTASKS_READ_TIMEOUT_MS", "2000"), ("CONTAINERTASKS_RETRY_BUDGET_MS", "3000"));
        using var session = kit.Session(env, server.Host, null);
        // 256 KiB: the budget allows one more second to transfer it.
        var layer = new Descriptor(MediaTypes.OciLayerGzip, Digest.Sha256(RandomNumberGenerator.GetBytes(16)), 256 * 1024);
        var (error, elapsed) = await FailsWithinAsync(() => new RegistryBlobReader(Client(session, server), Repository, kit.Store).OpenBlobAsync(layer));
        output.WriteLine($"{elapsed.TotalSeconds:0.0} s: {error}");
        Assert.Equal("CT3010", error.Code);
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"took {elapsed}");
        Assert.Empty(Directory.EnumerateFiles(kit.Store.Root, "*.partial", SearchOption.AllDirectories));
    }

    // A body of HugeBody bytes must cost far less: it is not buffered.
    private async Task<ContainerTasksException> FailsInBoundedMemoryAsync(HostileServer server, Func<RegistryClient, Task> action)
    {
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), server.Host, null);
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => action(Client(session, server)));
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        output.WriteLine($"{error.Code}: {error.Message}; allocated {allocated / 1024 / 1024} MiB");
        Assert.True(allocated < BoundedBytes, $"allocated {allocated} bytes while refusing a body of {HugeBody}");
        return error;
    }

    [Fact]
    public async Task A_blob_redirected_to_another_host_is_fetched_there_without_the_registry_credentials()
    {
        string text = Convert.ToHexString(RandomNumberGenerator.GetBytes(4096)); // the test server sends text bodies
        byte[] blob = Encoding.UTF8.GetBytes(text);
        var layer = new Descriptor(MediaTypes.OciLayerGzip, Digest.Sha256(blob), blob.Length);
        await using var cdn = new HostileServer((_, _) => HostileAnswer.Fixed(200, text, ("Content-Type", "application/octet-stream")));
        await using var registry = new HostileServer((_, path) => path.Contains("/blobs/", StringComparison.Ordinal)
            ? HostileAnswer.Fixed(307, "", ("Location", $"http://{cdn.Host}/storage/blob?signature=abc"))
            : HostileAnswer.Fixed(200, "{}", ("Content-Type", "application/json"))) { RequireBasicAuthorization = true };
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(("DOTNET_CONTAINER_REGISTRY_UNAME", "builder"), ("DOTNET_CONTAINER_REGISTRY_PWORD", "s3cret-pass")), registry.Host, registry.Host);
        await using (Stream stream = await new RegistryBlobReader(Client(session, registry), Repository, kit.Store).OpenBlobAsync(layer))
        {
            await stream.CopyToAsync(Stream.Null);
        }
        Assert.True(kit.Store.Contains(layer.Digest));
        Assert.Contains(registry.Seen, r => r.Path.Contains("/blobs/", StringComparison.Ordinal) && r.HadAuthorization);
        Assert.Contains(cdn.Seen, r => r.Path == "/storage/blob");
        Assert.All(cdn.Seen, r => Assert.False(r.HadAuthorization, "the registry's credentials were sent to the redirect target"));
    }

    [Fact]
    public void A_descriptor_claiming_an_absurd_size_gets_a_bounded_time_not_an_overflow()
    {
        var settings = RegistrySettings.FromEnvironment(new Dictionary<string, string>());
        foreach (long size in new[] { long.MaxValue, 1L << 62, 1L << 40 })
        {
            var policy = new RetryPolicy(settings, bodyBytes: size);
            TimeSpan attempt = policy.AttemptTimeout(heardFrom: true);
            Assert.True(attempt <= RetryPolicy.MaxTransfer + settings.ReadTimeout + settings.RetryBudget, $"{attempt} for {size} bytes");
            using CancellationTokenSource deadline = policy.Deadline(CancellationToken.None);
            using var timeout = new CancellationTokenSource();
            timeout.CancelAfter(attempt);
        }
    }

    private static RegistryClient Client(RegistrySession session, HostileServer server) => session.Client(server.Host, Repository, RegistryRole.Pull);

    // The shipped retry timings, not the test kit's fast ones: what a user waits.
    private static Dictionary<string, string> DefaultTimings(Dictionary<string, string> env)
    {
        foreach (string key in new[] { "CONTAINERTASKS_RETRY_BASE_MS", "CONTAINERTASKS_RETRY_MAX_MS", "CONTAINERTASKS_RETRY_BUDGET_MS", "CONTAINERTASKS_READ_TIMEOUT_MS" })
        {
            env.Remove(key);
        }
        return env;
    }

    // With the shipped timings: how a user meets a registry that cannot be reached.
    private async Task<ContainerTasksException> HeadFailsWithinSecondsAsync(RegistryTestKit kit, string registry)
    {
        using var session = kit.Session(DefaultTimings(kit.Environment()), registry, null);
        var (error, elapsed) = await FailsWithinAsync(() => session.Client(registry, Repository, RegistryRole.Pull).HeadManifestAsync(Repository, "latest"));
        output.WriteLine($"{elapsed.TotalSeconds:0.0} s: {error}\n{string.Join('\n', kit.NoticeLines)}");
        return error;
    }

    // Generous bound; the old behaviour took about two minutes (refused, DNS) and twenty (silent).
    private static async Task<(ContainerTasksException Error, TimeSpan Elapsed)> FailsWithinAsync(Func<Task> action)
    {
        var limit = TimeSpan.FromSeconds(40);
        var clock = Stopwatch.StartNew();
        Task run = action();
        Assert.True(await Task.WhenAny(run, Task.Delay(limit)) == run, $"still waiting after {limit.TotalSeconds} s");
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => run);
        return (error, clock.Elapsed);
    }

    private static void AssertRetriesShown(RegistryTestKit kit, string cause)
    {
        var retries = kit.NoticeLines.Where(l => l.Contains("retrying", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(retries);
        Assert.All(retries, l => Assert.Contains(cause, l));
    }
}
