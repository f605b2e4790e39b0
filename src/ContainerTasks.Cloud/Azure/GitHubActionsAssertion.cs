using System.Text.Json;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Registry.Auth.Cloud;

namespace ContainerTasks.Cloud.Azure;

/// <summary>
/// The GitHub Actions OIDC token of the running job, for Entra ID's federated credential: <c>GET
/// ACTIONS_ID_TOKEN_REQUEST_URL&amp;audience=api://AzureADTokenExchange</c> with <c>Authorization: Bearer
/// ACTIONS_ID_TOKEN_REQUEST_TOKEN</c>, answered <c>{"value": "JWT"}</c>. Asked again each time Entra ID needs it (it lives minutes).
/// Sent with the build's transport (proxy, TLS, retries).
/// </summary>
internal sealed class GitHubActionsAssertion(string requestUrl, string requestToken, CloudContext context)
{
    /// <summary>The audience Entra ID's federated credentials expect.</summary>
    public const string Audience = "api://AzureADTokenExchange";

    /// <summary>A fresh OIDC token.</summary>
    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        var uri = new Uri(requestUrl + (requestUrl.Contains('?') ? "&" : "?") + "audience=" + Uri.EscapeDataString(Audience));
        var request = new TokenServiceRequest(context.Transport, "getting the GitHub Actions OIDC token", "GitHub Actions' OIDC token service",
            "Check that the job has 'permissions: id-token: write'.", context.Notice, ErrorCodes.CloudTokenServiceError);
        using HttpResponseMessage response = await request.SendAsync(() =>
        {
            var message = new HttpRequestMessage(HttpMethod.Get, uri);
            message.Headers.TryAddWithoutValidation("Authorization", "Bearer " + requestToken);
            return message;
        }, cancellationToken).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
                $"GitHub Actions' OIDC token service ({uri.Authority}) answered {(int)response.StatusCode}. Check that the job has 'permissions: id-token: write'.");
        }
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("value", out JsonElement value)
                && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } token)
            {
                return token;
            }
        }
        catch (JsonException)
        {
        }
        throw new ContainerTasksException(ErrorCodes.CloudTokenServiceError, $"GitHub Actions' OIDC token service ({uri.Authority}) answered without a token.");
    }
}
