using System.Net;
using System.Text.Json;

namespace ContainerTasks.Registry;

/// <summary>Turns a registry's error response into a coded error naming registry, repository, operation, status and the registry's own error codes.</summary>
internal static class RegistryErrors
{
    /// <summary>True for a manifest refused because the registry does not know one of its blobs (<c>MANIFEST_BLOB_UNKNOWN</c>).</summary>
    public static bool IsBlobUnknown(ContainerTasksException error)
        => error.Code == ErrorCodes.RegistryError && error.Message.Contains("MANIFEST_BLOB_UNKNOWN", StringComparison.Ordinal);

    /// <summary>Throws the coded error for <paramref name="response"/> unless it is a success.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, string registry, string repository, string operation, Auth.RegistryCredential? credential, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await FromResponseAsync(response, registry, repository, operation, credential, cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task<ContainerTasksException> FromResponseAsync(HttpResponseMessage response, string registry, string repository, string operation, Auth.RegistryCredential? credential, CancellationToken cancellationToken)
    {
        int status = (int)response.StatusCode;
        string codes = await ReadErrorCodesAsync(response, cancellationToken).ConfigureAwait(false);
        string where = $"{operation} on {registry}/{repository} failed: {status} {RegistryText.Clean(response.ReasonPhrase)}{(codes.Length > 0 ? $" ({codes})" : "")}";
        // A cloud registry whose requests went anonymous for want of a usable identity: what was tried says what to set.
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden && (credential?.Renewal as Auth.Cloud.CloudIdentityGuard)?.Missing is { } missing)
        {
            return new ContainerTasksException(missing.Code, $"{where}. The registry needs a credential. {missing.Message}");
        }
        // Token registries answer 401 "insufficient_scope" when the token service granted less than asked:
        // the credentials work but lack the right, which is a denial, not a login problem.
        bool insufficientScope = response.StatusCode == HttpStatusCode.Unauthorized && credential is not null
            && Auth.AuthChallenge.FromResponse(response).Any(c => c.Parameters.TryGetValue("error", out string? error) && error == "insufficient_scope");
        if (insufficientScope)
        {
            return new ContainerTasksException(ErrorCodes.RegistryDenied, credential?.Renewal is not null
                ? $"{where}. The identity ({credential}) is valid but not allowed to do this (insufficient_scope): {CloudPermissionHint}."
                : $"{where}. The credentials ({credential}) are valid but not allowed to do this (insufficient_scope): ask for the right (e.g. push) on the repository, or use another repository.");
        }
        return response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => new ContainerTasksException(ErrorCodes.RegistryUnauthorized, credential is null
                ? $"{where}. The registry needs credentials and none were found: run 'docker login {registry}' (or podman login), or set DOTNET_CONTAINER_REGISTRY_UNAME/PWORD for the output registry (DOTNET_CONTAINER_PULL_REGISTRY_UNAME/PWORD for the base)."
                : $"{where}. The registry refused the credentials ({credential}): check them, or log in again."),
            HttpStatusCode.Forbidden => new ContainerTasksException(ErrorCodes.RegistryDenied, credential?.Renewal is not null
                ? $"{where}. The identity ({credential}) lacks permission for this: {CloudPermissionHint}."
                : $"{where}. The credentials ({credential?.ToString() ?? "anonymous"}) lack permission for this: ask for push (or pull) rights on the repository, or use another repository."),
            HttpStatusCode.NotFound => new ContainerTasksException(ErrorCodes.ImageNotFound,
                $"{where}. Check the repository and tag (they are case-sensitive), and that the image was pushed."),
            HttpStatusCode.TooManyRequests => new ContainerTasksException(ErrorCodes.RegistryRateLimited,
                $"{where}. The registry's rate limit was hit{RateLimit(response)} and retries ran out. Wait, log in (authenticated users get higher limits), or use a mirror."),
            _ => new ContainerTasksException(ErrorCodes.RegistryError,
                $"{where}. {(status >= 500 ? "The registry had a server error that persisted through retries; try again later." : "The registry did not accept the request.")}"),
        };
    }

    /// <summary>What to grant a cloud identity that a registry denies.</summary>
    public const string CloudPermissionHint = "grant it push (or pull) rights on the repository — ACR: AcrPush (AcrPull); ECR: the repository actions in authentication.md; Google: Artifact Registry Writer (Reader) — or use another repository";

    private static string RateLimit(HttpResponseMessage response)
    {
        string Header(string name) => response.Headers.TryGetValues(name, out var values) ? RegistryText.Clean(string.Join(",", values), 40) : "";
        string limit = Header("ratelimit-limit");
        string remaining = Header("ratelimit-remaining");
        return limit.Length == 0 && remaining.Length == 0 ? "" : $" (ratelimit-limit: {limit}, ratelimit-remaining: {remaining})";
    }

    // One entry of the distribution spec's {"errors":[{"code","message"}]}; entries of another shape are left out.
    private static string Describe(JsonElement error)
    {
        string? Text(string name) => error.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (error.ValueKind != JsonValueKind.Object)
        {
            return "";
        }
        return $"{Text("code") ?? "?"}{(Text("message") is { Length: > 0 } message ? ": " + message : "")}";
    }

    // The registry's own words, cleaned: they end up in build logs and terminals.
    internal static async Task<string> ReadErrorCodesAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            // Never more than a small limit of it (a streamed blob answer arrives here unread).
            if (!await ResponseBody.BufferAsync(response, ResponseBody.SmallLimit, cancellationToken).ConfigureAwait(false))
            {
                return "";
            }
            string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length == 0)
            {
                return "";
            }
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                return RegistryText.Clean(string.Join("; ", errors.EnumerateArray().Select(Describe).Where(e => e.Length > 0).Take(5)));
            }
        }
        catch (Exception e) when (e is JsonException or HttpRequestException or IOException or InvalidOperationException)
        {
        }
        return "";
    }
}
