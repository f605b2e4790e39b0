using System.Text;
using System.Text.Json;

namespace ContainerTasks.Registry.Auth.Cloud.Azure;

/// <summary>
/// Reads claims of a JWT without checking its signature: only to learn when a token we were given expires (<c>exp</c>)
/// and which tenant it is of (<c>tid</c>) — never to trust it. Anything unreadable is null.
/// </summary>
internal static class JwtClaims
{
    /// <summary>The <c>exp</c> claim as a time, or null.</summary>
    public static DateTimeOffset? Expiry(string token)
        => Payload(token) is { } payload && payload.TryGetProperty("exp", out JsonElement exp) && exp.ValueKind == JsonValueKind.Number && exp.TryGetInt64(out long seconds)
            && seconds is > 0 and < 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    /// <summary>The string claim <paramref name="name"/>, or null.</summary>
    public static string? Text(string token, string name)
        => Payload(token) is { } payload && payload.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static JsonElement? Payload(string token)
    {
        string[] parts = token.Split('.');
        if (parts.Length != 3 || parts[1].Length is 0 or > 64 * 1024)
        {
            return null;
        }
        string base64 = parts[1].Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
        try
        {
            using var document = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(base64)));
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null;
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            return null;
        }
    }
}
