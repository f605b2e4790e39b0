using System.Text.Json;

namespace ContainerTasks.Model;

/// <summary>Finds what kind of manifest a JSON document is.</summary>
internal static class ManifestKind
{
    /// <summary>
    /// The body's <c>mediaType</c> when present; else the content type; else a guess from the shape
    /// (<c>manifests</c> → OCI index, <c>config</c> → OCI manifest), as OCI allows the field to be absent.
    /// </summary>
    public static string? Detect(JsonElement root, string? contentType)
    {
        if (root.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String)
        {
            return m.GetString();
        }
        string? header = contentType?.Split(';')[0].Trim();
        if (!string.IsNullOrEmpty(header) && header != "application/json" && header != "application/octet-stream")
        {
            return header;
        }
        if (root.TryGetProperty("schemaVersion", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int version) && version == 1)
        {
            return MediaTypes.DockerSchema1SignedManifest;
        }
        if (root.TryGetProperty("manifests", out _))
        {
            return MediaTypes.OciIndex;
        }
        if (root.TryGetProperty("config", out _))
        {
            return MediaTypes.OciManifest;
        }
        return null;
    }

    public static void ThrowIfSchema1(JsonElement root, string? mediaType)
    {
        bool schema1 = MediaTypes.IsSchema1(mediaType)
            || (root.TryGetProperty("schemaVersion", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n == 1);
        if (schema1)
        {
            throw new ContainerTasksException(ErrorCodes.SchemaOneManifest,
                "The base image uses a Docker schema 1 manifest, deprecated since 2017 and not supported. "
                + "Use a newer tag of the image, or re-push it with a current client (e.g. 'skopeo copy --format v2s2').");
        }
    }
}
