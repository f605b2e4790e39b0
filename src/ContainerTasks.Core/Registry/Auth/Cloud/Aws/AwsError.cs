using System.Text.Json;

namespace ContainerTasks.Registry.Auth.Cloud.Aws;

/// <summary>An AWS JSON protocol error: <c>__type</c> (or the <c>x-amzn-ErrorType</c> header) and <c>message</c>.</summary>
internal static class AwsError
{
    /// <summary>
    /// The error type without namespace or suffix (<c>com.amazon…#AccessDeniedException:http…</c> → <c>AccessDeniedException</c>)
    /// and the message, cleaned for a log; <paramref name="secret"/> (the request's session token, which an endpoint may
    /// echo) is taken out of both before they are cut to length.
    /// </summary>
    public static (string Type, string Message) Read(HttpResponseMessage response, string body, string? secret = null)
    {
        string? type = response.Headers.TryGetValues("x-amzn-ErrorType", out IEnumerable<string>? values) ? values.FirstOrDefault() : null;
        if (!string.IsNullOrEmpty(secret))
        {
            body = body.Replace(secret, "***", StringComparison.Ordinal);
            type = type?.Replace(secret, "***", StringComparison.Ordinal);
        }
        string? message = null;
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty property in json.RootElement.EnumerateObject())
                {
                    if (property.Value.ValueKind == JsonValueKind.String && property.NameEquals("__type"))
                    {
                        type ??= property.Value.GetString();
                    }
                    else if (property.Value.ValueKind == JsonValueKind.String && property.Name.Equals("message", StringComparison.OrdinalIgnoreCase))
                    {
                        message = property.Value.GetString();
                    }
                }
            }
        }
        catch (JsonException)
        {
            message = body;
        }
        type = type?.Split(':')[0];
        type = type?[(type.LastIndexOf('#') + 1)..];
        return (RegistryText.Clean(string.IsNullOrWhiteSpace(type) ? response.StatusCode.ToString() : type, 80),
            RegistryText.Clean(string.IsNullOrWhiteSpace(message) ? response.ReasonPhrase : message));
    }
}
