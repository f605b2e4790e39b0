using System.Text.Json;
using ContainerTasks.Pipeline;

namespace ContainerTasks.MSBuild;

/// <summary>Writes <c>$(IntermediateOutputPath)container/image.json</c>: what was built and where it went, for scripts and CI.</summary>
internal static class ResultFile
{
    public static string Write(string directory, ContainerBuildResult result)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, "image.json");
        string temp = path + ".tmp";
        using (var stream = File.Create(temp))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("registry", result.Registry);
            writer.WriteString("repository", result.Repository);
            writer.WriteStartArray("tags");
            foreach (string tag in result.Tags)
            {
                writer.WriteStringValue(tag);
            }
            writer.WriteEndArray();
            writer.WriteStartArray("names");
            foreach (string name in result.Names)
            {
                writer.WriteStringValue(name);
            }
            writer.WriteEndArray();
            writer.WriteString("digest", result.ManifestDigest.ToString());
            writer.WriteString("mediaType", result.MediaType);
            writer.WriteString("baseDigest", result.BaseDigest.ToString());
            writer.WriteString("archive", result.ArchivePath);
            writer.WriteString("destination", result.Destination);
            WritePlatforms(writer, result.Platforms);
            WriteArtifacts(writer, result.Artifacts);
            writer.WriteEndObject();
        }
        File.Move(temp, path, overwrite: true);
        return path;
    }

    // The documents about the image: the file next to image.json, what it is about, and the manifest attaching it, if any.
    private static void WriteArtifacts(Utf8JsonWriter writer, IReadOnlyList<ArtifactResult> artifacts)
    {
        writer.WriteStartArray("artifacts");
        foreach (var artifact in artifacts)
        {
            writer.WriteStartObject();
            writer.WriteString("kind", artifact.Kind);
            writer.WriteString("file", artifact.FileName);
            if (artifact.RuntimeIdentifier is { } rid)
            {
                writer.WriteString("runtimeIdentifier", rid);
            }
            writer.WriteString("subject", artifact.Subject.ToString());
            writer.WriteString("artifactType", artifact.ArtifactType);
            if (artifact.FileName is not null)
            {
                writer.WriteString("digest", artifact.Digest.ToString());
                writer.WriteNumber("size", artifact.Content.Length);
            }
            writer.WriteString("referrer", artifact.Manifest?.ToString());
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    // Each platform image and its layers (base layers first), so a script sees what was built and what came from the base or the layer cache.
    private static void WritePlatforms(Utf8JsonWriter writer, IReadOnlyList<PlatformResult> platforms)
    {
        writer.WriteStartArray("platforms");
        foreach (var platform in platforms)
        {
            writer.WriteStartObject();
            writer.WriteString("runtimeIdentifier", platform.RuntimeIdentifier);
            writer.WriteString("platform", platform.Platform);
            writer.WriteString("digest", platform.ManifestDigest.ToString());
            writer.WriteStartArray("layers");
            foreach (var layer in platform.Layers)
            {
                writer.WriteStartObject();
                writer.WriteString("name", layer.Name);
                writer.WriteString("digest", layer.Digest.ToString());
                writer.WriteNumber("size", layer.Size);
                writer.WriteString("source", layer.Source);
                if (layer.FoundIn is { } foundIn)
                {
                    writer.WriteString("foundIn", foundIn);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }
}
