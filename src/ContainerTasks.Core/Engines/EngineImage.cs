using System.Text.Json;
using ContainerTasks.Model;

namespace ContainerTasks.Engines;

/// <summary>
/// What a local engine says of an image it holds (<c>GET /images/{name}/json</c>, <c>docker image inspect</c>,
/// <c>podman image inspect</c>): its id, its names, and the one platform it is for.
/// </summary>
/// <param name="Name">The name it was asked by.</param>
/// <param name="Id">The engine's image id (<c>sha256:…</c>): the digest of its config (of its manifest or index in Docker's containerd store).</param>
/// <param name="RepoTags">The names the engine gives it, e.g. <c>localhost/my-base:1</c> in Podman.</param>
/// <param name="Platform">The platform of its config.</param>
/// <param name="Size">The bytes of its layers as the engine reports them (<c>Size</c>, <c>VirtualSize</c>); null when it reports none.</param>
internal sealed record EngineImage(string Name, Digest Id, IReadOnlyList<string> RepoTags, Platform Platform, long? Size = null)
{
    // An export holds the layers as tars plus a header per file and the small JSON files: a tenth and 64 MiB of room.
    private const long ExportOverhead = 64L * 1024 * 1024;

    // With no size reported: more than any base image that a build takes from an engine.
    private const long UnreportedExportLimit = 64L * 1024 * 1024 * 1024;

    /// <summary>The most an export of this image may bring (<see cref="Size"/> and room for tar headers and metadata).</summary>
    public long ExportLimit => Size is { } size ? size + size / 10 + ExportOverhead : UnreportedExportLimit;

    /// <summary>Reads an inspect answer (an object, or the CLIs' array of one); null when it is not one that names an id.</summary>
    public static EngineImage? Parse(string name, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                root = root.GetArrayLength() == 1 ? root[0] : default;
            }
            if (root.ValueKind != JsonValueKind.Object || ParseId(Text(root, "Id")) is not { } id)
            {
                return null;
            }
            var tags = root.TryGetProperty("RepoTags", out JsonElement t) && t.ValueKind == JsonValueKind.Array
                ? t.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
                : [];
            // The engine's words go into messages: cleaned (no terminal escapes or fake log lines), and short.
            string variant = Clean(Text(root, "Variant"));
            var platform = new Platform(Or(Clean(Text(root, "Os")), "linux"), Or(Clean(Text(root, "Architecture")), "unknown"), variant.Length > 0 ? variant : null);
            return new EngineImage(name, id, tags, platform, ReportedSize(root));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>For messages: <c>my-base:1 (podman's image 1a2b3c4d5e6f)</c>.</summary>
    public string Describe(string engine) => $"{Name} ({engine}'s image {Id.Hex[..12]})";

    // "sha256:<hex>" from the API; the podman CLI writes the hex alone.
    private static Digest? ParseId(string id)
    {
        if (Digest.TryParse(id, out Digest digest))
        {
            return digest;
        }
        return id.Length == 64 && Digest.TryParse("sha256:" + id, out digest) ? digest : null;
    }

    // The larger of Size and VirtualSize (older Dockers report the layers shared with other images only in VirtualSize).
    private static long? ReportedSize(JsonElement root)
    {
        long? size = null;
        foreach (string name in new[] { "Size", "VirtualSize" })
        {
            if (root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long bytes) && bytes > 0)
            {
                size = Math.Max(size ?? 0, Math.Min(bytes, long.MaxValue / 2));
            }
        }
        return size;
    }

    private static string Clean(string text) => Registry.RegistryText.Clean(text, 40);

    private static string Or(string value, string fallback) => value.Length > 0 ? value : fallback;

    private static string Text(JsonElement element, string name)
        => element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
