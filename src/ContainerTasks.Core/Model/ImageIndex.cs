using System.Text.Json;
using ContainerTasks.Json;

namespace ContainerTasks.Model;

/// <summary>An OCI image index or a Docker manifest list: one manifest per platform.</summary>
internal sealed record ImageIndex(string MediaType, IReadOnlyList<Descriptor> Manifests)
{
    /// <summary>Index annotations (OCI only).</summary>
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>The index's artifact type (OCI 1.1).</summary>
    public string? ArtifactType { get; init; }

    /// <summary>The manifest this index refers to (OCI 1.1 referrers).</summary>
    public Descriptor? Subject { get; init; }

    /// <summary>Parses an index or manifest list; throws CT1004 for anything else.</summary>
    public static ImageIndex Parse(ReadOnlyMemory<byte> json, string? contentType = null)
    {
        using JsonDocument document = JsonFormat.Parse(json, "image index");
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidManifest, "The image index is not a JSON object.");
        }
        string? mediaType = ManifestKind.Detect(root, contentType);
        if (!MediaTypes.IsIndex(mediaType))
        {
            throw new ContainerTasksException(ErrorCodes.UnsupportedMediaType,
                $"Expected an image index or manifest list but got '{mediaType ?? "(no media type)"}'.");
        }
        const string what = "image index";
        List<Descriptor> manifests = JsonMembers.Array(root, "manifests", what) is { } list
            ? list.EnumerateArray().Select(entry => Descriptor.Read(entry, what)).ToList()
            : [];
        return new ImageIndex(mediaType!, manifests)
        {
            Annotations = JsonMembers.Object(root, "annotations", what) is { } a ? Descriptor.ReadStringMap(a) : null,
            ArtifactType = JsonMembers.String(root, "artifactType", what),
            Subject = JsonMembers.Object(root, "subject", what) is { } s ? Descriptor.Read(s, what) : null,
        };
    }

    /// <summary>
    /// The entries that are runnable images: manifests with a platform that is not BuildKit's
    /// "unknown/unknown" attestation placeholder, and that are not artifacts (signatures, SBOMs).
    /// </summary>
    public IEnumerable<Descriptor> Images => Manifests.Where(IsImageEntry);

    /// <summary>
    /// The entry for <paramref name="platform"/>, or CT1006 listing the platforms on offer.
    /// When several match (e.g. no variant asked), the first in index order wins, as docker does.
    /// </summary>
    public Descriptor SelectPlatform(Platform platform, string imageName)
    {
        Descriptor? match = Images.FirstOrDefault(d => d.Platform is not null && d.Platform.Satisfies(platform));
        if (match is not null)
        {
            return match;
        }
        var platforms = Images.Where(d => d.Platform is not null).Select(d => d.Platform!.ToString()).Distinct().ToList();
        string offered = string.Join(", ", platforms.Take(20)) + (platforms.Count > 20 ? $" and {platforms.Count - 20} more" : "");
        throw new ContainerTasksException(ErrorCodes.NoMatchingPlatform,
            $"The image '{imageName}' has no manifest for {platform}. It offers: {(offered.Length == 0 ? "(none)" : offered)}. "
            + "Choose a base image that supports this platform, or build for one it offers.");
    }

    /// <summary>The index's canonical bytes.</summary>
    public byte[] ToBytes() => JsonFormat.Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteNumber("schemaVersion", 2);
        writer.WriteString("mediaType", MediaType);
        if (ArtifactType is not null)
        {
            writer.WriteString("artifactType", ArtifactType);
        }
        writer.WriteStartArray("manifests");
        foreach (Descriptor manifest in Manifests)
        {
            manifest.Write(writer);
        }
        writer.WriteEndArray();
        Descriptor.WriteSubjectAndAnnotations(writer, Subject, Annotations);
        writer.WriteEndObject();
    });

    private static bool IsImageEntry(Descriptor d)
    {
        if (!MediaTypes.IsManifest(d.MediaType) && !MediaTypes.IsIndex(d.MediaType))
        {
            return false;
        }
        if (d.ArtifactType is not null || d.Platform is null || d.Platform.IsUnknown)
        {
            return false;
        }
        return d.Annotations is null || !d.Annotations.ContainsKey("vnd.docker.reference.type");
    }
}
