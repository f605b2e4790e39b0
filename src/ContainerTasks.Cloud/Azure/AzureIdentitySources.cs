using Azure.Core;
using Azure.Identity;
using ContainerTasks.Registry.Auth.Cloud;
using ContainerTasks.Registry.Auth.Cloud.Azure;

namespace ContainerTasks.Cloud.Azure;

/// <summary>
/// The Azure identity sources in the order they are tried, each read from the build's environment
/// (<see cref="CloudContext.Environment"/>) and handed to Azure.Identity explicitly:
/// <list type="number">
/// <item>A service principal: <c>AZURE_TENANT_ID</c>, <c>AZURE_CLIENT_ID</c> and <c>AZURE_CLIENT_SECRET</c> or
/// <c>AZURE_CLIENT_CERTIFICATE_PATH</c> (as Azure.Identity's EnvironmentCredential reads them).</item>
/// <item>Workload identity: <c>AZURE_FEDERATED_TOKEN_FILE</c> with <c>AZURE_CLIENT_ID</c>, <c>AZURE_TENANT_ID</c> (AKS; any CI that writes its OIDC token to a file).</item>
/// <item>Azure Pipelines: a workload identity service connection (<c>SYSTEM_OIDCREQUESTURI</c>, <c>SYSTEM_ACCESSTOKEN</c> and the
/// connection's id, client and tenant as the AzureCLI@2 task exports them, <c>AZURESUBSCRIPTION_*</c>, or <c>AZURE_SERVICE_CONNECTION_ID</c>).</item>
/// <item>GitHub Actions OIDC: <c>ACTIONS_ID_TOKEN_REQUEST_URL</c>/<c>_TOKEN</c> (<c>permissions: id-token: write</c>) with <c>AZURE_CLIENT_ID</c>, <c>AZURE_TENANT_ID</c>.</item>
/// <item>Managed identity: <c>IDENTITY_ENDPOINT</c>/<c>MSI_ENDPOINT</c> (App Service, Functions, Container Apps, Arc, Cloud Shell), or IMDS if it answers within
/// <see cref="ImdsProbe.Timeout"/> (VMs, scale sets, AKS nodes); <c>AZURE_CLIENT_ID</c> picks a user-assigned identity.
/// Azure.Identity reads these endpoint variables from the process environment itself (the task's environment is the process's).</item>
/// <item>The Azure CLI's login, when <c>az</c> is on <c>PATH</c>.</item>
/// </list>
/// </summary>
internal static class AzureIdentitySources
{
    /// <summary>Finders of the sources, in order; each is asked only when the ones before it gave no token.</summary>
    public static IEnumerable<Func<CancellationToken, Task<AzureIdentitySource>>> InOrder(AzureTokenRequest request)
    {
        CloudContext context = request.Context;
        yield return _ => Task.FromResult(ServicePrincipal(request, context));
        yield return _ => Task.FromResult(WorkloadIdentity(request, context));
        yield return _ => Task.FromResult(AzurePipelines(request, context));
        yield return _ => Task.FromResult(GitHubActions(request, context));
        yield return cancellationToken => ManagedIdentityAsync(context, cancellationToken);
        yield return _ => Task.FromResult(AzureCli(context));
    }

    private static AzureIdentitySource ServicePrincipal(AzureTokenRequest request, CloudContext context)
    {
        const string name = "a service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH)";
        string? tenant = context.Variable("AZURE_TENANT_ID");
        string? client = context.Variable("AZURE_CLIENT_ID");
        string? secret = context.Variable("AZURE_CLIENT_SECRET");
        string? certificate = context.Variable("AZURE_CLIENT_CERTIFICATE_PATH");
        if (tenant is null || client is null || (secret is null && certificate is null))
        {
            return AzureIdentitySource.NotConfigured(name, Unset(("AZURE_TENANT_ID", tenant), ("AZURE_CLIENT_ID", client), ("AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH", secret ?? certificate)));
        }
        if (secret is not null)
        {
            return AzureIdentitySource.Configured(name, $"Azure service principal {client} (tenant {tenant}, secret from AZURE_CLIENT_SECRET)",
                () => new ClientSecretCredential(tenant, client, secret, Options(new ClientSecretCredentialOptions(), request)), tenant, secret);
        }
        string? password = context.Variable("AZURE_CLIENT_CERTIFICATE_PASSWORD");
        bool chain = string.Equals(context.Variable("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN"), "true", StringComparison.OrdinalIgnoreCase) || context.Variable("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN") == "1";
        return AzureIdentitySource.Configured(name, $"Azure service principal {client} (tenant {tenant}, certificate {certificate})",
            () => password is null
                ? new ClientCertificateCredential(tenant, client, certificate, Options(new ClientCertificateCredentialOptions { SendCertificateChain = chain }, request))
                : new ClientCertificateCredential(tenant, client, new System.Security.Cryptography.X509Certificates.X509Certificate2(certificate!, password),
                    Options(new ClientCertificateCredentialOptions { SendCertificateChain = chain }, request)),
            tenant, password);
    }

    private static AzureIdentitySource WorkloadIdentity(AzureTokenRequest request, CloudContext context)
    {
        const string name = "workload identity (AZURE_FEDERATED_TOKEN_FILE with AZURE_CLIENT_ID, AZURE_TENANT_ID)";
        string? file = context.Variable("AZURE_FEDERATED_TOKEN_FILE");
        string? tenant = context.Variable("AZURE_TENANT_ID");
        string? client = context.Variable("AZURE_CLIENT_ID");
        if (file is null || tenant is null || client is null)
        {
            return AzureIdentitySource.NotConfigured(name, Unset(("AZURE_FEDERATED_TOKEN_FILE", file), ("AZURE_CLIENT_ID", client), ("AZURE_TENANT_ID", tenant)));
        }
        if (!File.Exists(file))
        {
            return AzureIdentitySource.NotConfigured(name, $"AZURE_FEDERATED_TOKEN_FILE names '{file}', which does not exist");
        }
        var options = Options(new WorkloadIdentityCredentialOptions { TenantId = tenant, ClientId = client, TokenFilePath = file }, request);
        return AzureIdentitySource.Configured(name, $"Azure workload identity {client} (tenant {tenant}, federated token file)",
            () => new WorkloadIdentityCredential(options), tenant);
    }

    private static AzureIdentitySource AzurePipelines(AzureTokenRequest request, CloudContext context)
    {
        const string name = "an Azure Pipelines workload identity service connection (SYSTEM_OIDCREQUESTURI, SYSTEM_ACCESSTOKEN, AZURESUBSCRIPTION_SERVICE_CONNECTION_ID/CLIENT_ID/TENANT_ID)";
        string? uri = context.Variable("SYSTEM_OIDCREQUESTURI");
        string? connection = context.Variable("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID") ?? context.Variable("AZURE_SERVICE_CONNECTION_ID");
        string? client = context.Variable("AZURESUBSCRIPTION_CLIENT_ID") ?? context.Variable("AZURE_CLIENT_ID");
        string? tenant = context.Variable("AZURESUBSCRIPTION_TENANT_ID") ?? context.Variable("AZURE_TENANT_ID");
        string? accessToken = context.Variable("SYSTEM_ACCESSTOKEN");
        if (uri is null || connection is null || client is null || tenant is null || accessToken is null)
        {
            return AzureIdentitySource.NotConfigured(name, Unset(("SYSTEM_OIDCREQUESTURI", uri), ("the service connection id", connection), ("the client id", client),
                ("the tenant id", tenant), ("SYSTEM_ACCESSTOKEN (map $(System.AccessToken) into the step's env)", accessToken)));
        }
        // The credential asks SYSTEM_OIDCREQUESTURI itself (read by Azure.Identity from the process environment).
        var options = Options(new AzurePipelinesCredentialOptions(), request);
        return AzureIdentitySource.Configured(name, $"Azure Pipelines service connection {connection} (client {client}, tenant {tenant})",
            () => new AzurePipelinesCredential(tenant, client, connection, accessToken, options), tenant, accessToken);
    }

    private static AzureIdentitySource GitHubActions(AzureTokenRequest request, CloudContext context)
    {
        const string name = "GitHub Actions OIDC (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN with AZURE_CLIENT_ID, AZURE_TENANT_ID)";
        string? url = context.Variable("ACTIONS_ID_TOKEN_REQUEST_URL");
        string? bearer = context.Variable("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
        string? client = context.Variable("AZURE_CLIENT_ID");
        string? tenant = context.Variable("AZURE_TENANT_ID");
        if (url is null || bearer is null || client is null || tenant is null)
        {
            return AzureIdentitySource.NotConfigured(name, Unset(("ACTIONS_ID_TOKEN_REQUEST_URL (permissions: id-token: write)", url), ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", bearer),
                ("AZURE_CLIENT_ID", client), ("AZURE_TENANT_ID", tenant)));
        }
        var assertion = new GitHubActionsAssertion(url, bearer, context);
        var options = Options(new ClientAssertionCredentialOptions(), request);
        return AzureIdentitySource.Configured(name, $"Azure workload identity {client} (tenant {tenant}, GitHub Actions OIDC token)",
            () => new ClientAssertionCredential(tenant, client, assertion.GetAsync, options), tenant, bearer);
    }

    private static async Task<AzureIdentitySource> ManagedIdentityAsync(CloudContext context, CancellationToken cancellationToken)
    {
        const string name = "managed identity (IDENTITY_ENDPOINT, MSI_ENDPOINT, or Azure's instance metadata service)";
        string? client = context.Variable("AZURE_CLIENT_ID");
        string? endpoint = context.Variable("IDENTITY_ENDPOINT") ?? context.Variable("MSI_ENDPOINT");
        string via = endpoint is not null ? $"endpoint {endpoint}" : "IMDS";
        if (endpoint is null && await ImdsProbe.ProbeAsync(context.Variable("AZURE_POD_IDENTITY_AUTHORITY_HOST"), cancellationToken).ConfigureAwait(false) is { } absent)
        {
            return AzureIdentitySource.NotConfigured(name, $"IDENTITY_ENDPOINT and MSI_ENDPOINT are not set, and {absent}");
        }
        ManagedIdentityId id = client is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(client);
        string who = client is null ? "system-assigned" : $"user-assigned {client}";
        return AzureIdentitySource.Configured(name, $"Azure managed identity ({who}, {via})", () =>
        {
            var options = new ManagedIdentityCredentialOptions(id);
            options.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
            return new ManagedIdentityCredential(options);
        });
    }

    private static AzureIdentitySource AzureCli(CloudContext context)
    {
        const string name = "the Azure CLI's login (az)";
        string? path = context.Variable("PATH");
        bool found = path is not null && path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, "az")) || File.Exists(Path.Combine(folder, "az.cmd")));
        if (!found)
        {
            return AzureIdentitySource.NotConfigured(name, "az is not on PATH");
        }
        // The CLI runs with the process environment and its own login (az login, or AzureCLI@2's).
        return AzureIdentitySource.Configured(name, "the Azure CLI's login (az account get-access-token)", () => new AzureCliCredential());
    }

    private static T Options<T>(T options, AzureTokenRequest request) where T : TokenCredentialOptions
    {
        options.AuthorityHost = request.AuthorityHost;
        // An authority of no known cloud (Azure Stack Hub, a private cloud) is taken as it is: Entra's instance discovery would not know it.
        bool disable = !request.KnownAuthority;
        switch (options)
        {
            case ClientSecretCredentialOptions o: o.DisableInstanceDiscovery = disable; break;
            case ClientCertificateCredentialOptions o: o.DisableInstanceDiscovery = disable; break;
            case WorkloadIdentityCredentialOptions o: o.DisableInstanceDiscovery = disable; break;
            case AzurePipelinesCredentialOptions o: o.DisableInstanceDiscovery = disable; break;
            case ClientAssertionCredentialOptions o: o.DisableInstanceDiscovery = disable; break;
        }
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        return options;
    }

    private static string Unset(params (string Name, string? Value)[] variables)
        => string.Join(", ", variables.Where(v => v.Value is null).Select(v => v.Name)) + " not set";
}
