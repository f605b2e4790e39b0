using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Registry.Auth.Cloud;
using ContainerTasks.Registry.Auth.Cloud.Google;

namespace ContainerTasks.Tests;

/// <summary>The Google credential source of the core, with an identity of the test's (no Google library loaded).</summary>
public sealed class GoogleCredentialSourceTests
{
    private sealed class ScriptedIdentity(Func<int, GoogleAccessToken> answer) : IGoogleIdentity
    {
        public int Calls { get; private set; }

        public IReadOnlyDictionary<string, string>? Environment { get; private set; }

        public Task<GoogleAccessToken> GetTokenAsync(IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
        {
            Environment = environment;
            return Task.FromResult(answer(++Calls));
        }
    }

    private static (GoogleCredentialSource Source, List<string> Notices, RegistryTransport Transport) Create(IGoogleIdentity identity, Dictionary<string, string>? environment = null)
    {
        var notices = new List<string>();
        var transport = new RegistryTransport(new RegistrySettings());
        var context = new CloudContext(environment ?? new Dictionary<string, string>(), transport, notices.Add, null);
        CloudRegistryHost host = CloudRegistryHost.Recognize("europe-west1-docker.pkg.dev")!;
        return (new GoogleCredentialSource(host, context, () => identity), notices, transport);
    }

    [Fact]
    public async Task The_access_token_is_the_password_of_oauth2accesstoken_and_expires_when_google_says()
    {
        DateTimeOffset expires = DateTimeOffset.UtcNow.AddMinutes(59);
        var identity = new ScriptedIdentity(_ => new GoogleAccessToken("ya29.secret", expires, "service account ci@p.iam.gserviceaccount.com"));
        var environment = new Dictionary<string, string> { ["GOOGLE_APPLICATION_CREDENTIALS"] = "/keys/ci.json" };
        var (source, notices, transport) = Create(identity, environment);
        using (transport)
        {
            RegistryCredential credential = await source.ObtainAsync(CancellationToken.None);

            Assert.Equal("oauth2accesstoken", credential.Username);
            Assert.Equal("ya29.secret", credential.Password);
            Assert.Equal(expires, credential.ExpiresAt);
            Assert.Same(environment, identity.Environment);
            Assert.Equal("Google service account ci@p.iam.gserviceaccount.com", source.Description);
            Assert.DoesNotContain("ya29.secret", credential.ToString());
            Assert.Single(notices);
            Assert.Contains("ci@p.iam.gserviceaccount.com", notices[0]);
            Assert.DoesNotContain("ya29.secret", notices[0]);
        }
    }

    [Fact]
    public async Task Renewals_ask_the_same_identity_again_and_notice_once()
    {
        var identity = new ScriptedIdentity(call => new GoogleAccessToken($"ya29.token-{call}", DateTimeOffset.UtcNow.AddSeconds(1), "service account a@b"));
        var (source, notices, transport) = Create(identity);
        using (transport)
        {
            Assert.Equal("Google Application Default Credentials for europe-west1-docker.pkg.dev", source.Description);
            RegistryCredential first = await source.ObtainAsync(CancellationToken.None);
            RegistryCredential second = await source.ObtainAsync(CancellationToken.None);

            Assert.Equal("ya29.token-1", first.Password);
            Assert.Equal("ya29.token-2", second.Password);
            Assert.Equal(2, identity.Calls);
            Assert.Single(notices);
        }
    }

    [Theory]
    [InlineData(ErrorCodes.CloudIdentityNotFound)]
    [InlineData(ErrorCodes.CloudTokenServiceError)]
    public async Task Failures_keep_their_code_and_name_the_registry(string code)
    {
        var identity = new ScriptedIdentity(_ => throw new ContainerTasksException(code, "No Google identity was found."));
        var (source, _, transport) = Create(identity);
        using (transport)
        {
            var e = await Assert.ThrowsAsync<ContainerTasksException>(() => source.ObtainAsync(CancellationToken.None));

            Assert.Equal(code, e.Code);
            Assert.StartsWith("Credentials for europe-west1-docker.pkg.dev: No Google identity", e.Message);
        }
    }

    [Fact]
    public void The_token_object_prints_the_identity_not_the_token()
    {
        var token = new GoogleAccessToken("ya29.secret", DateTimeOffset.UtcNow, "service account a@b");

        Assert.Contains("service account a@b", token.ToString());
        Assert.DoesNotContain("ya29.secret", token.ToString());
    }
}
