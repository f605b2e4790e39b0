using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Registry.Auth.Cloud;
using ContainerTasks.Registry.Http;

namespace ContainerTasks.Tests;

/// <summary>What every cloud's credentials share: the hosts recognised, renewal, and loading the cloud libraries.</summary>
public sealed class CloudCredentialFrameTests
{
    private const string Host = "myregistry.azurecr.io";

    private static readonly RegistrySettings Fast = new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        RetryMaxDelay = TimeSpan.FromMilliseconds(5),
    };

    [Theory]
    [InlineData("myregistry.azurecr.io", "Azure", "myregistry", null, false)]
    [InlineData("MyRegistry.AzureCR.io", "Azure", "myregistry", null, false)]
    [InlineData("contoso01.azurecr.cn", "Azure", "contoso01", null, false)]
    [InlineData("contoso01.azurecr.us", "Azure", "contoso01", null, false)]
    [InlineData("contoso01-d7g3hxbzcbgxbab2.azurecr.io", "Azure", "contoso01", null, false)]
    [InlineData("123456789012.dkr.ecr.us-east-1.amazonaws.com", "Aws", "123456789012", "us-east-1", false)]
    [InlineData("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "Aws", "123456789012", "us-gov-west-1", true)]
    [InlineData("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "Aws", "123456789012", "cn-north-1", false)]
    [InlineData("us-docker.pkg.dev", "Google", null, "us", false)]
    [InlineData("europe-west4-docker.pkg.dev", "Google", null, "europe-west4", false)]
    [InlineData("gcr.io", "Google", null, null, false)]
    [InlineData("eu.gcr.io", "Google", null, null, false)]
    public void A_cloud_registry_is_recognised_by_its_host(string registry, string kind, string? account, string? region, bool fips)
    {
        CloudRegistryHost host = Assert.IsType<CloudRegistryHost>(CloudRegistryHost.Recognize(registry));
        Assert.Equal((kind, account, region, fips, registry.ToLowerInvariant()), (host.Kind.ToString(), host.Account, host.Region, host.Fips, host.Host));
    }

    [Theory]
    [InlineData("azurecr.io")]
    [InlineData("myregistry.azurecr.io.attacker.example")]
    [InlineData("myregistry.azurecr.io:5000")]
    [InlineData("evilazurecr.io")]
    [InlineData("ab.azurecr.io")]
    [InlineData("contoso01-.azurecr.io")]
    [InlineData("contoso01.westus.geo.azurecr.io")]
    [InlineData("12345.dkr.ecr.us-east-1.amazonaws.com")]
    [InlineData("123456789012.dkr.ecr.us-east-1.amazonaws.com.attacker.example")]
    [InlineData("public.ecr.aws")]
    [InlineData("docker.pkg.dev")]
    [InlineData("gcr.io.attacker.example")]
    [InlineData("notgcr.io")]
    [InlineData("ghcr.io")]
    [InlineData("localhost:5000")]
    public void Other_hosts_are_not_a_cloud_registry(string registry) => Assert.Null(CloudRegistryHost.Recognize(registry));

    [Fact]
    public async Task A_credential_is_obtained_once_while_it_is_valid_and_again_when_it_is_about_to_expire()
    {
        var source = new CountingSource(n => Password(n).ExpiringAt(n == 1 ? DateTimeOffset.UtcNow.AddSeconds(1.2) : DateTimeOffset.UtcNow.AddHours(1)));
        var renewal = CredentialRenewal.For(source);
        RegistryCredential first = await renewal.CurrentAsync(CancellationToken.None);
        RegistryCredential again = await renewal.CurrentAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        RegistryCredential second = await renewal.CurrentAsync(CancellationToken.None);
        RegistryCredential third = await renewal.CurrentAsync(CancellationToken.None);
        Assert.Equal(("p1", "p1", "p2", "p2"), (first.Password, again.Password, second.Password, third.Password));
        Assert.Equal(2, source.Calls);
    }

    [Fact]
    public async Task A_credential_that_arrives_expired_is_not_obtained_again_for_every_request()
    {
        var source = new CountingSource(n => Password(n).ExpiringAt(DateTimeOffset.UtcNow.AddMinutes(-5)));
        var renewal = CredentialRenewal.For(source);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal("p1", (await renewal.CurrentAsync(CancellationToken.None)).Password);
        }
        Assert.Equal(1, source.Calls);
    }

    [Fact]
    public async Task Requests_refused_together_renew_the_credential_once()
    {
        var source = new CountingSource(Password);
        var renewal = CredentialRenewal.For(source);
        RegistryCredential refused = await renewal.CurrentAsync(CancellationToken.None);
        RegistryCredential[] renewed = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => renewal.RenewAsync(refused, CancellationToken.None))));
        Assert.All(renewed, c => Assert.Equal("p2", c.Password));
        Assert.Equal(2, source.Calls);
    }

    [Fact]
    public async Task A_renewable_credential_the_registry_refuses_is_obtained_again_and_the_request_succeeds()
    {
        var source = new CountingSource(Password);
        var handler = new Handler((request, _) => request.Headers.Authorization is { Scheme: "Basic" } basic && Decode(basic.Parameter) == "AWS:p2"
            ? Answer(HttpStatusCode.OK)
            : Answer(HttpStatusCode.Unauthorized, ("WWW-Authenticate", "Basic realm=\"reg\"")));
        using HttpResponseMessage response = await SendAsync(handler, RegistryCredential.FromSource(source));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, source.Calls);
    }

    [Fact]
    public async Task A_refresh_token_the_token_service_refuses_is_obtained_again_once()
    {
        var source = new CountingSource(n => RegistryCredential.FromIdentityToken($"refresh{n}", null, "test identity"));
        var handler = new Handler((request, _) => request.RequestUri!.AbsolutePath switch
        {
            "/oauth2/token" => request.Content!.ReadAsStringAsync().Result.Contains("refresh_token=refresh2", StringComparison.Ordinal)
                ? Answer(HttpStatusCode.OK, body: """{"access_token":"access","expires_in":300}""")
                : Answer(HttpStatusCode.Unauthorized),
            _ => request.Headers.Authorization is { Scheme: "Bearer", Parameter: "access" }
                ? Answer(HttpStatusCode.OK)
                : Answer(HttpStatusCode.Unauthorized, ("WWW-Authenticate", $"Bearer realm=\"https://{Host}/oauth2/token\",service=\"{Host}\"")),
        });
        using HttpResponseMessage response = await SendAsync(handler, RegistryCredential.FromSource(source));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, source.Calls);
    }

    [Fact]
    public async Task A_credential_refused_again_after_renewal_is_CT3002_naming_the_identity_and_not_its_secret()
    {
        var source = new CountingSource(Password);
        var handler = new Handler((_, _) => Answer(HttpStatusCode.Unauthorized, ("WWW-Authenticate", "Basic realm=\"reg\"")));
        using HttpResponseMessage response = await SendAsync(handler, RegistryCredential.FromSource(source));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => RegistryErrors.EnsureSuccessAsync(response, Host, "app", "HEAD manifest", RegistryCredential.FromSource(source), CancellationToken.None));
        Assert.Equal(ErrorCodes.RegistryUnauthorized, error.Code);
        Assert.Contains("test identity", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("p1", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, source.Calls);
    }

    [Fact]
    public async Task Requests_refused_together_through_the_registry_renew_the_credential_once()
    {
        var source = new CountingSource(Password);
        var handler = new Handler((request, _) => request.Headers.Authorization is { Scheme: "Basic" } basic && Decode(basic.Parameter) == "AWS:p2"
            ? Answer(HttpStatusCode.OK)
            : Answer(HttpStatusCode.Unauthorized, ("WWW-Authenticate", "Basic realm=\"reg\"")), TimeSpan.FromMilliseconds(30));
        using var transport = new RegistryTransport(Fast, handler);
        var auth = new RegistryAuthenticator(Host, RegistryCredential.FromSource(source), transport);
        HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => SendAsync(transport, auth))));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(2, source.Calls);
    }

    [Theory]
    [InlineData(ErrorCodes.CloudIdentityNotFound, "No identity:\n1. AZURE_CLIENT_ID is not set.", "AZURE_CLIENT_ID is not set", "No cloud identity found for myregistry.azurecr.io")]
    [InlineData(ErrorCodes.CloudTokenServiceError, "Google refused the token: invalid_grant (reauth related error).", "invalid_grant",
        "The cloud identity gave no credential for myregistry.azurecr.io, so its requests are anonymous: Google refused")]
    public async Task Without_a_usable_cloud_identity_a_public_image_pulls_anonymously_and_a_refusal_says_why(string code, string why, string quoted, string notice)
    {
        var lines = new List<string>();
        var guard = new CloudIdentityGuard(new FailingSource(new ContainerTasksException(code, why)), Host, lines.Add);
        var anonymousOk = new Handler((request, _) => Answer(request.Headers.Authorization is null ? HttpStatusCode.OK : HttpStatusCode.BadRequest));
        using (HttpResponseMessage response = await SendAsync(anonymousOk, RegistryCredential.FromSource(guard)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var refused = new Handler((_, _) => Answer(HttpStatusCode.Unauthorized, ("WWW-Authenticate", "Basic realm=\"reg\"")));
        using HttpResponseMessage denied = await SendAsync(refused, RegistryCredential.FromSource(guard));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => RegistryErrors.EnsureSuccessAsync(denied, Host, "app", "HEAD manifest", RegistryCredential.FromSource(guard), CancellationToken.None));
        Assert.Equal(code, error.Code);
        Assert.Contains(quoted, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", error.Message, StringComparison.Ordinal);
        Assert.Single(lines, l => l.Contains(notice, StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_no_cloud_identity_a_token_service_refusing_an_anonymous_token_is_CT3021()
    {
        var guard = new CloudIdentityGuard(new FailingSource(new ContainerTasksException(ErrorCodes.CloudIdentityNotFound, "No Google identity.")), Host, null);
        var handler = new Handler((request, _) => request.RequestUri!.AbsolutePath == "/v2/token"
            ? Answer(HttpStatusCode.Unauthorized)
            : Answer(HttpStatusCode.Unauthorized, ("WWW-Authenticate", $"Bearer realm=\"https://{Host}/v2/token\",service=\"{Host}\"")));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => SendAsync(handler, RegistryCredential.FromSource(guard)));
        Assert.Equal(ErrorCodes.CloudIdentityNotFound, error.Code);
        Assert.Contains("No Google identity.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_service_that_cannot_be_reached_is_the_error_at_once_not_anonymous_requests()
    {
        var lines = new List<string>();
        var unreachable = new ContainerTasksException(ErrorCodes.CloudTokenServiceError, "Entra ID cannot be reached: connection refused.", new HttpRequestException("Connection refused"));
        var guard = new CloudIdentityGuard(new FailingSource(unreachable), Host, lines.Add);
        var anonymousOk = new Handler((request, _) => request.Headers.Authorization is null
            ? Answer(HttpStatusCode.Unauthorized, ("WWW-Authenticate", "Basic realm=\"reg\""))
            : Answer(HttpStatusCode.OK));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => SendAsync(anonymousOk, RegistryCredential.FromSource(guard)));
        Assert.Equal(ErrorCodes.CloudTokenServiceError, error.Code);
        Assert.Null(guard.Missing);
        Assert.Empty(lines);
    }

    [Theory]
    [InlineData(ErrorCodes.CloudTokenServiceError)]
    [InlineData(ErrorCodes.CloudIdentityNotFound)]
    public async Task A_renewal_that_fails_after_a_credential_was_obtained_is_the_error_at_once(string code)
    {
        var inner = new CountingSource(n => n == 1 ? Password(1) : throw new ContainerTasksException(code, "the identity is gone"));
        var guard = new CloudIdentityGuard(inner, Host, null);
        var handler = new Handler((_, _) => Answer(HttpStatusCode.Unauthorized, ("WWW-Authenticate", "Basic realm=\"reg\"")));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => SendAsync(handler, RegistryCredential.FromSource(guard)));
        Assert.Equal(code, error.Code);
        Assert.Null(guard.Missing);
    }

    [Fact]
    public async Task Two_clients_of_one_cloud_registry_share_one_credential()
    {
        var source = new CountingSource(n => Password(n).ExpiringAt(DateTimeOffset.UtcNow.AddHours(1)));
        var handler = new Handler((request, _) => request.Headers.Authorization is { Scheme: "Basic" }
            ? Answer(HttpStatusCode.OK)
            : Answer(HttpStatusCode.Unauthorized, ("WWW-Authenticate", "Basic realm=\"reg\"")));
        using var transport = new RegistryTransport(Fast, handler);
        var pull = new RegistryAuthenticator(Host, RegistryCredential.FromSource(source), transport);
        var push = new RegistryAuthenticator(Host, RegistryCredential.FromSource(source), transport);
        await Task.WhenAll(SendAsync(transport, pull), SendAsync(transport, push));
        Assert.Equal(1, source.Calls);
        Assert.Equal(RegistryCredential.FromSource(source).Identity, RegistryCredential.FromSource(source).Identity);
    }

    [Fact]
    public async Task A_cloud_identity_the_token_service_forbids_is_CT3003_with_the_role_to_grant_and_no_renewal()
    {
        var source = new CountingSource(n => RegistryCredential.FromIdentityToken($"refresh{n}", null, "test identity"));
        var handler = new Handler((request, _) => request.RequestUri!.AbsolutePath == "/oauth2/token"
            ? Answer(HttpStatusCode.Forbidden)
            : Answer(HttpStatusCode.Unauthorized, ("WWW-Authenticate", $"Bearer realm=\"https://{Host}/oauth2/token\",service=\"{Host}\"")));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => SendAsync(handler, RegistryCredential.FromSource(source)));
        Assert.Equal(ErrorCodes.RegistryDenied, error.Code);
        Assert.Contains("AcrPush", error.Message, StringComparison.Ordinal);
        Assert.Contains("test identity", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, source.Calls);
    }

    [Fact]
    public async Task Insufficient_scope_for_a_cloud_identity_is_CT3003_with_the_role_to_grant()
    {
        var source = new CountingSource(Password);
        using var response = Answer(HttpStatusCode.Unauthorized, ("WWW-Authenticate", $"Bearer realm=\"https://{Host}/oauth2/token\",service=\"{Host}\",error=\"insufficient_scope\""));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => RegistryErrors.EnsureSuccessAsync(response, Host, "app", "PUT manifest", RegistryCredential.FromSource(source), CancellationToken.None));
        Assert.Equal(ErrorCodes.RegistryDenied, error.Code);
        Assert.Contains("Artifact Registry Writer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cloud_credential_never_goes_to_a_token_service_on_another_host()
    {
        var source = new CountingSource(n => RegistryCredential.FromIdentityToken($"refresh{n}", null, "test identity"));
        var handler = new Handler((_, _) => Answer(HttpStatusCode.Unauthorized, ("WWW-Authenticate", "Bearer realm=\"https://collector.example/token\",service=\"x\"")));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => SendAsync(handler, RegistryCredential.FromSource(source)));
        Assert.Equal(ErrorCodes.InsecureCredentials, error.Code);
        Assert.DoesNotContain(handler.Seen, uri => uri.Host == "collector.example");
        Assert.DoesNotContain("refresh1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("file", ErrorCodes.CloudLibrariesMissing)]
    [InlineData("other", ErrorCodes.CloudTokenServiceError)]
    public async Task A_cloud_library_failure_is_coded_and_its_message_cleaned(string kind, string code)
    {
        Exception failure = kind == "file" ? new FileNotFoundException("Could not load Azure.Core\nerror CT0000: forged") : new InvalidOperationException("bad\r\nerror CT0000: forged");
        var guard = new CloudIdentityGuard(new FailingSource(failure), Host, null);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => guard.ObtainAsync(CancellationToken.None));
        Assert.Equal(code, error.Code);
        Assert.DoesNotContain("\n", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cloud_credentials_can_be_turned_off_and_other_values_are_CT3012()
    {
        Assert.True(RegistrySettings.FromEnvironment(new Dictionary<string, string>()).CloudCredentials);
        Assert.False(RegistrySettings.FromEnvironment(new Dictionary<string, string> { ["CONTAINERTASKS_CLOUD_CREDENTIALS"] = "False" }).CloudCredentials);
        var error = Assert.Throws<ContainerTasksException>(() => RegistrySettings.FromEnvironment(new Dictionary<string, string> { ["CONTAINERTASKS_CLOUD_CREDENTIALS"] = "off please" }));
        Assert.Equal(ErrorCodes.InvalidRegistrySetting, error.Code);
    }

    [Fact]
    public void With_cloud_credentials_off_a_cloud_registry_has_no_credential_and_nothing_is_loaded_for_it()
    {
        using var session = new RegistrySession(new Dictionary<string, string> { ["CONTAINERTASKS_CLOUD_CREDENTIALS"] = "false", ["HOME"] = Path.GetTempPath() }, null, Host);
        Assert.Null(session.Credentials.Find(Host, "app", RegistryRole.Push));
    }

    [Fact]
    public void The_cloud_libraries_are_found_next_to_the_core_and_a_type_they_lack_is_CT3023()
    {
        Assert.NotNull(CloudLibraries.Folder());
        var error = Assert.Throws<ContainerTasksException>(() => CloudLibraries.Create<ICredentialSource>("ContainerTasks.Cloud.NoSuchType"));
        Assert.Equal(ErrorCodes.CloudLibrariesMissing, error.Code);
        Assert.Contains("another version", error.Message, StringComparison.Ordinal);
    }

    private static RegistryCredential Password(int n) => RegistryCredential.FromUserPassword("AWS", $"p{n}", "test identity");

    private static string Decode(string? parameter) => Encoding.UTF8.GetString(Convert.FromBase64String(parameter ?? ""));

    private static async Task<HttpResponseMessage> SendAsync(Handler handler, RegistryCredential credential)
    {
        using var transport = new RegistryTransport(Fast, handler);
        return await SendAsync(transport, new RegistryAuthenticator(Host, credential, transport));
    }

    private static Task<HttpResponseMessage> SendAsync(RegistryTransport transport, RegistryAuthenticator auth)
        => new RequestSender(new RegistryEndpoint(Host, Host, transport), transport, auth, null, null).SendAsync(new RegistryRequest(HttpMethod.Head, "/v2/app/manifests/latest", "app", "checking the manifest")
        {
            Scopes = [RegistryClient.Pull("app")],
        }, CancellationToken.None);

    private static HttpResponseMessage Answer(HttpStatusCode status, params (string Name, string Value)[] headers) => Answer(status, "", headers);

    private static HttpResponseMessage Answer(HttpStatusCode status, string body, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8) };
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }
        return response;
    }

    /// <summary>A source that counts its calls and hands out the n-th credential (from 1).</summary>
    private sealed class CountingSource(Func<int, RegistryCredential> make) : ICredentialSource
    {
        private int _calls;

        public int Calls => _calls;

        public string Description => "test identity";

        public async Task<RegistryCredential> ObtainAsync(CancellationToken cancellationToken)
        {
            await Task.Yield();
            return make(Interlocked.Increment(ref _calls));
        }
    }

    /// <summary>A source that fails as its cloud's library would.</summary>
    private sealed class FailingSource(Exception failure) : ICredentialSource
    {
        public string Description => "test identity";

        public Task<RegistryCredential> ObtainAsync(CancellationToken cancellationToken) => Task.FromException<RegistryCredential>(failure);
    }

    private sealed class Handler(Func<HttpRequestMessage, int, HttpResponseMessage> answer, TimeSpan delay = default) : HttpMessageHandler
    {
        private int _count;

        public List<Uri> Seen { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Seen)
            {
                Seen.Add(request.RequestUri!);
            }
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, cancellationToken);
            }
            HttpResponseMessage response = answer(request, Interlocked.Increment(ref _count) - 1);
            response.RequestMessage = request;
            return response;
        }
    }
}
