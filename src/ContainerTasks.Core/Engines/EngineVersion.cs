using System.Text.Json;

namespace ContainerTasks.Engines;

/// <summary>What an engine's <c>GET /version</c> says: which engine it is, its version and API version.</summary>
/// <param name="Kind">Podman when a component is named "Podman Engine" (its compatible API answers as Docker does otherwise).</param>
/// <param name="Version">The engine's version, e.g. <c>28.2.2</c>, <c>4.3.1</c>; empty when not given.</param>
/// <param name="ApiVersion">The Docker API version it serves, e.g. <c>1.41</c>; empty when not given.</param>
/// <param name="Os">The system of the containers it runs, <c>linux</c> or <c>windows</c>; empty when not given.</param>
internal sealed record EngineVersion(EngineKind Kind, string Version, string ApiVersion, string Os = "")
{
    private const string PodmanComponent = "Podman Engine";

    /// <summary>Reads the answer; null when it is not a JSON object (not an engine's API).</summary>
    public static EngineVersion? Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            bool podman = root.TryGetProperty("Components", out JsonElement components) && components.ValueKind == JsonValueKind.Array
                && components.EnumerateArray().Any(c => c.ValueKind == JsonValueKind.Object && Text(c, "Name") == PodmanComponent);
            return new EngineVersion(podman ? EngineKind.Podman : EngineKind.Docker, Text(root, "Version"), Text(root, "ApiVersion"), Text(root, "Os").ToLowerInvariant());
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>For messages: <c>podman 4.3.1 (API 1.41)</c>.</summary>
    public override string ToString()
    {
        string version = Version.Length > 0 ? " " + Registry.RegistryText.Clean(Version, 40) : "";
        string api = ApiVersion.Length > 0 ? $" (API {Registry.RegistryText.Clean(ApiVersion, 20)})" : "";
        return Kind.CommandName() + version + api;
    }

    private static string Text(JsonElement element, string name)
        => element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
