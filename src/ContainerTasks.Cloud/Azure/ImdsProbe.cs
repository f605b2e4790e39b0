using System.Net;

namespace ContainerTasks.Cloud.Azure;

/// <summary>
/// Whether the Azure Instance Metadata Service answers (an Azure VM, VM scale set or AKS node), asked once with a short
/// timeout as Azure.Identity's DefaultAzureCredential does, so a build off Azure loses at most <see cref="Timeout"/>.
/// The token endpoint asked without its <c>Metadata: true</c> header: Azure's IMDS answers 400; another cloud's metadata
/// service (AWS, Google, also on 169.254.169.254) answers otherwise and is not taken for it.
/// <c>AZURE_POD_IDENTITY_AUTHORITY_HOST</c> moves the endpoint, as it does for Azure.Identity.
/// </summary>
internal static class ImdsProbe
{
    /// <summary>How long the probe waits.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    /// <summary>The default endpoint's host.</summary>
    public const string DefaultHost = "http://169.254.169.254";

    /// <summary>Null when IMDS answered; else why it is taken as absent.</summary>
    public static async Task<string?> ProbeAsync(string? podIdentityHost, CancellationToken cancellationToken)
    {
        string host = (podIdentityHost ?? DefaultHost).TrimEnd('/');
        if (!Uri.TryCreate($"{host}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com", UriKind.Absolute, out Uri? uri))
        {
            return $"AZURE_POD_IDENTITY_AUTHORITY_HOST '{podIdentityHost}' is not a URL";
        }
        // The link-local endpoint is never reached through a proxy.
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = Timeout }) { Timeout = Timeout };
        try
        {
            using HttpResponseMessage response = await client.GetAsync(uri, cancellationToken).ConfigureAwait(false);
            return response.StatusCode == HttpStatusCode.BadRequest ? null : $"{uri.Authority} answered {(int)response.StatusCode}, not as Azure's IMDS";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return $"no instance metadata service answered at {uri.Authority} within {Timeout.TotalSeconds:0} s";
        }
    }
}
