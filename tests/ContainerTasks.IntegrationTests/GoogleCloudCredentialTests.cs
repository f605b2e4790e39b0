using System.Diagnostics;
using System.Security.Cryptography;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;
using ContainerTasks.Tests.Infrastructure.Registries.Cloud;
using Xunit.Abstractions;

namespace ContainerTasks.Tests;

/// <summary>
/// Google Artifact Registry credentials from Application Default Credentials, against protocol fakes (Google's OAuth2
/// token endpoint, the metadata server, a realm that takes <c>oauth2accesstoken</c>) in front of a real registry reached
/// as <c>us-docker.pkg.dev</c>. Every build is a ctimage child with no docker login and no registry credential.
/// </summary>
public class GoogleCloudCredentialProtocolFakeTests(GoogleRegistryProtocolFake google, ITestOutputHelper output) : IClassFixture<GoogleRegistryProtocolFake>
{
    [Fact]
    public void A_push_to_artifact_registry_uses_the_service_account_key_of_GOOGLE_APPLICATION_CREDENTIALS_ProtocolFake()
    {
        using var dir = new TempDirectory();
        using var closed = Sockets.ClosedPort(out int port);
        google.OAuth.WriteServiceAccountKey(dir["key.json"]);
        var env = google.ChildEnvironment(dir.Path, port);
        env["GOOGLE_APPLICATION_CREDENTIALS"] = dir["key.json"];
        int before = google.AcceptedTokens.Count;

        ProcessResult result = Push(dir, env, out string repository);

        result.EnsureSuccess("ctimage build (push)");
        Assert.Contains($"Credentials for {GoogleRegistryProtocolFake.Host}: Google service account {google.OAuth.Email}", result.StandardError);
        Assert.True(google.AcceptedTokens.Count > before, "the realm got no oauth2accesstoken credential");
        Assert.Contains(google.Registry.AccessLog(repository), e => e.Method == "PUT" && e.Path.Contains("/manifests/", StringComparison.Ordinal) && e.Status == 201);
        AssertNoToken(result);
    }

    [Fact]
    public void Gclouds_credentials_in_CLOUDSDK_CONFIG_are_used_and_a_token_refused_before_it_expires_is_replaced_ProtocolFake()
    {
        using var dir = new TempDirectory();
        using var closed = Sockets.ClosedPort(out int port);
        var env = google.ChildEnvironment(dir.Path, port);
        google.OAuth.WriteServiceAccountKey(Path.Combine(env["CLOUDSDK_CONFIG"]!, "application_default_credentials.json"));
        int issuedBefore = google.OAuth.Requests.Count(r => r.Status == 200);
        int refusedBefore = google.RefusedTokens.Count;
        google.OAuth.Lifetime = TimeSpan.FromHours(1);   // the library would keep a token of an hour; tests of a class run one at a time
        google.RevokeNext = true;
        try
        {
            ProcessResult result = Push(dir, env, out _);

            result.EnsureSuccess("ctimage build (gcloud's credentials, a revoked token)");
            Assert.Contains($"Google service account {google.OAuth.Email} (from gcloud's application default credentials", result.StandardError);
            Assert.Equal(refusedBefore + 1, google.RefusedTokens.Count);
            Assert.Equal(2, google.OAuth.Requests.Count(r => r.Status == 200) - issuedBefore);
            AssertNoToken(result);
        }
        finally
        {
            google.OAuth.Lifetime = GoogleRegistryProtocolFake.TokenLifetime;
            google.RevokeNext = false;
        }
    }

    [Fact]
    public void An_access_token_that_expires_mid_build_is_obtained_again_ProtocolFake()
    {
        using var dir = new TempDirectory();
        using var closed = Sockets.ClosedPort(out int port);
        google.OAuth.WriteServiceAccountKey(dir["key.json"]);
        var env = google.ChildEnvironment(dir.Path, port, slow: true);
        env["GOOGLE_APPLICATION_CREDENTIALS"] = dir["key.json"];
        // Incompressible, uploaded at 1 MB/s: the build outlives the 2 s access token and the 1 s registry tokens.
        Directory.CreateDirectory(dir["app"]);
        File.WriteAllBytes(Path.Combine(dir["app"], "data.bin"), RandomNumberGenerator.GetBytes(2_200_000));
        int issuedBefore = google.OAuth.Requests.Count(r => r.Status == 200);
        var accepted = google.AcceptedTokens.Count;

        ProcessResult result = Push(dir, env, out string repository, ["--level", "none"]);

        result.EnsureSuccess("ctimage build (slow push)");
        int issued = google.OAuth.Requests.Count(r => r.Status == 200) - issuedBefore;
        Assert.True(issued >= 2, $"the token endpoint issued {issued} token(s) during the build");
        Assert.True(google.AcceptedTokens.Skip(accepted).Distinct().Count() >= 2, "the realm did not see a renewed access token");
        Assert.Contains(google.Registry.AccessLog(repository), e => e.Method == "PUT" && e.Path.Contains("/manifests/", StringComparison.Ordinal) && e.Status == 201);
        AssertNoToken(result);
    }

    [Fact]
    public void Workload_identity_federation_as_GitHub_Actions_sets_it_up_exchanges_the_CIs_token_at_STS_ProtocolFake()
    {
        using var dir = new TempDirectory();
        using var closed = Sockets.ClosedPort(out int port);
        google.OAuth.WriteExternalAccount(dir["wif.json"], dir["oidc-token"], fromUrl: true);
        var env = google.ChildEnvironment(dir.Path, port);
        env["GOOGLE_APPLICATION_CREDENTIALS"] = dir["wif.json"];

        ProcessResult result = Push(dir, env, out _);

        result.EnsureSuccess("ctimage build (workload identity federation)");
        Assert.Contains($"workload identity federation ({GoogleOAuthProtocolFake.PoolAudience})", result.StandardError);
        Assert.Contains(google.OAuth.Requests, r => r.Kind == "oidc" && r.Status == 200);
        Assert.Contains(google.OAuth.Requests, r => r.Kind == "sts" && r.Status == 200);
        Assert.DoesNotContain(File.ReadAllText(dir["oidc-token"]), result.StandardOutput + result.StandardError);
        AssertNoToken(result);
    }

    [Fact]
    public void A_federated_token_STS_refuses_is_CT3022_ProtocolFake()
    {
        using var dir = new TempDirectory();
        using var closed = Sockets.ClosedPort(out int port);
        google.OAuth.WriteExternalAccount(dir["wif.json"], dir["oidc-token"], foreign: true);
        var env = google.ChildEnvironment(dir.Path, port);
        env["GOOGLE_APPLICATION_CREDENTIALS"] = dir["wif.json"];

        string output = Push(dir, env, out _).EnsureCodedFailure("CT3022");

        Assert.Contains("workload identity federation", output);
        Assert.Contains("invalid_grant", output);
        Assert.DoesNotContain(File.ReadAllText(dir["oidc-token"]), output);
    }

    [Fact]
    public void On_google_cloud_the_metadata_servers_token_is_used_ProtocolFake()
    {
        using var dir = new TempDirectory();
        using var closed = Sockets.ClosedPort(out int port);
        var env = google.ChildEnvironment(dir.Path, port);
        env["GCE_METADATA_HOST"] = google.OAuth.MetadataHost;

        ProcessResult result = Push(dir, env, out _);

        result.EnsureSuccess("ctimage build (metadata server)");
        Assert.Contains($"service account {google.OAuth.Email} of the metadata server ({google.OAuth.MetadataHost})", result.StandardError);
        Assert.Contains(google.OAuth.Requests, r => r.Kind == "metadata" && r.Status == 200);
        AssertNoToken(result);
    }

    [Fact]
    public void An_identity_without_push_permission_is_CT3003_naming_the_service_account_ProtocolFake()
    {
        using var dir = new TempDirectory();
        using var closed = Sockets.ClosedPort(out int port);
        google.OAuth.WriteServiceAccountKey(dir["key.json"]);
        var env = google.ChildEnvironment(dir.Path, port);
        env["GOOGLE_APPLICATION_CREDENTIALS"] = dir["key.json"];
        google.ReaderOnly = true;   // tests of a class run one at a time
        try
        {
            ProcessResult result = Push(dir, env, out _);
            string output = result.EnsureCodedFailure("CT3003");
            Assert.Contains(google.OAuth.Email, output);
            AssertNoToken(result);
        }
        finally
        {
            google.ReaderOnly = false;
        }
    }

    [Fact]
    public void No_application_default_credentials_is_CT3021_listing_what_was_tried_ProtocolFake()
    {
        using var dir = new TempDirectory();
        using var closed = Sockets.ClosedPort(out int port);
        var env = google.ChildEnvironment(dir.Path, port);
        var clock = Stopwatch.StartNew();

        string output = Push(dir, env, out _).EnsureCodedFailure("CT3021");

        Assert.Contains("GOOGLE_APPLICATION_CREDENTIALS (not set)", output);
        Assert.Contains("application_default_credentials.json", output);
        Assert.Contains($"metadata server at 127.0.0.1:{port}", output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
    }

    [Fact]
    public void A_key_google_refuses_is_CT3022_naming_the_service_account_ProtocolFake()
    {
        using var dir = new TempDirectory();
        using var closed = Sockets.ClosedPort(out int port);
        google.OAuth.WriteServiceAccountKey(dir["key.json"], deletedKey: true);
        var env = google.ChildEnvironment(dir.Path, port);
        env["GOOGLE_APPLICATION_CREDENTIALS"] = dir["key.json"];

        string output = Push(dir, env, out _).EnsureCodedFailure("CT3022");

        Assert.Contains(google.OAuth.Email, output);
        Assert.Contains("invalid_grant", output);
        Assert.DoesNotContain("PRIVATE KEY", output);
    }

    [Fact]
    public void An_unreachable_token_endpoint_is_CT3022_ProtocolFake()
    {
        using var dir = new TempDirectory();
        using var closed = Sockets.ClosedPort(out int port);
        google.OAuth.WriteServiceAccountKey(dir["key.json"], tokenUri: new Uri($"http://127.0.0.1:{port}/token"));
        var env = google.ChildEnvironment(dir.Path, port);
        env["GOOGLE_APPLICATION_CREDENTIALS"] = dir["key.json"];

        string output = Push(dir, env, out _).EnsureCodedFailure("CT3022");

        Assert.Contains("cannot be reached", output);
        Assert.Contains(google.OAuth.Email, output);
    }

    [Fact]
    public void With_cloud_credentials_off_the_push_is_anonymous_and_CT3002_ProtocolFake()
    {
        using var dir = new TempDirectory();
        using var closed = Sockets.ClosedPort(out int port);
        google.OAuth.WriteServiceAccountKey(dir["key.json"]);
        var env = google.ChildEnvironment(dir.Path, port);
        env["GOOGLE_APPLICATION_CREDENTIALS"] = dir["key.json"];
        env["CONTAINERTASKS_CLOUD_CREDENTIALS"] = "false";
        int requests = google.OAuth.Requests.Count;

        Push(dir, env, out _).EnsureCodedFailure("CT3002");

        Assert.Equal(requests, google.OAuth.Requests.Count);
    }

    private ProcessResult Push(TempDirectory dir, Dictionary<string, string?> env, out string repository, string[]? options = null)
    {
        repository = RegistryServer.NewRepository("test-project/google");
        if (!Directory.Exists(dir["app"]))
        {
            Directory.CreateDirectory(dir["app"]);
            File.WriteAllText(Path.Combine(dir["app"], "hello.txt"), "hello from a Google-authenticated push\n");
        }
        ProcessResult result = Run.CtImage(["build", "--from", "scratch", "--to", $"docker://{GoogleRegistryProtocolFake.Host}/{repository}:1",
            "--layer", $"{dir["app"]}:/app", "--entrypoint", "/app/hello", .. options ?? []], env);
        output.WriteLine(result.StandardError);
        return result;
    }

    private void AssertNoToken(ProcessResult result)
    {
        foreach (string token in google.OAuth.IssuedTokens)
        {
            Assert.DoesNotContain(token, result.StandardOutput + result.StandardError);
        }
    }
}
