using System.Diagnostics;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;
using ContainerTasks.Tests.Infrastructure.Registries.Cloud;

namespace ContainerTasks.Tests;

/// <summary>
/// Amazon ECR credentials from the build's AWS identity, against protocol fakes: ECR's GetAuthorizationToken endpoint
/// (reached through AWS_ENDPOINT_URL_ECR, checking each SigV4 signature with the test's own secret) and an ECR registry
/// host (through HTTPS_PROXY, TLS for its name) in front of a real Distribution registry. ctimage runs as a child process
/// with the AWS variables on the child only, instance metadata disabled and an empty HOME.
/// </summary>
public sealed class EcrCredentialProtocolFakeTests(BasicAuthRegistryFixture fixture) : IClassFixture<BasicAuthRegistryFixture>, IAsyncLifetime
{
    private const string Region = "us-east-1";
    private const string Registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    private static readonly AwsTestKey Pusher = new("AKIAIOSFODNN7PUSHER1", "push/Secret+Key/EXAMPLEKEY0123456789aaa", null, "arn:aws:iam::123456789012:user/ci-pusher");
    private static readonly AwsTestKey Reader = new("AKIAIOSFODNN7READER2", "read/Secret+Key/EXAMPLEKEY0123456789bbb", null, "arn:aws:iam::123456789012:user/ci-reader", MayPush: false);
    private static readonly AwsTestKey NoEcr = new("AKIAIOSFODNN7NOECR03", "noecr/Secret+Key/EXAMPLEKEY0123456789cc", null, "arn:aws:iam::123456789012:user/no-ecr", MayGetToken: false);
    private readonly TempDirectory _dir = new("ct-ecr-");
    private EcrApiProtocolFake _api = null!;
    private EcrRegistryProtocolFake _front = null!;

    public Task InitializeAsync() => StartAsync(TimeSpan.FromHours(12), TimeSpan.Zero);

    public async Task DisposeAsync()
    {
        await _front.DisposeAsync();
        await _api.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public void A_push_with_environment_keys_gets_an_ECR_token_ProtocolFake()
    {
        string repository = RegistryServer.NewRepository("ecr");
        ProcessResult result = Push(repository, Keys(Pusher));
        result.EnsureSuccess("ctimage push to ECR");
        Assert.Contains($"Credentials for {Registry}: ECR token from AWS environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, access key AKIA…HER1", result.StandardError);
        Assert.Equal([200], _api.Calls.Select(c => c.Status));
        Assert.Equal(Pusher.AccessKeyId, _api.Calls[0].AccessKeyId);
        Assert.Contains("Loaded the cloud identity libraries from", result.StandardError, StringComparison.Ordinal);
        Assert.Contains(_front.Requests, r => r.Method == "PUT" && r.Path.Contains("/manifests/", StringComparison.Ordinal) && r.Status == 201);
        Assert.DoesNotContain(_front.Requests, r => r.Refusal is "expired" or "denied" or "unknown token");
        AssertNoSecret(result);
        using HttpClient client = fixture.Server.CreateHttpClient(RegistryUsers.Pusher);
        using var head = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/manifests/1");
        head.Headers.TryAddWithoutValidation("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json");
        using HttpResponseMessage manifest = client.Send(head);
        Assert.Equal(System.Net.HttpStatusCode.OK, manifest.StatusCode);
    }

    [Fact]
    public async Task A_short_lived_ECR_token_is_obtained_again_during_the_push_ProtocolFake()
    {
        await RestartAsync(tokenLifetime: TimeSpan.FromSeconds(2), requestDelay: TimeSpan.FromMilliseconds(250), untilRenewed: true);
        ProcessResult result = Push(RegistryServer.NewRepository("ecr"), Keys(Pusher), layers: 3);
        result.EnsureSuccess("ctimage push to ECR with 2 s tokens");
        Assert.True(_api.Calls.Count(c => c.Status == 200) >= 2, $"GetAuthorizationToken calls: {string.Join(", ", _api.Calls)}");
        Assert.DoesNotContain(_front.Requests, r => r.Refusal == "expired");
        AssertNoSecret(result);
    }

    [Fact]
    public async Task A_push_with_a_CI_web_identity_assumes_the_role_at_STS_ProtocolFake()
    {
        const string role = "arn:aws:iam::123456789012:role/ci-push";
        string oidc = "eyJhbGciOiJSUzI1NiJ9.ci-oidc-token." + Guid.NewGuid().ToString("N");
        await using var sts = new StsProtocolFake(_api, oidc, role);
        string tokenFile = _dir["oidc-token"];
        File.WriteAllText(tokenFile, oidc);
        ProcessResult result = Push(RegistryServer.NewRepository("ecr"), new()
        {
            ["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile,
            ["AWS_ROLE_ARN"] = role,
            ["AWS_ENDPOINT_URL_STS"] = sts.Endpoint,
        });
        result.EnsureSuccess("ctimage push to ECR with a web identity");
        Assert.Contains($"ECR token from AWS web identity (role {role}, token file {tokenFile}), access key ASIA…", result.StandardError);
        Assert.Equal([(role, "containertasks", 200)], sts.Calls.Select(c => (c.RoleArn, c.SessionName, c.Status)));
        Assert.Equal([200], _api.Calls.Select(c => c.Status));
        Assert.StartsWith("ASIA", _api.Calls[0].AccessKeyId);
        string output = result.StandardOutput + result.StandardError;
        Assert.DoesNotContain(oidc, output);
        Assert.All(sts.Secrets, secret => Assert.DoesNotContain(secret, output));
    }

    [Fact]
    public async Task A_web_identity_STS_refuses_is_CT3022_naming_the_role_ProtocolFake()
    {
        await using var sts = new StsProtocolFake(_api, "the-token-sts-trusts", "arn:aws:iam::123456789012:role/ci-push");
        string tokenFile = _dir[$"oidc-{Guid.NewGuid():N}"];
        File.WriteAllText(tokenFile, "eyJhbGciOiJSUzI1NiJ9.untrusted-subject");
        ProcessResult result = Push(RegistryServer.NewRepository("ecr"), new()
        {
            ["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile,
            ["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/other",
            ["AWS_ENDPOINT_URL_STS"] = sts.Endpoint,
        });
        string output = CodedFailure(result, "CT3022");
        Assert.Contains("AWS refused the credentials of web identity (role arn:aws:iam::123456789012:role/other", output);
        Assert.Contains("AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity", output);
        Assert.DoesNotContain("untrusted-subject", output);
        Assert.Empty(_api.Calls);
    }

    [Fact]
    public async Task A_profile_with_a_web_identity_role_loads_the_SDKs_STS_client_by_name_ProtocolFake()
    {
        const string role = "arn:aws:iam::123456789012:role/ci-profile";
        string oidc = "eyJhbGciOiJSUzI1NiJ9.profile-oidc-token." + Guid.NewGuid().ToString("N");
        await using var sts = new StsProtocolFake(_api, oidc, role);
        string tokenFile = _dir[$"oidc-{Guid.NewGuid():N}"];
        File.WriteAllText(tokenFile, oidc);
        string config = _dir[$"config-{Guid.NewGuid():N}"];
        File.WriteAllText(config, $"[profile ci]\nrole_arn = {role}\nweb_identity_token_file = {tokenFile}\nrole_session_name = from-profile\n");
        string credentials = _dir[$"credentials-{Guid.NewGuid():N}"];
        File.WriteAllText(credentials, $"[default]\naws_access_key_id = {Pusher.AccessKeyId}\naws_secret_access_key = {Pusher.Secret}\n");
        ProcessResult result = Push(RegistryServer.NewRepository("ecr"), new()
        {
            ["AWS_PROFILE"] = "ci",
            ["AWS_CONFIG_FILE"] = config,
            ["AWS_SHARED_CREDENTIALS_FILE"] = credentials,
            ["AWS_REGION"] = Region,
            ["AWS_ENDPOINT_URL_STS"] = sts.Endpoint,
        });
        result.EnsureSuccess("ctimage push to ECR with a web identity profile");
        Assert.Equal([(role, "from-profile", 200)], sts.Calls.Select(c => (c.RoleArn, c.SessionName, c.Status)));
        Assert.Contains("ECR token from AWS profile 'ci', access key ASIA…", result.StandardError);
        Assert.StartsWith("ASIA", Assert.Single(_api.Calls).AccessKeyId);
    }

    [Fact]
    public async Task A_token_ECR_says_has_expired_before_its_stated_expiry_is_obtained_again_ProtocolFake()
    {
        // ECR's clock ahead of ours: the token expires there while we think it valid, and ECR answers 403 DENIED, not 401.
        await RestartAsync(tokenLifetime: TimeSpan.FromSeconds(1.5), requestDelay: TimeSpan.FromMilliseconds(250), untilRenewed: true, statedLifetime: TimeSpan.FromHours(12));
        ProcessResult result = Push(RegistryServer.NewRepository("ecr"), Keys(Pusher), layers: 3);
        result.EnsureSuccess("ctimage push to ECR whose tokens expire early");
        Assert.Contains(_front.Requests, r => r.Refusal == "expired");
        Assert.True(_api.Calls.Count(c => c.Status == 200) >= 2, $"GetAuthorizationToken calls: {string.Join(", ", _api.Calls)}");
        AssertNoSecret(result);
    }

    [Fact]
    public void An_SSO_profile_is_CT3021_saying_what_to_do_instead_ProtocolFake()
    {
        string config = _dir[$"config-{Guid.NewGuid():N}"];
        File.WriteAllText(config, "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Push\nregion = us-east-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n");
        ProcessResult result = Push(RegistryServer.NewRepository("ecr"), new() { ["AWS_PROFILE"] = "sso", ["AWS_CONFIG_FILE"] = config });
        string output = CodedFailure(result, "CT3021");
        Assert.Contains("The AWS profile 'sso' signs in with IAM Identity Center (SSO)", output);
        Assert.Contains("aws configure export-credentials --profile sso --format env", output);
        Assert.Empty(_api.Calls);
    }

    [Fact]
    public void No_AWS_identity_is_CT3021_listing_the_sources_ProtocolFake()
    {
        var watch = Stopwatch.StartNew();
        ProcessResult result = Push(RegistryServer.NewRepository("ecr"), new Dictionary<string, string?>());
        string output = CodedFailure(result, "CT3021");
        Assert.Contains("AWS_ACCESS_KEY_ID", output);
        Assert.Contains("AWS_WEB_IDENTITY_TOKEN_FILE", output);
        Assert.Contains("shared profile 'default'", output);
        Assert.Contains("EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)", output);
        Assert.Empty(_api.Calls);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public void A_wrong_secret_is_CT3022_with_AWSs_InvalidSignatureException_ProtocolFake()
    {
        var wrong = Pusher with { Secret = "not/the/right/secret/EXAMPLEKEY000000000" };
        ProcessResult result = Push(RegistryServer.NewRepository("ecr"), Keys(wrong));
        string output = CodedFailure(result, "CT3022");
        Assert.Contains("403 InvalidSignatureException: The request signature we calculated does not match", output);
        Assert.Contains("access key AKIA…HER1", output);
        Assert.Equal([403], _api.Calls.Select(c => c.Status));
        Assert.DoesNotContain(wrong.Secret, output);
        Assert.DoesNotContain(Pusher.Secret, output);
    }

    [Fact]
    public void An_identity_without_ecr_GetAuthorizationToken_is_CT3022_AccessDenied_ProtocolFake()
    {
        ProcessResult result = Push(RegistryServer.NewRepository("ecr"), Keys(NoEcr));
        string output = CodedFailure(result, "CT3022");
        Assert.Contains("AccessDeniedException: User: arn:aws:iam::123456789012:user/no-ecr is not authorized to perform: ecr:GetAuthorizationToken", output);
        Assert.Contains("Allow the identity ecr:GetAuthorizationToken", output);
        AssertNoSecret(result, NoEcr);
    }

    [Fact]
    public void The_registrys_DENIED_is_CT3003_naming_the_AWS_identity_ProtocolFake()
    {
        ProcessResult result = Push(RegistryServer.NewRepository("ecr"), Keys(Reader));
        string output = CodedFailure(result, "CT3003");
        Assert.Contains("access key AKIA…DER2", output);
        Assert.Contains("ecr:InitiateLayerUpload", output);
        AssertNoSecret(result, Reader);
    }

    [Fact]
    public void An_unreachable_ECR_endpoint_is_CT3022_ProtocolFake()
    {
        var variables = Keys(Pusher);
        variables["AWS_ENDPOINT_URL_ECR"] = "http://127.0.0.1:1";   // a privileged port no test listens on: never taken by another test meanwhile
        variables["CONTAINERTASKS_UNREACHABLE_BUDGET_MS"] = "300";
        variables["CONTAINERTASKS_RETRY_BASE_MS"] = "10";
        string output = CodedFailure(Push(RegistryServer.NewRepository("ecr"), variables), "CT3022");
        Assert.Contains("The ECR API of us-east-1", output);
        Assert.Contains("cannot be reached", output);
    }

    [Fact]
    public void With_cloud_credentials_off_the_push_is_anonymous_and_CT3002_ProtocolFake()
    {
        var variables = Keys(Pusher);
        variables["CONTAINERTASKS_CLOUD_CREDENTIALS"] = "false";
        CodedFailure(Push(RegistryServer.NewRepository("ecr"), variables), "CT3002");
        Assert.Empty(_api.Calls);
    }

    // The coded failure, with the whole output in the message when it is another outcome.
    private static string CodedFailure(ProcessResult result, string code)
    {
        Assert.True(result.StandardError.Contains($"error {code}:", StringComparison.Ordinal), $"exit {result.ExitCode}, expected {code}:\n{result.StandardError}");
        return result.EnsureCodedFailure(code);
    }

    private static Dictionary<string, string?> Keys(AwsTestKey key) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = key.AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = key.Secret,
        ["AWS_SESSION_TOKEN"] = key.SessionToken,
    };

    private ProcessResult Push(string repository, Dictionary<string, string?> variables, int layers = 1)
    {
        string home = _dir["home-" + Guid.NewGuid().ToString("N")[..8]];
        Directory.CreateDirectory(home);
        var arguments = new List<string> { "build", "--from", "scratch", "--to", $"docker://{Registry}/{repository}:1", "--cache", _dir["cache"] };
        for (int i = 0; i < layers; i++)
        {
            string layer = _dir[$"layer{i}-{Guid.NewGuid():N}"];
            Directory.CreateDirectory(layer);
            File.WriteAllText(Path.Combine(layer, "file.txt"), $"layer {i} {Guid.NewGuid()}");
            arguments.AddRange(["--layer", $"{layer}:/app{i}"]);
        }
        var environment = new Dictionary<string, string?>
        {
            ["HOME"] = home,
            ["XDG_RUNTIME_DIR"] = home,
            ["DOCKER_CONFIG"] = null,
            ["REGISTRY_AUTH_FILE"] = null,
            ["DOTNET_CONTAINER_REGISTRY_UNAME"] = null,
            ["DOTNET_CONTAINER_REGISTRY_PWORD"] = null,
            ["HTTPS_PROXY"] = _front.ProxyUri,
            ["https_proxy"] = null,
            ["NO_PROXY"] = "127.0.0.1,localhost",
            ["no_proxy"] = null,
            ["SSL_CERT_FILE"] = _front.CaBundlePath,
            ["AWS_ENDPOINT_URL_ECR"] = _api.Endpoint,
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            ["AWS_PROFILE"] = null,
            ["AWS_ACCESS_KEY_ID"] = null,
            ["AWS_SECRET_ACCESS_KEY"] = null,
            ["AWS_SESSION_TOKEN"] = null,
            ["AWS_WEB_IDENTITY_TOKEN_FILE"] = null,
            ["AWS_ROLE_ARN"] = null,
            ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = null,
            ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = null,
        };
        foreach (var (name, value) in variables)
        {
            environment[name] = value;
        }
        return Run.CtImage(arguments, environment);
    }

    private void AssertNoSecret(ProcessResult result, AwsTestKey? key = null)
    {
        string output = result.StandardOutput + result.StandardError;
        Assert.DoesNotContain((key ?? Pusher).Secret, output);
        Assert.DoesNotContain((key ?? Pusher).AccessKeyId, output);
        foreach (string password in _api.Passwords)
        {
            Assert.DoesNotContain(password, output);
        }
    }

    // untilRenewed: requests are held only until a second token was issued, so the push outlasts the first token and no more.
    private async Task RestartAsync(TimeSpan tokenLifetime, TimeSpan requestDelay, bool untilRenewed, TimeSpan? statedLifetime = null)
    {
        await _front.DisposeAsync();
        await _api.DisposeAsync();
        await StartAsync(tokenLifetime, requestDelay, untilRenewed, statedLifetime);
    }

    private Task StartAsync(TimeSpan tokenLifetime, TimeSpan requestDelay, bool untilRenewed = false, TimeSpan? statedLifetime = null)
    {
        var api = new EcrApiProtocolFake(Region, Pusher, Reader, NoEcr) { TokenLifetime = tokenLifetime, StatedLifetime = statedLifetime };
        _api = api;
        _front = new EcrRegistryProtocolFake(Registry, fixture.Server, api, _dir.Path)
        {
            RequestDelay = requestDelay,
            DelayWhile = untilRenewed ? () => api.Calls.Count(c => c.Status == 200) < 2 : () => true,
        };
        return Task.CompletedTask;
    }
}
