using System.Text.Json;
using ContainerTasks.Json;

namespace ContainerTasks.Model;

/// <summary>
/// An OCI content descriptor: what a piece of content is (media type), its digest and size,
/// and optional urls, annotations, platform, artifact type and embedded data.
/// </summary>
public sealed record Descriptor(string MediaType, Digest Digest, long Size)
{
    /// <summary>Where else the content can be fetched (foreign layers).</summary>
    public IReadOnlyList<string>? Urls { get; init; }

    /// <summary>Arbitrary metadata.</summary>
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>The platform of the image this descriptor points to (index entries).</summary>
    public Platform? Platform { get; init; }

    /// <summary>The artifact type (OCI 1.1) of the content it points to.</summary>
    public string? ArtifactType { get; init; }

    /// <summary>The content itself, base64-encoded (OCI 1.1), when embedded.</summary>
    public string? Data { get; init; }

    /// <summary>Reads a descriptor object; throws CT1003 naming <paramref name="what"/> on a missing field.</summary>
    public static Descriptor Read(JsonElement element, string what)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(what, "is not an object");
        }
        string mediaType = element.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String
            ? m.GetString()!
            : throw Invalid(what, m.ValueKind == JsonValueKind.Undefined ? "has no mediaType" : "has a mediaType that is not a string");
        Digest digest = element.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String
            ? Digest.Parse(d.GetString()!)
            : throw Invalid(what, "has no digest");
        long size = element.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out long sz) && sz >= 0
            ? sz
            : throw Invalid(what, "has no valid size");
        string member = $"descriptor in the {what}";
        return new Descriptor(mediaType, digest, size)
        {
            Urls = JsonMembers.Strings(element, "urls", member),
            Annotations = JsonMembers.Object(element, "annotations", member) is { } annotations ? ReadStringMap(annotations) : null,
            Platform = JsonMembers.Object(element, "platform", member) is { } platform ? Platform.Read(platform) : null,
            ArtifactType = JsonMembers.String(element, "artifactType", member),
            Data = JsonMembers.String(element, "data", member),
        };
    }

    /// <summary>Writes the descriptor; map keys in ordinal order so output is stable.</summary>
    public void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("mediaType", MediaType);
        if (ArtifactType is not null)
        {
            writer.WriteString("artifactType", ArtifactType);
        }
        writer.WriteString("digest", Digest.ToString());
        writer.WriteNumber("size", Size);
        if (Urls is { Count: > 0 })
        {
            writer.WriteStartArray("urls");
            foreach (string url in Urls)
            {
                writer.WriteStringValue(url);
            }
            writer.WriteEndArray();
        }
        if (Annotations is { Count: > 0 })
        {
            writer.WritePropertyName("annotations");
            WriteStringMap(writer, Annotations);
        }
        if (Data is not null)
        {
            writer.WriteString("data", Data);
        }
        if (Platform is not null)
        {
            writer.WritePropertyName("platform");
            Platform.Write(writer);
        }
        writer.WriteEndObject();
    }

    /// <summary>Writes the optional <c>subject</c> and <c>annotations</c> members manifests and indexes share.</summary>
    internal static void WriteSubjectAndAnnotations(Utf8JsonWriter writer, Descriptor? subject, IReadOnlyDictionary<string, string>? annotations)
    {
        if (subject is not null)
        {
            writer.WritePropertyName("subject");
            subject.Write(writer);
        }
        if (annotations is { Count: > 0 })
        {
            writer.WritePropertyName("annotations");
            WriteStringMap(writer, annotations);
        }
    }

    internal static Dictionary<string, string> ReadStringMap(JsonElement element)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            map[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        }
        return map;
    }

    internal static void WriteStringMap(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> map)
    {
        writer.WriteStartObject();
        foreach (var pair in map.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WriteString(pair.Key, pair.Value);
        }
        writer.WriteEndObject();
    }

    private static ContainerTasksException Invalid(string what, string problem)
        => new(ErrorCodes.InvalidManifest, $"A descriptor in the {what} {problem}.");
}
