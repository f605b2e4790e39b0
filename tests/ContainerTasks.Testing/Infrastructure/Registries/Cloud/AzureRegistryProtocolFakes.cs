using System.Net.Sockets;

namespace ContainerTasks.Tests.Infrastructure.Registries.Cloud;

/// <summary>Settings of <see cref="AzureRegistryProtocolFakes"/>.</summary>
public sealed record AzureFakesOptions
{
    /// <summary>The registry's access token lifetime.</summary>
    public TimeSpan AccessTokenLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The ACR fake's settings (roles, refresh token lifetime, held manifest PUT).</summary>
    public AcrFakeOptions Acr { get; init; } = new();
}

/// <summary>
/// An Azure Container Registry as a build sees it, all on loopback: an <see cref="EntraIdProtocolFake"/> (reached through
/// <c>AZURE_AUTHORITY_HOST</c>), an <see cref="AcrProtocolFake"/> named <see cref="RegistryName"/> in front of a real
/// Distribution registry in token mode, and a <see cref="ForwardProxy"/> (<c>HTTPS_PROXY</c>) that sends that name to the
/// fake. Applications: <see cref="PushClient"/> (secret <see cref="PushSecret"/>, federated token <see cref="FederatedToken"/>;
/// the registry's <c>pusher</c>), <see cref="PullClient"/> (<c>puller</c>: pull only), unless the options give other roles,
/// and <see cref="OutsiderClient"/> (no role).
/// </summary>
public sealed class AzureRegistryProtocolFakes : IAsyncDisposable
{
    /// <summary>The registry's name: an ACR name, so the build recognises it.</summary>
    public const string RegistryName = "ctacrtest.azurecr.io";

    /// <summary>The tenant.</summary>
    public const string Tenant = "6b2a3e1c-0d4f-4c11-9a77-5e0f00c7a001";

    /// <summary>The application that may push.</summary>
    public const string PushClient = "1f0c2d3e-4a5b-4c6d-8e7f-a0b1c2d3e4f5";

    /// <summary>The application that may only pull.</summary>
    public const string PullClient = "9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4";

    /// <summary>An application Entra ID knows that has no role on the registry.</summary>
    public const string OutsiderClient = "3c4d5e6f-7081-4920-b3c4-d5e6f7081920";

    /// <summary>The outsider's client secret.</summary>
    public const string OutsiderSecret = "Sx8Q~outsider-secret-value-5555555555";

    /// <summary>The push application's client secret.</summary>
    public const string PushSecret = "Sx8Q~push-app-secret-value-0123456789";

    /// <summary>The pull application's client secret.</summary>
    public const string PullSecret = "Sx8Q~pull-app-secret-value-9876543210";

    /// <summary>The workload's OIDC token the push application's federated credential accepts (as a CI or AKS writes it to a file).</summary>
    public const string FederatedToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmN0L2FwcDpyZWY6cmVmcy9oZWFkcy9tYWluIn0.federated-signature-0123";

    private readonly TempDirectory _directory;
    private readonly Socket _closedPort;
    private readonly int _closedPortNumber;

    private AzureRegistryProtocolFakes(TempDirectory directory, RegistryServer registry, EntraIdProtocolFake entra, AcrProtocolFake acr, ForwardProxy proxy, CiOidcProtocolFake ci)
    {
        CiOidc = ci;
        _directory = directory;
        Registry = registry;
        Entra = entra;
        Acr = acr;
        Proxy = proxy;
        _closedPort = Sockets.ClosedPort(out _closedPortNumber);
        Directory.CreateDirectory(directory["docker-config"]);
        File.WriteAllText(directory["federated-token"], FederatedToken);
    }

    /// <summary>The Distribution registry behind the fake.</summary>
    public RegistryServer Registry { get; }

    /// <summary>The Entra ID fake.</summary>
    public EntraIdProtocolFake Entra { get; }

    /// <summary>The ACR fake.</summary>
    public AcrProtocolFake Acr { get; }

    /// <summary>GitHub Actions' and Azure Pipelines' OIDC token services.</summary>
    public CiOidcProtocolFake CiOidc { get; }

    /// <summary>The proxy that routes <see cref="RegistryName"/> to the fake.</summary>
    public ForwardProxy Proxy { get; }

    /// <summary>System roots, the registry's CA and the fakes' CA: <c>SSL_CERT_FILE</c> for the build.</summary>
    public string CaBundlePath => _directory["ca-bundle.crt"];

    /// <summary>A file with <see cref="FederatedToken"/>, for <c>AZURE_FEDERATED_TOKEN_FILE</c>.</summary>
    public string FederatedTokenFile => _directory["federated-token"];

    /// <summary>Starts everything.</summary>
    public static async Task<AzureRegistryProtocolFakes> StartAsync(AzureFakesOptions? options = null)
    {
        options ??= new AzureFakesOptions();
        var directory = new TempDirectory("ct-azure-");
        var certificate = IssuedCertificate.Create([RegistryName, "127.0.0.1", "localhost"], DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        RegistryServer registry = await RegistryServer.StartAsync(RegistryMode.HttpsToken, new RegistryOptions
        {
            Auth = new TokenServerOptions { Service = RegistryName, TokenLifetime = options.AccessTokenLifetime },
        });
        var entra = new EntraIdProtocolFake(certificate.Certificate, Tenant,
            [new EntraApplication(PushClient, PushSecret, FederatedToken), new EntraApplication(PullClient, PullSecret), new EntraApplication(OutsiderClient, OutsiderSecret)]);
        AcrFakeOptions acrOptions = options.Acr.Roles.Count > 0 ? options.Acr
            : options.Acr with { Roles = new Dictionary<string, string> { [PushClient] = RegistryUsers.Pusher.User, [PullClient] = RegistryUsers.Puller.User } };
        var acr = new AcrProtocolFake(RegistryName, certificate.Certificate, registry, entra, acrOptions);
        var proxy = new ForwardProxy(new Dictionary<string, string> { [RegistryName] = acr.Address });
        File.WriteAllText(directory["ca-bundle.crt"], File.ReadAllText(registry.CaBundlePath!).TrimEnd() + "\n" + certificate.CaPem);
        var ci = new CiOidcProtocolFake(certificate.Certificate, FederatedToken).Start();
        return new AzureRegistryProtocolFakes(directory, registry, entra, acr, proxy, ci);
    }

    /// <summary>
    /// The environment of a build that reaches the fakes, with no Azure identity and no other credential (every
    /// identity variable of the test machine cleared, <c>az</c> off PATH, IMDS on a closed port) plus <paramref name="identity"/>.
    /// </summary>
    public Dictionary<string, string?> ChildEnvironment(IReadOnlyDictionary<string, string?>? identity = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["SSL_CERT_FILE"] = CaBundlePath,
            ["HTTPS_PROXY"] = Proxy.Uri.ToString(),
            ["NO_PROXY"] = "127.0.0.1,localhost",
            ["AZURE_AUTHORITY_HOST"] = Entra.AuthorityHost.ToString(),
            // Azure.Identity's own variable for the IMDS endpoint: a closed port, so the managed identity probe ends at once.
            ["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = $"http://127.0.0.1:{_closedPortNumber}",
            ["DOCKER_CONFIG"] = _directory["docker-config"],
            ["PATH"] = PathWithoutAz(),
        };
        foreach (string name in new[]
        {
            "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE",
            "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "SYSTEM_OIDCREQUESTURI", "SYSTEM_ACCESSTOKEN", "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", "AZURESUBSCRIPTION_CLIENT_ID", "AZURESUBSCRIPTION_TENANT_ID", "AZURE_SERVICE_CONNECTION_ID", "DOTNET_CONTAINER_REGISTRY_UNAME",
            "DOTNET_CONTAINER_REGISTRY_PWORD", "DOTNET_CONTAINER_PUSH_REGISTRY_UNAME", "DOTNET_CONTAINER_PUSH_REGISTRY_PWORD",
            "CONTAINERTASKS_CLOUD_CREDENTIALS", "HTTP_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy",
        })
        {
            environment[name] = null;
        }
        foreach (var pair in identity ?? new Dictionary<string, string?>())
        {
            environment[pair.Key] = pair.Value;
        }
        return environment;
    }

    /// <summary>A service principal with a client secret (Azure.Identity's EnvironmentCredential variables).</summary>
    public static Dictionary<string, string?> ServicePrincipal(string client = PushClient, string secret = PushSecret)
        => new() { ["AZURE_TENANT_ID"] = Tenant, ["AZURE_CLIENT_ID"] = client, ["AZURE_CLIENT_SECRET"] = secret };

    /// <summary>A workload identity: the federated token file of the push application.</summary>
    public Dictionary<string, string?> WorkloadIdentity()
        => new() { ["AZURE_TENANT_ID"] = Tenant, ["AZURE_CLIENT_ID"] = PushClient, ["AZURE_FEDERATED_TOKEN_FILE"] = FederatedTokenFile };

    /// <summary>A GitHub Actions job with <c>permissions: id-token: write</c> and the push application's ids.</summary>
    public Dictionary<string, string?> GitHubActions()
        => new()
        {
            ["AZURE_TENANT_ID"] = Tenant, ["AZURE_CLIENT_ID"] = PushClient,
            ["ACTIONS_ID_TOKEN_REQUEST_URL"] = CiOidc.GitHubRequestUrl, ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = CiOidcProtocolFake.GitHubRequestToken,
        };

    /// <summary>An Azure Pipelines step with a workload identity service connection, as the AzureCLI@2 task exports it, and System.AccessToken mapped.</summary>
    public Dictionary<string, string?> AzurePipelines()
        => new()
        {
            ["SYSTEM_OIDCREQUESTURI"] = CiOidc.PipelinesRequestUri, ["SYSTEM_ACCESSTOKEN"] = CiOidcProtocolFake.PipelinesAccessToken,
            ["AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"] = CiOidcProtocolFake.ServiceConnection,
            ["AZURESUBSCRIPTION_CLIENT_ID"] = PushClient, ["AZURESUBSCRIPTION_TENANT_ID"] = Tenant,
        };

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await CiOidc.DisposeAsync();
        _closedPort.Dispose();
        await Proxy.DisposeAsync();
        await Acr.DisposeAsync();
        await Entra.DisposeAsync();
        await Registry.DisposeAsync();
        _directory.Dispose();
    }

    private static string PathWithoutAz()
        => string.Join(Path.PathSeparator, (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(Path.PathSeparator)
            .Where(folder => folder.Length > 0 && !File.Exists(Path.Combine(folder, "az"))));
}
