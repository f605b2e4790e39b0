using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Registry.Http;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>The registry HTTP steps one by one, over an in-process handler: no server, no network.</summary>
public sealed class RegistryHttpPieceTests
{
    private const string Host = "reg.example";

    private static readonly RegistrySettings Fast = new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        RetryMaxDelay = TimeSpan.FromMilliseconds(5),
    };

    [Theory]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    [InlineData(400, false)]
    [InlineData(401, false)]
    [InlineData(404, false)]
    [InlineData(416, false)]
    [InlineData(501, false)]
    public void Transient_statuses_are_retried_and_others_are_not(int status, bool transient)
        => Assert.Equal(transient, RetryClassification.IsTransient((HttpStatusCode)status));

    [Theory]
    [InlineData(404, true)]
    [InlineData(416, true)]
    [InlineData(503, true)]
    [InlineData(400, false)]
    [InlineData(403, false)]
    public void An_upload_restarts_on_a_transient_answer_or_a_lost_session(int status, bool restarts)
        => Assert.Equal(restarts, RetryClassification.RestartsUpload((HttpStatusCode)status));

    [Fact]
    public void A_network_failure_is_an_error_of_the_network_or_a_cancellation_the_caller_did_not_ask_for()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.True(RetryClassification.IsNetworkFailure(new HttpRequestException("reset"), CancellationToken.None));
        Assert.True(RetryClassification.IsNetworkFailure(new IOException("reset"), CancellationToken.None));
        Assert.True(RetryClassification.IsNetworkFailure(new TaskCanceledException(), CancellationToken.None));
        Assert.False(RetryClassification.IsNetworkFailure(new TaskCanceledException(), cancelled.Token));
        Assert.False(RetryClassification.IsNetworkFailure(new InvalidOperationException(), CancellationToken.None));
        Assert.True(RetryClassification.IsNetworkFailure(new ContainerTasksException(ErrorCodes.RegistryTimeout, "slow")));
        Assert.False(RetryClassification.IsNetworkFailure(new ContainerTasksException(ErrorCodes.RegistryDenied, "no")));
    }

    [Fact]
    public void Retry_After_in_seconds_or_as_a_date_is_the_wait_asked_for()
    {
        using var seconds = new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Headers = { RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)) } };
        using var past = new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Headers = { RetryAfter = new RetryConditionHeaderValue(DateTimeOffset.UtcNow.AddHours(-1)) } };
        using var none = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        Assert.Equal(TimeSpan.FromSeconds(7), RetryClassification.RequestedDelay(seconds));
        Assert.Equal(TimeSpan.Zero, RetryClassification.RequestedDelay(past));
        Assert.Null(RetryClassification.RequestedDelay(none));
        Assert.Null(RetryClassification.RequestedDelay(null));
    }

    [Fact]
    public void Only_the_operations_own_deadline_is_a_timeout()
    {
        using var deadline = new CancellationTokenSource();
        using var caller = new CancellationTokenSource();
        Assert.False(RetryClassification.IsDeadline(deadline, caller.Token));
        deadline.Cancel();
        Assert.True(RetryClassification.IsDeadline(deadline, caller.Token));
        caller.Cancel();
        Assert.False(RetryClassification.IsDeadline(deadline, caller.Token));
    }

    [Fact]
    public async Task A_transient_answer_is_retried_with_its_cause_shown_until_the_attempts_are_spent()
    {
        var lines = new List<string>();
        var policy = new RetryPolicy(Fast, maxAttempts: 2);
        var retry = new RequestRetry(policy, enabled: true, (cause, delay) => lines.Add(RequestRetry.Line("reading", cause, delay, policy.Attempts + 1)));
        using var busy = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { ReasonPhrase = "Busy" };
        using var missing = new HttpResponseMessage(HttpStatusCode.NotFound);

        Assert.False(await retry.AfterAnswerAsync(missing, CancellationToken.None));
        Assert.True(await retry.AfterAnswerAsync(busy, CancellationToken.None));
        Assert.False(await retry.AfterAnswerAsync(busy, CancellationToken.None));
        string line = Assert.Single(lines);
        Assert.StartsWith("reading: 503 Busy; retrying in ", line);
        Assert.EndsWith("(attempt 2).", line);
    }

    [Fact]
    public async Task A_request_whose_caller_retries_itself_is_not_retried_here()
    {
        var retry = new RequestRetry(new RetryPolicy(Fast), enabled: false, null);
        using var busy = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        Assert.False(await retry.AfterAnswerAsync(busy, CancellationToken.None));
        NetworkFailure? failure = await retry.AfterNetworkFailureAsync(new HttpRequestException("reset"), new Uri($"https://{Host}/v2/"), true, CancellationToken.None);
        Assert.NotNull(failure);
        Assert.False(failure.TimedOut);
    }

    [Fact]
    public async Task A_proxy_that_refuses_the_login_is_CT3013_at_once_never_retried()
    {
        var retry = new RequestRetry(new RetryPolicy(Fast), enabled: true, (_, _) => Assert.Fail("retried"));
        var refused = new HttpRequestException("proxy says no", null, HttpStatusCode.ProxyAuthenticationRequired);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => retry.AfterNetworkFailureAsync(refused, new Uri($"https://{Host}/v2/"), true, CancellationToken.None));
        Assert.Equal("CT3013", error.Code);
        Assert.Null(ProxyRefusal.From(new HttpRequestException($"connection to {Host}:40712 refused"), new Uri($"https://{Host}:40712/")));
    }

    [Fact]
    public void Our_own_error_inside_the_handlers_exception_is_found_and_nothing_else()
    {
        var coded = new ContainerTasksException(ErrorCodes.DigestMismatch, "altered");
        Assert.Same(coded, WrappedError.Find(new HttpRequestException("send failed", new IOException("copy", coded))));
        Assert.Null(WrappedError.Find(new HttpRequestException("send failed", new IOException("reset"))));
        Assert.Null(WrappedError.Find(coded));
    }

    [Fact]
    public void A_failed_handshake_is_told_from_other_failures()
    {
        Assert.True(TlsFailure.Is(new HttpRequestException(HttpRequestError.SecureConnectionError, "handshake")));
        Assert.True(TlsFailure.Is(new HttpRequestException("x", new System.Security.Authentication.AuthenticationException("bad cert"))));
        Assert.False(TlsFailure.Is(new HttpRequestException(HttpRequestError.ConnectionError, "refused")));
    }

    [Fact]
    public void Redirects_are_followed_five_times_at_most_and_a_303_becomes_a_GET()
    {
        var redirect = new RedirectFollower(HttpMethod.Put);
        var from = new Uri($"https://{Host}/v2/app/blobs/uploads/1");
        using (var relative = Answer(HttpStatusCode.TemporaryRedirect, location: "/elsewhere"))
        {
            Assert.True(redirect.TryFollow(relative, from));
        }
        Assert.Equal(new Uri($"https://{Host}/elsewhere"), redirect.Target);
        Assert.Equal(HttpMethod.Put, redirect.Method);
        using (var seeOther = Answer(HttpStatusCode.SeeOther, location: "https://cdn.example/blob"))
        {
            Assert.True(redirect.TryFollow(seeOther, from));
        }
        Assert.Equal(HttpMethod.Get, redirect.Method);
        for (int i = 2; i < RedirectFollower.MaxRedirects; i++)
        {
            using var again = Answer(HttpStatusCode.Found, location: "https://cdn.example/again");
            Assert.True(redirect.TryFollow(again, from));
        }
        using var sixth = Answer(HttpStatusCode.Found, location: "https://cdn.example/sixth");
        Assert.False(redirect.TryFollow(sixth, from));
        redirect.Restart();
        Assert.False(redirect.Redirected);
    }

    [Fact]
    public void An_answer_that_is_not_a_redirect_or_has_no_location_is_not_followed()
    {
        var redirect = new RedirectFollower(HttpMethod.Get);
        using var ok = Answer(HttpStatusCode.OK);
        using var noLocation = Answer(HttpStatusCode.Found);
        Assert.False(redirect.TryFollow(ok, new Uri($"https://{Host}/")));
        Assert.False(redirect.TryFollow(noLocation, new Uri($"https://{Host}/")));
        Assert.Null(redirect.Target);
    }

    [Fact]
    public void Credentials_go_only_to_the_registrys_own_host_and_port_over_HTTPS()
    {
        using var transport = new RegistryTransport(Fast, new FakeHandler((_, _) => Answer(HttpStatusCode.OK)));
        var endpoint = new RegistryEndpoint("reg.example:5000", "reg.example:5000", transport);
        Assert.True(endpoint.MayReceiveCredentials(new Uri("https://REG.example:5000/v2/")));
        Assert.False(endpoint.MayReceiveCredentials(new Uri("https://reg.example/v2/")));
        Assert.False(endpoint.MayReceiveCredentials(new Uri("https://cdn.example:5000/blob")));
        Assert.False(endpoint.MayReceiveCredentials(new Uri("http://reg.example:5000/v2/")));
        Assert.Equal(new Uri("https://reg.example:5000/v2/app/tags/list"), endpoint.UriFor("/v2/app/tags/list"));
    }

    [Fact]
    public void An_upload_location_from_before_a_fallback_follows_the_new_scheme()
    {
        using var transport = new RegistryTransport(Fast, new FakeHandler((_, _) => Answer(HttpStatusCode.OK)));
        var endpoint = new RegistryEndpoint("localhost:5000", "localhost:5000", transport);
        transport.FallBackToHttp("localhost:5000");
        Assert.Equal(new Uri("http://localhost:5000/v2/app/blobs/uploads/1?state=x"), endpoint.UriFor("https://localhost:5000/v2/app/blobs/uploads/1?state=x"));
        Assert.Equal(new Uri("https://cdn.example/upload"), endpoint.UriFor("https://cdn.example/upload"));
        Assert.True(endpoint.MayReceiveCredentials(new Uri("http://localhost:5000/v2/")));
    }

    [Fact]
    public void A_failed_handshake_falls_back_to_HTTP_once_and_only_for_an_insecure_registry()
    {
        using var transport = new RegistryTransport(Fast, new FakeHandler((_, _) => Answer(HttpStatusCode.OK)));
        var local = new SchemeFallback(transport, new RegistryEndpoint("localhost:5000", "localhost:5000", transport), null);
        var remote = new SchemeFallback(transport, new RegistryEndpoint(Host, Host, transport), null);
        Assert.False(local.TryHttpAfterTlsFailure(new Uri("https://localhost:5000/v2/"), redirected: true));
        Assert.True(local.TryHttpAfterTlsFailure(new Uri("https://localhost:5000/v2/"), redirected: false));
        Assert.Equal("http", transport.SchemeFor("localhost:5000"));
        Assert.False(local.TryHttpAfterTlsFailure(new Uri("https://localhost:5000/v2/"), redirected: false));
        Assert.False(remote.TryHttpAfterTlsFailure(new Uri($"https://{Host}/v2/"), redirected: false));
        Assert.Equal("https", transport.SchemeFor(Host));
    }

    [Fact]
    public async Task An_answer_over_HTTP_after_a_fallback_is_remembered_for_the_next_build()
    {
        using var state = new TempDirectory();
        using var transport = new RegistryTransport(Fast, new FakeHandler((_, _) => Answer(HttpStatusCode.OK)), state.Path);
        var fallback = new SchemeFallback(transport, new RegistryEndpoint("localhost:5000", "localhost:5000", transport), null);
        Assert.True(fallback.TryHttpAfterTlsFailure(new Uri("https://localhost:5000/v2/"), redirected: false));
        using var ok = Answer(HttpStatusCode.OK);
        Assert.False(await fallback.TryHttpsAfterAnswerAsync(new Uri("http://localhost:5000/v2/"), false, HttpMethod.Get, ok, CancellationToken.None));
        Assert.Equal("http", File.ReadAllText(Path.Combine(state.Path, "localhost_5000.scheme")).Trim());
    }

    [Fact]
    public async Task A_remembered_HTTP_registry_that_answers_as_a_TLS_server_is_forgotten_and_tried_with_HTTPS()
    {
        using var state = new TempDirectory();
        string memory = Path.Combine(state.Path, "localhost_5000.scheme");
        File.WriteAllText(memory, "http\n");
        using var transport = new RegistryTransport(Fast, new FakeHandler((_, _) => Answer(HttpStatusCode.OK)), state.Path);
        var fallback = new SchemeFallback(transport, new RegistryEndpoint("localhost:5000", "localhost:5000", transport), null);
        Assert.Equal("http", transport.SchemeFor("localhost:5000"));
        using var tls = Answer(HttpStatusCode.BadRequest, body: "Client sent an HTTP request to an HTTPS server.");
        Assert.True(await fallback.TryHttpsAfterAnswerAsync(new Uri("http://localhost:5000/v2/"), false, HttpMethod.Get, tls, CancellationToken.None));
        Assert.Equal("https", transport.SchemeFor("localhost:5000"));
        Assert.False(File.Exists(memory));
    }

    [Fact]
    public void A_remembered_HTTP_registry_that_stops_answering_is_forgotten_outside_any_exception_filter()
    {
        using var state = new TempDirectory();
        string memory = Path.Combine(state.Path, "localhost_5000.scheme");
        File.WriteAllText(memory, "http\n");
        using var transport = new RegistryTransport(Fast, new FakeHandler((_, _) => Answer(HttpStatusCode.OK)), state.Path);
        var fallback = new SchemeFallback(transport, new RegistryEndpoint("localhost:5000", "localhost:5000", transport), null);
        var uri = new Uri($"{transport.SchemeFor("localhost:5000")}://localhost:5000/v2/");
        Assert.False(fallback.TryHttpsAfterNetworkFailure(uri, redirected: true, new IOException("reset")));
        Assert.True(File.Exists(memory));
        Assert.True(fallback.TryHttpsAfterNetworkFailure(uri, redirected: false, new IOException("reset")));
        Assert.False(File.Exists(memory));
        Assert.Equal("https", transport.SchemeFor("localhost:5000"));
    }

    [Fact]
    public async Task A_registry_error_400_over_HTTP_is_not_taken_for_a_TLS_server()
    {
        using var transport = new RegistryTransport(Fast, new FakeHandler((_, _) => Answer(HttpStatusCode.OK)));
        transport.FallBackToHttp("localhost:5000");
        var fallback = new SchemeFallback(transport, new RegistryEndpoint("localhost:5000", "localhost:5000", transport), null);
        using var error = Answer(HttpStatusCode.BadRequest, body: """{"errors":[{"code":"MANIFEST_INVALID","message":"use HTTPS urls"}]}""");
        Assert.False(await fallback.TryHttpsAfterAnswerAsync(new Uri("http://localhost:5000/v2/"), false, HttpMethod.Get, error, CancellationToken.None));
        Assert.Equal("http", transport.SchemeFor("localhost:5000"));
    }

    [Fact]
    public async Task A_basic_challenge_is_answered_once_and_a_refused_login_is_not_sent_again()
    {
        using var transport = new RegistryTransport(Fast, new FakeHandler((_, _) => Answer(HttpStatusCode.OK)));
        var auth = new RegistryAuthenticator(Host, RegistryCredential.FromUserPassword("user", "secret", "test"), transport);
        var answerer = new ChallengeAnswerer(auth, [RegistryClient.Pull("app")]);
        Assert.Null(await answerer.HeaderAsync(true, CancellationToken.None));
        using var challenge = Answer(HttpStatusCode.Unauthorized, headers: ("WWW-Authenticate", "Basic realm=\"reg\""));
        Assert.False(await answerer.TryAnswerAsync(challenge, fromRegistry: false, CancellationToken.None));
        Assert.True(await answerer.TryAnswerAsync(challenge, fromRegistry: true, CancellationToken.None));
        AuthenticationHeaderValue? header = await answerer.HeaderAsync(true, CancellationToken.None);
        Assert.Equal("Basic", header?.Scheme);
        Assert.Null(await answerer.HeaderAsync(false, CancellationToken.None));
        Assert.True(await answerer.HeaderAsync(true, CancellationToken.None) is not null);
        Assert.False(await answerer.TryAnswerAsync(challenge, fromRegistry: true, CancellationToken.None));
    }

    [Fact]
    public async Task An_answer_longer_than_its_limit_is_dropped_unread_and_the_host_is_known_to_answer()
    {
        using var transport = new RegistryTransport(Fast, new FakeHandler((_, _) => Answer(HttpStatusCode.OK, body: new string('x', 2048))));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://{Host}/v2/");
        Assert.False(transport.HasAnswered(Host));
        var (response, complete) = await AttemptSender.SendAsync(transport, request, TimeSpan.FromSeconds(5), 1024, CancellationToken.None);
        using (response)
        {
            Assert.False(complete);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }
        Assert.True(transport.HasAnswered(Host));
    }

    [Fact]
    public async Task A_host_that_gave_no_answer_is_not_recorded_as_answering()
    {
        using var transport = new RegistryTransport(Fast, new FakeHandler((_, _) => throw new HttpRequestException(HttpRequestError.ConnectionError, "refused")));
        await Assert.ThrowsAsync<HttpRequestException>(() => transport.Http.GetAsync($"https://{Host}:444/v2/"));
        Assert.False(transport.HasAnswered($"{Host}:444"));
    }

    [Fact]
    public async Task An_attempt_that_gets_no_answer_in_its_time_is_a_network_failure_not_the_callers_cancellation()
    {
        using var transport = new RegistryTransport(Fast, new FakeHandler(async (_, _, token) =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return Answer(HttpStatusCode.OK);
        }));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://{Host}/v2/");
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AttemptSender.SendAsync(transport, request, TimeSpan.FromMilliseconds(50), null, CancellationToken.None));
        Assert.True(RetryClassification.IsNetworkFailure(error, CancellationToken.None));
    }

    [Fact]
    public async Task The_sender_answers_a_challenge_retries_a_transient_answer_and_sends_no_credentials_down_a_redirect()
    {
        var handler = new FakeHandler((request, n) => n switch
        {
            0 => Answer(HttpStatusCode.Unauthorized, headers: ("WWW-Authenticate", "Basic realm=\"reg\"")),
            1 => Answer(HttpStatusCode.ServiceUnavailable, headers: ("Retry-After", "0")),
            2 => Answer(HttpStatusCode.TemporaryRedirect, location: "https://cdn.example/blob?signed=1"),
            _ => Answer(HttpStatusCode.OK, body: "blob"),
        });
        var lines = new List<string>();
        using HttpResponseMessage response = await SendAsync(handler, new RegistryRequest(HttpMethod.Get, "/v2/app/blobs/sha256:ab", "app", "downloading a blob")
        {
            Scopes = [RegistryClient.Pull("app")],
        }, lines.Add);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new string?[] { null, "Basic", "Basic", null }, handler.Seen.Select(s => s.Authorization));
        Assert.Equal("cdn.example", handler.Seen[^1].Uri.Host);
        Assert.Contains(lines, l => l.StartsWith($"downloading a blob on {Host}: 503", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_sender_starts_again_at_the_registry_after_a_redirect_target_failed_transiently()
    {
        var handler = new FakeHandler((request, n) => n switch
        {
            0 => Answer(HttpStatusCode.Found, location: "https://cdn.example/blob"),
            1 => Answer(HttpStatusCode.BadGateway, headers: ("Retry-After", "0")),
            _ => Answer(HttpStatusCode.OK),
        });
        using HttpResponseMessage response = await SendAsync(handler, new RegistryRequest(HttpMethod.Get, "/v2/app/blobs/sha256:ab", "app", "downloading a blob"), null);
        Assert.Equal(new[] { Host, "cdn.example", Host }, handler.Seen.Select(s => s.Uri.Host));
    }

    [Fact]
    public async Task The_sender_reports_a_registry_it_cannot_reach_as_CT3001_after_its_attempts()
    {
        var handler = new FakeHandler((_, _) => throw new HttpRequestException(HttpRequestError.ConnectionError, "refused"));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => SendAsync(handler,
            new RegistryRequest(HttpMethod.Get, "/v2/", "app", "checking the registry") { MaxAttempts = 3 }, null));
        Assert.Equal("CT3001", error.Code);
        Assert.Contains("3 attempts", error.Message);
        Assert.Equal(3, handler.Seen.Count);
    }

    [Fact]
    public async Task Token_requests_are_retried_by_the_same_classification()
    {
        var handler = new FakeHandler((request, n) => (request.RequestUri!.AbsolutePath, n) switch
        {
            ("/token", 1) => Answer(HttpStatusCode.TooManyRequests, headers: ("Retry-After", "0")),
            ("/token", _) => Answer(HttpStatusCode.OK, body: """{"token":"t0k3n","expires_in":300}"""),
            (_, 0) => Answer(HttpStatusCode.Unauthorized, headers: ("WWW-Authenticate", $"Bearer realm=\"https://{Host}/token\",service=\"reg\"")),
            _ => Answer(HttpStatusCode.OK),
        });
        var lines = new List<string>();
        using HttpResponseMessage response = await SendAsync(handler, new RegistryRequest(HttpMethod.Head, "/v2/app/manifests/latest", "app", "checking the manifest")
        {
            Scopes = [RegistryClient.Pull("app")],
        }, lines.Add);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("Bearer", "t0k3n"), (handler.Seen[^1].Authorization, handler.Seen[^1].Parameter));
        Assert.Contains(lines, l => l.StartsWith($"getting a token for {Host}: 429", StringComparison.Ordinal));
    }

    private static async Task<HttpResponseMessage> SendAsync(FakeHandler handler, RegistryRequest request, Action<string>? notice)
    {
        using var transport = new RegistryTransport(Fast, handler);
        var endpoint = new RegistryEndpoint(Host, Host, transport);
        var auth = new RegistryAuthenticator(Host, RegistryCredential.FromUserPassword("user", "secret", "test"), transport, notice);
        return await new RequestSender(endpoint, transport, auth, null, notice).SendAsync(request, CancellationToken.None);
    }

    private static HttpResponseMessage Answer(HttpStatusCode status, string body = "", string? location = null, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8) };
        if (location is not null)
        {
            response.Headers.Location = new Uri(location, UriKind.RelativeOrAbsolute);
        }
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }
        return response;
    }

    /// <summary>Answers each request with what the test says for the n-th request (from 0), and records what it was sent.</summary>
    private sealed class FakeHandler : HttpMessageHandler
    {
        private readonly Func<HttpRequestMessage, int, CancellationToken, Task<HttpResponseMessage>> _answer;

        public FakeHandler(Func<HttpRequestMessage, int, HttpResponseMessage> answer) => _answer = (r, n, _) => Task.FromResult(answer(r, n));

        public FakeHandler(Func<HttpRequestMessage, int, CancellationToken, Task<HttpResponseMessage>> answer) => _answer = answer;

        public List<(Uri Uri, string? Authorization, string? Parameter)> Seen { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            int n;
            lock (Seen)
            {
                n = Seen.Count;
                Seen.Add((request.RequestUri!, request.Headers.Authorization?.Scheme, request.Headers.Authorization?.Parameter));
            }
            HttpResponseMessage response = await _answer(request, n, cancellationToken);
            response.RequestMessage = request;
            return response;
        }
    }
}
