using System.Text.Json;
using ContainerTasks.Json;

namespace ContainerTasks.Model;

/// <summary>A single-image manifest, OCI (<c>application/vnd.oci.image.manifest.v1+json</c>) or Docker v2 schema 2.</summary>
internal sealed record ImageManifest(string MediaType, Descriptor Config, IReadOnlyList<Descriptor> Layers)
{
    /// <summary>Manifest annotations (OCI only).</summary>
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>The manifest this one refers to (OCI 1.1 referrers).</summary>
    public Descriptor? Subject { get; init; }

    /// <summary>The artifact type, for artifact manifests.</summary>
    public string? ArtifactType { get; init; }

    /// <summary>True when this is a Docker v2 schema 2 manifest.</summary>
    public bool IsDocker => MediaType == MediaTypes.DockerManifest;

    /// <summary>
    /// Parses a manifest. <paramref name="contentType"/> (e.g. a registry's Content-Type) is used only when the
    /// body has no <c>mediaType</c>. Schema 1 is refused with CT1005, other non-manifests with CT1004.
    /// </summary>
    public static ImageManifest Parse(ReadOnlyMemory<byte> json, string? contentType = null)
    {
        using JsonDocument document = JsonFormat.Parse(json, "image manifest");
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidManifest, "The image manifest is not a JSON object.");
        }
        string? mediaType = ManifestKind.Detect(root, contentType);
        ManifestKind.ThrowIfSchema1(root, mediaType);
        if (!MediaTypes.IsManifest(mediaType))
        {
            throw new ContainerTasksException(ErrorCodes.UnsupportedMediaType,
                $"Expected an image manifest but got '{mediaType ?? "(no media type)"}'.");
        }
        if (!root.TryGetProperty("config", out var config))
        {
            throw new ContainerTasksException(ErrorCodes.InvalidManifest, "The image manifest has no config descriptor.");
        }
        const string what = "image manifest";
        List<Descriptor> layers = JsonMembers.Array(root, "layers", what) is { } list
            ? list.EnumerateArray().Select(layer => Descriptor.Read(layer, what)).ToList()
            : [];
        return new ImageManifest(mediaType!, Descriptor.Read(config, what), layers)
        {
            Annotations = JsonMembers.Object(root, "annotations", what) is { } a ? Descriptor.ReadStringMap(a) : null,
            Subject = JsonMembers.Object(root, "subject", what) is { } s ? Descriptor.Read(s, what) : null,
            ArtifactType = JsonMembers.String(root, "artifactType", what),
        };
    }

    /// <summary>The manifest's canonical bytes: compact JSON, fields in a fixed order.</summary>
    public byte[] ToBytes() => JsonFormat.Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteNumber("schemaVersion", 2);
        writer.WriteString("mediaType", MediaType);
        if (ArtifactType is not null)
        {
            writer.WriteString("artifactType", ArtifactType);
        }
        writer.WritePropertyName("config");
        Config.Write(writer);
        writer.WriteStartArray("layers");
        foreach (Descriptor layer in Layers)
        {
            layer.Write(writer);
        }
        writer.WriteEndArray();
        Descriptor.WriteSubjectAndAnnotations(writer, Subject, Annotations);
        writer.WriteEndObject();
    });
}
