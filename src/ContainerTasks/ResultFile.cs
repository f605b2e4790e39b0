using System.Text.Json;
using ContainerTasks.Building;

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
            writer.WriteStartArray("platforms");
            foreach (var platform in result.Platforms)
            {
                writer.WriteStartObject();
                writer.WriteString("runtimeIdentifier", platform.RuntimeIdentifier);
                writer.WriteString("platform", platform.Platform);
                writer.WriteString("digest", platform.ManifestDigest.ToString());
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        File.Move(temp, path, overwrite: true);
        return path;
    }
}
