using System.Diagnostics;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;
using ContainerTasks.Tests.Infrastructure.Registries.Cloud;
using static ContainerTasks.Tests.Infrastructure.Registries.Cloud.AzureRegistryProtocolFakes;

namespace ContainerTasks.Tests;

/// <summary>One Entra ID fake, ACR fake and Distribution registry for the tests of a class.</summary>
public sealed class AzureProtocolFakesFixture : IAsyncLifetime
{
    private AzureRegistryProtocolFakes? _fakes;

    /// <summary>The fakes.</summary>
    public AzureRegistryProtocolFakes Fakes => _fakes ?? throw new InvalidOperationException("Not started.");

    /// <inheritdoc/>
    public async Task InitializeAsync() => _fakes = await AzureRegistryProtocolFakes.StartAsync();

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_fakes is not null)
        {
            await _fakes.DisposeAsync();
        }
    }
}

/// <summary>
/// ACR credentials from the build's Azure identity, against protocol fakes: Entra ID's token endpoint (through
/// AZURE_AUTHORITY_HOST) and ACR's /oauth2/exchange and /oauth2/token in front of a real Distribution registry, reached
/// as ctacrtest.azurecr.io through HTTPS_PROXY. ctimage runs as a child with the identity's variables only.
/// </summary>
public class AzureContainerRegistryProtocolFakeTests(AzureProtocolFakesFixture fixture) : IClassFixture<AzureProtocolFakesFixture>
{
    private AzureRegistryProtocolFakes Fakes => fixture.Fakes;

    [Fact]
    public void ProtocolFake_ctimage_pushes_to_ACR_with_a_service_principal_and_no_docker_login()
    {
        int exchanges = Fakes.Acr.Exchanges;
        var (result, repository) = Push(ServicePrincipal());
        result.EnsureSuccess("ctimage push to the ACR fake");
        Assert.Contains($"credentials from Azure service principal {PushClient}", result.StandardError);
        Assert.Equal(exchanges + 1, Fakes.Acr.Exchanges);
        Assert.Contains(Fakes.Entra.Requests, r => r.ClientId == PushClient && r.Credential == "secret" && r.Scope == "https://containerregistry.azure.net/.default" && r.Status == 200);
        Assert.Contains(Fakes.Registry.AccessLog(repository), e => e.Method == "PUT" && e.Path.Contains("/manifests/", StringComparison.Ordinal) && e.Status == 201);
        NoSecrets(result);
    }

    [Fact]
    public void ProtocolFake_ctimage_pushes_with_a_GitHub_Actions_OIDC_token_and_no_azure_login()
    {
        var (result, _) = Push(Fakes.GitHubActions());
        result.EnsureSuccess("ctimage push with GitHub Actions OIDC");
        Assert.Contains($"credentials from Azure workload identity {PushClient} (tenant {Tenant}, GitHub Actions OIDC token)", result.StandardError);
        Assert.Contains(Fakes.CiOidc.Requests, r => r.StartsWith("GET /github/token?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange", StringComparison.Ordinal) && r.EndsWith(" 200", StringComparison.Ordinal));
        NoSecrets(result);
        Assert.DoesNotContain(CiOidcProtocolFake.GitHubRequestToken, result.StandardError + result.StandardOutput);
    }

    [Fact]
    public void ProtocolFake_ctimage_pushes_with_an_Azure_Pipelines_service_connection()
    {
        var (result, _) = Push(Fakes.AzurePipelines());
        result.EnsureSuccess("ctimage push with an Azure Pipelines service connection");
        Assert.Contains($"credentials from Azure Pipelines service connection {CiOidcProtocolFake.ServiceConnection} (client {PushClient}", result.StandardError);
        Assert.Contains(Fakes.CiOidc.Requests, r => r.StartsWith("POST /pipelines/oidctoken?", StringComparison.Ordinal) && r.EndsWith(" 200", StringComparison.Ordinal));
        NoSecrets(result);
        Assert.DoesNotContain(CiOidcProtocolFake.PipelinesAccessToken, result.StandardError + result.StandardOutput);
    }

    [Fact]
    public void ProtocolFake_no_Azure_identity_is_CT3021_listing_what_was_tried_without_waiting_for_IMDS()
    {
        var clock = Stopwatch.StartNew();
        var (result, _) = Push(null);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("CT3021", result.StandardError);
        Assert.Contains("AZURE_FEDERATED_TOKEN_FILE", result.StandardError);
        Assert.Contains("az is not on PATH", result.StandardError);
        Assert.Contains("IDENTITY_ENDPOINT and MSI_ENDPOINT are not set", result.StandardError);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public void ProtocolFake_Entra_refusing_the_secret_is_CT3022_with_its_AADSTS_code()
    {
        const string wrong = "Sx8Q~wrong-secret-value-000000000000";
        var (result, _) = Push(ServicePrincipal(PushClient, wrong));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("CT3022", result.StandardError);
        Assert.Contains("AADSTS7000215", result.StandardError);
        Assert.Contains(PushClient, result.StandardError);
        Assert.DoesNotContain(wrong, result.StandardError + result.StandardOutput);
        NoSecrets(result);
    }

    [Fact]
    public void ProtocolFake_an_unreachable_Entra_ID_is_CT3022_at_once_naming_the_identity()
    {
        var identity = ServicePrincipal();
        identity["AZURE_AUTHORITY_HOST"] = "https://127.0.0.1:1/";   // a privileged port no test listens on
        var clock = Stopwatch.StartNew();
        var (result, _) = Push(identity);
        Assert.NotEqual(0, result.ExitCode);
        Assert.True(result.StandardError.Contains("error CT3022:", StringComparison.Ordinal), result.StandardError);
        Assert.Contains(PushClient, result.StandardError);
        Assert.Contains("Check that 127.0.0.1 can be reached", result.StandardError);
        // Unreachable is no refusal: the build says so at once instead of going on anonymously.
        Assert.DoesNotContain("its requests are anonymous", result.StandardError);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        NoSecrets(result);
    }

    [Fact]
    public void ProtocolFake_the_registry_refusing_the_exchange_is_CT3022_naming_the_identity_and_the_role_to_grant()
    {
        var (result, _) = Push(ServicePrincipal(OutsiderClient, OutsiderSecret));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("CT3022", result.StandardError);
        Assert.Contains(OutsiderClient, result.StandardError);
        Assert.Contains("AcrPush", result.StandardError);
        Assert.DoesNotContain(OutsiderSecret, result.StandardError + result.StandardOutput);
        NoSecrets(result);
    }

    [Fact]
    public void ProtocolFake_a_pull_only_identity_pushing_is_CT3003_naming_the_identity()
    {
        var (result, _) = Push(ServicePrincipal(PullClient, PullSecret));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("CT3003", result.StandardError);
        Assert.Contains($"Azure service principal {PullClient}", result.StandardError);
        Assert.DoesNotContain(PullSecret, result.StandardError + result.StandardOutput);
        NoSecrets(result);
    }

    [Fact]
    public void ProtocolFake_with_cloud_credentials_off_the_push_is_anonymous_and_CT3002()
    {
        int entra = Fakes.Entra.Requests.Count;
        int exchanges = Fakes.Acr.Requests.Count(r => r.Endpoint == "exchange");
        var identity = ServicePrincipal();
        identity["CONTAINERTASKS_CLOUD_CREDENTIALS"] = "false";
        var (result, _) = Push(identity);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("CT3002", result.StandardError);
        Assert.Equal(entra, Fakes.Entra.Requests.Count);
        Assert.Equal(exchanges, Fakes.Acr.Requests.Count(r => r.Endpoint == "exchange"));
    }

    /// <summary>Pushes a one-layer image from scratch to a new repository of the ACR fake.</summary>
    internal static (ProcessResult Result, string Repository) Push(AzureRegistryProtocolFakes fakes, IReadOnlyDictionary<string, string?>? identity)
    {
        using var dir = new TempDirectory();
        string app = TestImage.CreateAppFolder(dir.Path);
        string repository = RegistryServer.NewRepository("azure");
        ProcessResult result = Run.CtImage(["build", "--from", "scratch", "--to", $"docker://{RegistryName}/{repository}:1", "--layer", $"{app}:/app",
            "--entrypoint", "/app/run", "--cache", dir["cache"]], fakes.ChildEnvironment(identity));
        return (result, repository);
    }

    /// <summary>Neither a secret nor a token of the fakes appears in the output.</summary>
    internal static void NoSecrets(ProcessResult result)
    {
        string output = result.StandardOutput + result.StandardError;
        foreach (string secret in new[] { PushSecret, PullSecret, OutsiderSecret, FederatedToken, "eyJ" })
        {
            Assert.DoesNotContain(secret, output);
        }
    }

    private (ProcessResult Result, string Repository) Push(IReadOnlyDictionary<string, string?>? identity) => Push(Fakes, identity);
}

/// <summary>A workload identity whose ACR refresh token and registry tokens expire in the middle of a push.</summary>
public class AzureContainerRegistryRenewalProtocolFakeTests
{
    [Fact]
    public async Task ProtocolFake_a_workload_identity_push_exchanges_again_when_the_refresh_token_expires_mid_build()
    {
        await using var fakes = await AzureRegistryProtocolFakes.StartAsync(new AzureFakesOptions
        {
            AccessTokenLifetime = TimeSpan.FromSeconds(2),
            Acr = new AcrFakeOptions { RefreshTokenLifetime = TimeSpan.FromSeconds(3), HoldFirstManifestPut = TimeSpan.FromSeconds(3.5) },
        });
        var (result, repository) = AzureContainerRegistryProtocolFakeTests.Push(fakes, fakes.WorkloadIdentity());
        result.EnsureSuccess("ctimage push with a workload identity");
        Assert.Contains($"credentials from Azure workload identity {PushClient}", result.StandardError);
        Assert.True(fakes.Acr.Exchanges >= 2, $"exchanges: {fakes.Acr.Exchanges}; {string.Join(", ", fakes.Acr.Requests)}");
        Assert.All(fakes.Entra.Requests, r => Assert.Equal("assertion", r.Credential));
        Assert.Contains(fakes.Registry.AccessLog(repository), e => e.Method == "PUT" && e.Path.Contains("/manifests/", StringComparison.Ordinal) && e.Status == 201);
        AzureContainerRegistryProtocolFakeTests.NoSecrets(result);
    }
}
