using System.Net;
using System.Text.Json;

namespace ContainerTasks.Registry.Auth.Cloud.Azure;

/// <summary>
/// ACR's <c>POST https://REGISTRY/oauth2/exchange</c>: an Entra ID access token (form <c>grant_type=access_token</c>,
/// <c>service</c>, <c>tenant</c>, <c>access_token</c>) for an ACR refresh token, which the registry's <c>/oauth2/token</c>
/// then exchanges per repository scope (<c>grant_type=refresh_token</c>). The refresh token's lifetime is its JWT's
/// <c>exp</c> (ACR: about 3 hours), else <see cref="DefaultLifetime"/>.
/// </summary>
internal static class AcrTokenExchange
{
    /// <summary>The lifetime assumed when the refresh token says none: ACR's own.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(3);

    /// <summary>The refresh token for <paramref name="accessToken"/> and when it expires.</summary>
    /// <param name="context">The build's transport and logs.</param>
    /// <param name="registry">The registry host.</param>
    /// <param name="tenant">The Entra ID tenant, when known.</param>
    /// <param name="accessToken">The identity's Entra ID access token.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public static async Task<(string RefreshToken, DateTimeOffset ExpiresAt)> ExchangeAsync(CloudContext context, string registry, string? tenant,
        AzureAccessToken accessToken, CancellationToken cancellationToken)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "access_token", ["service"] = registry };
        if (tenant is not null)
        {
            form["tenant"] = tenant;
        }
        form["access_token"] = accessToken.Token;
        var exchange = new Uri($"https://{registry}/oauth2/exchange");
        var request = new TokenServiceRequest(context.Transport, $"exchanging the Azure token at {registry}", $"the token exchange of {registry}",
            "Check the registry name, the network and the proxy settings (HTTPS_PROXY, NO_PROXY).", context.Notice, ErrorCodes.CloudTokenServiceError);
        DateTimeOffset asked = DateTimeOffset.UtcNow;
        using HttpResponseMessage response = await request.SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, exchange) { Content = new FormUrlEncodedContent(form) }, cancellationToken).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
                $"{registry} refused to exchange the Entra ID token of {accessToken.Source} ({(int)response.StatusCode}{Detail(body, accessToken)}). "
                + $"Grant that identity a role on the registry: AcrPush to push (AcrPull to pull), or on a registry with ABAC repository permissions \"Container Registry Repository Writer\" (\"… Reader\" to pull); a new role takes a few minutes to apply.");
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
                $"The token exchange of {registry} answered {(int)response.StatusCode} {RegistryText.Clean(response.ReasonPhrase)}{Detail(body, accessToken)} for {accessToken.Source}. Check the registry's status and name.");
        }
        string refreshToken = RefreshToken(body)
            ?? throw new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
                $"The token exchange of {registry} answered without a refresh_token for {accessToken.Source}. Check that {registry} is an Azure Container Registry.");
        DateTimeOffset expiresAt = JwtClaims.Expiry(refreshToken) ?? asked + DefaultLifetime;
        return (refreshToken, expiresAt);
    }

    private static string? RefreshToken(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("refresh_token", out JsonElement token)
                && token.ValueKind == JsonValueKind.String && token.GetString() is { Length: > 0 } value ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // ACR's errors: {"errors":[{"code":"UNAUTHORIZED","message":"…"}]}; the message, cleaned, without the token if echoed.
    private static string Detail(string body, AzureAccessToken accessToken)
    {
        string? message = null;
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("errors", out JsonElement errors)
                && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0 && errors[0].ValueKind == JsonValueKind.Object
                && errors[0].TryGetProperty("message", out JsonElement text) && text.ValueKind == JsonValueKind.String)
            {
                message = text.GetString();
            }
        }
        catch (JsonException)
        {
            message = body;
        }
        message = message?.Replace(accessToken.Token, "<token>", StringComparison.Ordinal);
        return string.IsNullOrWhiteSpace(message) ? "" : $": {RegistryText.Clean(message)}";
    }
}
