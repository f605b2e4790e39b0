using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>Proves the registry test infrastructure: real registries in each mode, the token server, the proxies.</summary>
public sealed class RegistryFixtureTests(HttpRegistryFixture http, BasicAuthRegistryFixture basic, TokenRegistryFixture token)
    : IClassFixture<HttpRegistryFixture>, IClassFixture<BasicAuthRegistryFixture>, IClassFixture<TokenRegistryFixture>
{
    [Fact]
    public async Task Http_registry_answers_v2_and_logs_requests()
    {
        RegistryServer server = http.Server;
        using HttpClient client = server.CreateHttpClient();
        string repository = RegistryServer.NewRepository();

        using HttpResponseMessage v2 = await client.GetAsync("/v2/");
        using HttpResponseMessage start = await client.PostAsync($"/v2/{repository}/blobs/uploads/", null);

        Assert.Equal(HttpStatusCode.OK, v2.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        // Distribution answers with an absolute Location built from the Host header.
        Assert.StartsWith($"http://{server.Host}/v2/{repository}/blobs/uploads/", start.Headers.Location!.ToString(), StringComparison.Ordinal);
        AccessLogEntry logged = Assert.Single(server.AccessLog(repository));
        Assert.Equal(("POST", 202, 0L), (logged.Method, logged.Status, logged.ResponseBytes));
        Assert.Contains(server.AccessLog(), e => e is { Method: "GET", Target: "/v2/", Status: 200, ResponseBytes: 2 });
        Assert.True(File.Exists(server.AccessLogPath));
    }

    [Fact]
    public async Task Basic_registry_needs_credentials_over_https_trusted_through_the_ca_bundle()
    {
        RegistryServer server = basic.Server;
        using HttpClient anonymous = server.CreateHttpClient();
        using HttpClient pusher = server.CreateHttpClient(RegistryUsers.Pusher);
        using HttpClient wrong = server.CreateHttpClient(RegistryUsers.Puller with { Password = "wrong" });

        using HttpResponseMessage none = await anonymous.GetAsync("/v2/");
        using HttpResponseMessage good = await pusher.GetAsync("/v2/");
        using HttpResponseMessage bad = await wrong.GetAsync("/v2/");

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Basic", none.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        // A child process trusts the registry through the CA bundle (ChildEnvironment), under every name of the certificate.
        Assert.Equal("200", Curl(server, "-u", RegistryUsers.Puller.SkopeoCreds, $"https://localhost:{server.Port}/v2/"));
        Assert.Equal("401", Curl(server, $"https://127.0.0.1:{server.Port}/v2/"));
        Assert.Equal("200", Curl(server, "-u", RegistryUsers.Pusher.SkopeoCreds, "--resolve", $"registry.test:{server.Port}:127.0.0.1",
            $"https://registry.test:{server.Port}/v2/"));
    }

    [Fact]
    public async Task Token_registry_challenges_and_the_token_server_grants_only_what_users_may()
    {
        RegistryServer server = token.Server;
        TokenServer tokens = server.TokenServer!;
        using HttpClient plain = new();
        using HttpClient unauthenticated = server.CreateHttpClient();

        using HttpResponseMessage challenge = await unauthenticated.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        AuthenticationHeaderValue bearer = challenge.Headers.WwwAuthenticate.Single();
        Assert.Equal("Bearer", bearer.Scheme);
        Assert.Contains($"realm=\"{tokens.Realm}\"", bearer.Parameter, StringComparison.Ordinal);

        // Several scopes: repeated parameters and a space-separated list, in one request.
        string repository = RegistryServer.NewRepository("private");
        JsonElement puller = await GetTokenAsync(plain, tokens, RegistryUsers.Puller,
            $"repository:{repository}:pull,push", "repository:public/a:pull repository:other/b:push");
        Assert.Equal(["pull"], Actions(puller, repository));
        Assert.Equal(["pull"], Actions(puller, "public/a"));
        Assert.Empty(Actions(puller, "other/b"));

        JsonElement pusher = await GetTokenAsync(plain, tokens, RegistryUsers.Pusher, $"repository:{repository}:pull,push");
        Assert.Equal(["pull", "push"], Actions(pusher, repository));

        JsonElement anonymous = await GetTokenAsync(plain, tokens, null, $"repository:{repository}:pull", "repository:public/busybox:pull,push");
        Assert.Empty(Actions(anonymous, repository));
        Assert.Equal(["pull"], Actions(anonymous, "public/busybox"));
        // (The token server is shared: pick this test's request by its unique repository.)
        TokenRequest anonymousRequest = tokens.Requests.Last(r => r.Scopes.Contains($"repository:{repository}:pull"));
        Assert.False(anonymousRequest.HadAuthorization);
        Assert.Null(anonymousRequest.User);
        Assert.Equal(2, anonymousRequest.Scopes.Count);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, $"{tokens.Realm}?service=test-registry&scope=repository:{repository}:pull");
        wrong.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("pusher:nope")));
        using HttpResponseMessage rejected = await plain.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);

        // The registry enforces the grants: a puller's token cannot start an upload, an anonymous one cannot read.
        using HttpClient asPuller = await server.CreateAuthorizedClientAsync(RegistryUsers.Puller, $"repository:{repository}:pull,push");
        using HttpResponseMessage upload = await asPuller.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Unauthorized, upload.StatusCode);
        Assert.Contains("insufficient_scope", upload.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
        using HttpClient asAnonymous = await server.CreateAuthorizedClientAsync(null, $"repository:{repository}:pull");
        using HttpResponseMessage read = await asAnonymous.GetAsync($"/v2/{repository}/tags/list");
        Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
        using HttpClient asPusher = await server.CreateAuthorizedClientAsync(RegistryUsers.Pusher, $"repository:{repository}:pull,push");
        using HttpResponseMessage allowed = await asPusher.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, allowed.StatusCode);
    }

    [Fact]
    public async Task Token_server_speaks_oauth2_password_and_refresh_token_grants()
    {
        TokenServer tokens = token.Server.TokenServer!;
        using HttpClient plain = new();
        string repository = RegistryServer.NewRepository();

        using HttpResponseMessage password = await plain.PostAsync(tokens.Realm, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = "pusher", ["password"] = "push-secret-1", ["service"] = "test-registry",
            ["client_id"] = "tests", ["access_type"] = "offline", ["scope"] = $"repository:{repository}:pull,push repository:x/y:pull",
        }));
        JsonElement issued = await JsonAsync(password);
        Assert.Equal(["pull", "push"], Actions(Jwt.Claims(issued.GetProperty("access_token").GetString()!), repository));
        Assert.StartsWith("rt-", issued.GetProperty("refresh_token").GetString(), StringComparison.Ordinal);

        using HttpResponseMessage refresh = await plain.PostAsync(tokens.Realm, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = tokens.PusherRefreshToken, ["service"] = "test-registry",
            ["client_id"] = "tests", ["scope"] = $"repository:{repository}:push",
        }));
        JsonElement refreshed = await JsonAsync(refresh);
        Assert.Equal(300, refreshed.GetProperty("expires_in").GetInt32());
        Assert.True(refreshed.TryGetProperty("issued_at", out _));
        Assert.Equal("pusher", Jwt.Claims(refreshed.GetProperty("token").GetString()!).GetProperty("sub").GetString());

        using HttpResponseMessage unknown = await plain.PostAsync(tokens.Realm, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = "rt-made-up", ["service"] = "test-registry",
        }));
        using HttpResponseMessage badPassword = await plain.PostAsync(tokens.Realm, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = "puller", ["password"] = "push-secret-1", ["service"] = "test-registry",
        }));
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, badPassword.StatusCode);
        Assert.Contains(tokens.Requests, r => r is { GrantType: "refresh_token", User: "pusher", Status: 200 });
    }

    [Fact]
    public async Task Short_token_lifetimes_expire_at_the_registry_too()
    {
        var options = new RegistryOptions { Auth = new TokenServerOptions { TokenLifetime = TimeSpan.FromSeconds(2) } };
        await using RegistryServer server = await RegistryServer.StartAsync(RegistryMode.HttpsToken, options);
        using HttpClient client = await server.CreateAuthorizedClientAsync(RegistryUsers.Puller, "repository:x/y:pull");

        using HttpResponseMessage fresh = await client.GetAsync("/v2/");
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        using HttpResponseMessage expired = await client.GetAsync("/v2/");

        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
    }

    [Fact]
    public async Task Registry_starts_quickly_and_cleans_up()
    {
        var clock = Stopwatch.StartNew();
        RegistryServer server = await RegistryServer.StartAsync(RegistryMode.HttpsBasic);
        TimeSpan started = clock.Elapsed;
        string storage = server.StorageDirectory;
        await server.DisposeAsync();

        // Typically 50-150 ms once the process is warm; generous here because other test classes may load the machine.
        Assert.True(started < TimeSpan.FromSeconds(5), $"start took {started}");
        Assert.False(Directory.Exists(Path.GetDirectoryName(storage)));
    }

    [Fact]
    public async Task Fault_proxy_injects_each_status_fault_and_stalls()
    {
        await using var proxy = new FaultProxy(http.Server, FaultSchedule.Sequence(
            FaultKind.ServiceUnavailable, FaultKind.None, FaultKind.BadGateway, FaultKind.TooManyRequests, FaultKind.StallThenRespond, FaultKind.StallThenClose),
            new FaultProxyOptions { StallDuration = TimeSpan.FromSeconds(0.5), PathPattern = "^/v2/$" });
        using var client = new HttpClient { BaseAddress = proxy.BaseUri };

        using HttpResponseMessage unavailable = await client.GetAsync("/v2/");
        using HttpResponseMessage passed = await client.GetAsync("/v2/");
        using HttpResponseMessage badGateway = await client.GetAsync("/v2/");
        using HttpResponseMessage tooMany = await client.GetAsync("/v2/");
        var clock = Stopwatch.StartNew();
        using HttpResponseMessage stalled = await client.GetAsync("/v2/");
        TimeSpan stall = clock.Elapsed;
        // With a body: when a connection closes before any response byte, .NET's handler silently retries a request
        // without content (up to 3 times, on new connections), so a client would not see this fault on a GET.
        await Assert.ThrowsAsync<HttpRequestException>(() => client.PutAsync("/v2/", new ByteArrayContent([1, 2, 3])));
        using HttpResponseMessage after = await client.GetAsync("/v2/");

        Assert.Equal([503, 200, 502, 429, 200, 200], new[] { unavailable, passed, badGateway, tooMany, stalled, after }.Select(r => (int)r.StatusCode));
        Assert.Equal(TimeSpan.FromSeconds(1), tooMany.Headers.RetryAfter!.Delta);
        Assert.True(stall >= TimeSpan.FromSeconds(0.45), $"stall {stall}");
        Assert.Equal([FaultKind.ServiceUnavailable, FaultKind.BadGateway, FaultKind.TooManyRequests, FaultKind.StallThenRespond, FaultKind.StallThenClose],
            proxy.Injected.Select(i => i.Kind));
        Assert.All(proxy.Injected.SkipLast(1), i => Assert.Equal(("GET", "/v2/"), (i.Method, i.Path)));
        Assert.Equal(("PUT", "/v2/"), (proxy.Injected[^1].Method, proxy.Injected[^1].Path));
        // The three status faults never reached the registry; the stalls did.
        Assert.Equal(4, proxy.Forwarded.Requests);
    }

    [Fact]
    public async Task Fault_proxy_resets_upload_bodies_and_keeps_locations_on_the_proxy()
    {
        await using var proxy = new FaultProxy(http.Server, FaultSchedule.Sequence(FaultKind.ResetDuringBody),
            new FaultProxyOptions { Methods = ["PATCH"] });
        using var client = new HttpClient { BaseAddress = proxy.BaseUri };
        string repository = RegistryServer.NewRepository();

        using HttpResponseMessage start = await client.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        Uri location = start.Headers.Location!;
        Assert.Equal(proxy.Host, location.Authority);   // follow-up requests go through the proxy too
        await Assert.ThrowsAsync<HttpRequestException>(() => client.PatchAsync(location, Octets(new byte[300_000])));

        // A chunked PATCH on a fresh session passes (the schedule is used up) and is counted.
        using HttpResponseMessage restart = await client.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        var chunked = Octets(new byte[70_000]);
        chunked.Headers.ContentLength = null;
        using var patch = new HttpRequestMessage(HttpMethod.Patch, restart.Headers.Location) { Content = chunked };
        patch.Headers.TransferEncodingChunked = true;
        using HttpResponseMessage patched = await client.SendAsync(patch);

        Assert.Equal(HttpStatusCode.Accepted, patched.StatusCode);
        Assert.Equal("0-69999", patched.Headers.GetValues("Range").Single());
        FaultInjection reset = Assert.Single(proxy.Injected);
        Assert.Equal((FaultKind.ResetDuringBody, "PATCH"), (reset.Kind, reset.Method));
        ProxyExchange resetExchange = proxy.Exchanges.Single(e => e.Fault == FaultKind.ResetDuringBody);
        Assert.Equal(150_000, resetExchange.RequestBodyBytes);   // half the body, then RST
        Assert.Contains(proxy.Exchanges, e => e is { Method: "PATCH", RequestBodyBytes: 70_000, Status: 202 });
    }

    [Fact]
    public async Task Fault_proxy_schedule_is_reproducible_from_its_seed()
    {
        async Task<string> RunAsync()
        {
            await using var proxy = new FaultProxy(http.Server, new FaultSchedule(seed: 7, probability: 0.5,
                FaultKind.ServiceUnavailable, FaultKind.BadGateway, FaultKind.TooManyRequests));
            using var client = new HttpClient { BaseAddress = proxy.BaseUri };
            var statuses = new List<int>();
            for (int i = 0; i < 12; i++)
            {
                using HttpResponseMessage response = await client.GetAsync("/v2/");
                statuses.Add((int)response.StatusCode);
            }
            Assert.Equal(statuses.Count(s => s != 200), proxy.Injected.Count);
            return string.Join(',', statuses);
        }

        string first = await RunAsync();
        string second = await RunAsync();

        Assert.Equal(first, second);
        Assert.Contains("200", first, StringComparison.Ordinal);
        Assert.Matches("50[23]|429", first);
    }

    [Fact]
    public async Task Forward_proxy_resolves_the_test_host_for_plain_requests_and_tunnels()
    {
        await using var open = new ForwardProxy();
        using var viaOpen = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy(open.Uri), UseProxy = true });
        using HttpResponseMessage plain = await viaOpen.GetAsync($"http://registry.test:{http.Server.Port}/v2/");
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        ForwardProxyRequest forwarded = Assert.Single(await RecordedAsync(open, 1));
        Assert.Equal(("GET", $"registry.test:{http.Server.Port}", $"127.0.0.1:{http.Server.Port}", "/v2/"),
            (forwarded.Method, forwarded.Target, forwarded.ConnectedTo, forwarded.Path));

        RegistryServer https = basic.Server;
        var credential = new RegistryCredential("proxy-user", "proxy-secret");
        await using var guarded = new ForwardProxy(requiredCredential: credential);
        using var unauthenticated = new HttpClient(Handler(https, new WebProxy(guarded.Uri)));
        await Assert.ThrowsAsync<HttpRequestException>(() => unauthenticated.GetAsync($"https://registry.test:{https.Port}/v2/"));
        Assert.Equal(407, Assert.Single(await RecordedAsync(guarded, 1)).Status);

        var proxy = new WebProxy(guarded.Uri) { Credentials = new NetworkCredential(credential.User, credential.Password) };
        using var authenticated = new HttpClient(Handler(https, proxy));
        authenticated.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", RegistryUsers.Pusher.BasicHeader);
        using HttpResponseMessage tunnelled = await authenticated.GetAsync($"https://registry.test:{https.Port}/v2/");
        Assert.Equal(HttpStatusCode.OK, tunnelled.StatusCode);
        Assert.Contains(guarded.Requests, r => r is { Method: "CONNECT", Status: 200, HadProxyAuthorization: true }
            && r.Target == $"registry.test:{https.Port}");

        // A child process goes the same way with HTTPS_PROXY (the name resolves nowhere else).
        var environment = new Dictionary<string, string?>(https.ChildEnvironment) { ["HTTPS_PROXY"] = guarded.UriWithCredential.ToString() };
        ProcessResult curl = Run.Process("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", RegistryUsers.Puller.SkopeoCreds,
            $"https://registry.test:{https.Port}/v2/"], environment: environment);
        Assert.Equal("200", curl.StandardOutput);
    }

    // ------------------------------------------------------------------ helpers

    // The proxy records an exchange after the client has its answer; wait briefly for the record.
    private static async Task<IReadOnlyList<ForwardProxyRequest>> RecordedAsync(ForwardProxy proxy, int count)
    {
        for (int i = 0; i < 100 && proxy.Requests.Count < count; i++)
        {
            await Task.Delay(20);
        }
        return proxy.Requests;
    }

    private static string Curl(RegistryServer server, params string[] arguments)
        => Run.Process("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", .. arguments], environment: server.ChildEnvironment).StandardOutput;

    private static SocketsHttpHandler Handler(RegistryServer server, IWebProxy proxy)
    {
        X509Certificate2 ca = server.LoadCaCertificate();
        return new SocketsHttpHandler
        {
            Proxy = proxy,
            UseProxy = true,
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { ca },
                    RevocationMode = X509RevocationMode.NoCheck,   // the test CA publishes no revocation lists
                },
            },
        };
    }

    private static ByteArrayContent Octets(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/octet-stream");
        return content;
    }

    private static async Task<JsonElement> GetTokenAsync(HttpClient client, TokenServer tokens, RegistryCredential? credential, params string[] scopes)
    {
        string query = "service=test-registry" + string.Concat(scopes.Select(s => "&scope=" + Uri.EscapeDataString(s)));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{tokens.Realm}?{query}");
        if (credential is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", credential.BasicHeader);
        }
        using HttpResponseMessage response = await client.SendAsync(request);
        JsonElement body = await JsonAsync(response);
        Assert.Equal(body.GetProperty("token").GetString(), body.GetProperty("access_token").GetString());
        return Jwt.Claims(body.GetProperty("token").GetString()!);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static string[] Actions(JsonElement claims, string repository)
        => claims.GetProperty("access").EnumerateArray()
            .Where(a => a.GetProperty("type").GetString() == "repository" && a.GetProperty("name").GetString() == repository)
            .SelectMany(a => a.GetProperty("actions").EnumerateArray().Select(x => x.GetString()!))
            .ToArray();
}

/// <summary>The test bases in every registry shape, pushed with skopeo (needs the image collection's base builds).</summary>
[Collection(ImageCollection.Name)]
public sealed class RegistryShapesFixtureTests(BaseImages bases, HttpRegistryFixture http, TokenRegistryFixture token)
    : IClassFixture<HttpRegistryFixture>, IClassFixture<TokenRegistryFixture>
{
    [Theory]
    [InlineData(RegistryMode.Http)]
    [InlineData(RegistryMode.HttpsToken)]
    public async Task Shapes_are_pushed_with_the_right_media_types(RegistryMode mode)
    {
        SharedRegistryFixture fixture = mode == RegistryMode.Http ? http : token;
        RegistryShapeSet shapes = await fixture.GetShapesAsync(bases);

        Assert.Equal((RegistryShapes.OciManifest, null), (shapes.Oci.MediaType, shapes.Oci.MediaTypeField));
        Assert.Equal((RegistryShapes.DockerManifest, RegistryShapes.DockerManifest), (shapes.Docker.MediaType, shapes.Docker.MediaTypeField));
        Assert.Equal((RegistryShapes.OciIndex, RegistryShapes.OciIndex), (shapes.OciIndex.MediaType, shapes.OciIndex.MediaTypeField));
        Assert.Equal((RegistryShapes.DockerManifestList, RegistryShapes.DockerManifestList), (shapes.DockerList.MediaType, shapes.DockerList.MediaTypeField));
        Assert.Equal([RegistryShapes.Amd64, RegistryShapes.Arm64, RegistryShapes.ArmV7, RegistryShapes.Attestation], shapes.OciIndex.Children.Keys);
        Assert.Equal([RegistryShapes.Amd64, RegistryShapes.Arm64, RegistryShapes.ArmV7], shapes.DockerList.Children.Keys);
        Assert.Equal(shapes.Oci.Digest, shapes.OciIndex.Children[RegistryShapes.Amd64]);   // the index reuses the base manifest
        Assert.Equal(shapes.Oci.Digest, shapes.PublicBusybox.Digest);
        Assert.Equal(4, shapes.OciIndex.Children.Values.Distinct().Count());

        RegistryServer server = fixture.Server;
        string arm64 = Run.Process("skopeo", ["inspect", "--config", "--override-arch", "arm64", "--override-variant", "v8",
                .. server.SkopeoOptions("", RegistryUsers.Puller), $"docker://{shapes.DockerList.Reference}"], environment: server.ChildEnvironment)
            .EnsureSuccess("skopeo inspect --config").StandardOutput;
        Assert.Equal("arm64", JsonDocument.Parse(arm64).RootElement.GetProperty("architecture").GetString());
        string attestation = Run.Process("skopeo", ["inspect", "--raw", .. server.SkopeoOptions("", RegistryUsers.Puller),
                $"docker://{server.Reference("shapes/oci-index")}@{shapes.OciIndex.Children[RegistryShapes.Attestation]}"], environment: server.ChildEnvironment)
            .EnsureSuccess("skopeo inspect --raw attestation").StandardOutput;
        Assert.Contains("application/vnd.in-toto+json", attestation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anonymous_users_pull_public_images_only_in_token_mode()
    {
        RegistryShapeSet shapes = await token.GetShapesAsync(bases);
        RegistryServer server = token.Server;

        ProcessResult publicPull = Run.Process("skopeo", ["inspect", "--raw", .. server.SkopeoOptions(""), $"docker://{shapes.PublicBusybox.Reference}"],
            environment: server.ChildEnvironment);
        ProcessResult privatePull = Run.Process("skopeo", ["inspect", "--raw", .. server.SkopeoOptions(""), $"docker://{shapes.Oci.Reference}"],
            environment: server.ChildEnvironment);
        ProcessResult pullerPush = Run.Process("skopeo", ["copy", "--quiet", .. server.SkopeoOptions("src", RegistryUsers.Puller),
                .. server.SkopeoOptions("dest", RegistryUsers.Puller), $"docker://{shapes.Oci.Reference}",
                $"docker://{server.Reference(RegistryServer.NewRepository() + ":1")}"], environment: server.ChildEnvironment);

        Assert.Equal(0, publicPull.ExitCode);
        Assert.NotEqual(0, privatePull.ExitCode);
        Assert.NotEqual(0, pullerPush.ExitCode);
        Assert.Contains(server.TokenServer!.Requests, r => !r.HadAuthorization && r.Granted.Contains("repository:public/busybox:pull"));
    }
}
