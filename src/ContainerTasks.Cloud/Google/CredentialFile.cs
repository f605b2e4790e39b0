using System.Text.Json;

namespace ContainerTasks.Cloud.Google;

/// <summary>
/// What a Google credential file (a service account key, an external account configuration for workload identity
/// federation, gcloud's authorized user or impersonated service account) says about its identity, read without its secrets
/// so that logs and errors can name the identity.
/// </summary>
internal sealed class CredentialFile
{
    private CredentialFile(string path, string type, string identity)
    {
        Path = path;
        Type = type;
        Identity = identity;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Its <c>type</c>: <c>service_account</c>, <c>external_account</c>, <c>authorized_user</c>, …</summary>
    public string Type { get; }

    /// <summary>The identity, without secrets: e.g. <c>service account ci@p.iam.gserviceaccount.com</c>.</summary>
    public string Identity { get; }

    /// <summary>Reads <paramref name="path"/>; <see cref="JsonException"/>, <see cref="IOException"/> when it cannot be read.</summary>
    public static CredentialFile Read(string path)
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement root = json.RootElement;
        string type = Text(root, "type") ?? throw new JsonException("it has no \"type\"");
        string? impersonated = ImpersonatedEmail(Text(root, "service_account_impersonation_url"));
        string identity = type switch
        {
            "service_account" => $"service account {Text(root, "client_email") ?? "(no client_email)"}",
            "external_account" => $"workload identity federation ({Text(root, "audience") ?? "no audience"})"
                + (impersonated is null ? "" : $" impersonating service account {impersonated}"),
            "impersonated_service_account" => $"service account {impersonated ?? "(unknown)"} impersonated with gcloud's credentials",
            "authorized_user" => "user credentials of 'gcloud auth application-default login'",
            "external_account_authorized_user" => "workforce identity federation user of 'gcloud auth application-default login'",
            _ => $"credentials of type '{type}'",
        };
        return new CredentialFile(path, type, identity);
    }

    /// <summary>The e-mail in <c>…/serviceAccounts/EMAIL:generateAccessToken</c>.</summary>
    private static string? ImpersonatedEmail(string? url)
    {
        const string marker = "/serviceAccounts/";
        int start = url?.IndexOf(marker, StringComparison.Ordinal) ?? -1;
        if (start < 0)
        {
            return null;
        }
        string rest = url![(start + marker.Length)..];
        int end = rest.IndexOf(':');
        return Uri.UnescapeDataString(end < 0 ? rest : rest[..end]);
    }

    private static string? Text(JsonElement root, string name)
        => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
