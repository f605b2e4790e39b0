using System.Text.Json;

namespace ContainerTasks.Supply;

/// <summary>Reads a small JSON file the publish writes (runtimeconfig, deps.json) for the SBOM, with its error codes.</summary>
internal static class PublishFile
{
    /// <param name="path">The file.</param>
    /// <param name="description">What it is, for the error message ("The runtime configuration").</param>
    /// <param name="maxBytes">Past this the file is refused rather than read into memory.</param>
    /// <param name="parse">Reads the document's root.</param>
    /// <exception cref="ContainerTasksException">CT5009 when the file cannot be read; CT5010 when it is not JSON.</exception>
    public static T Read<T>(string path, string description, long maxBytes, Func<JsonElement, T> parse)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Length > maxBytes)
            {
                throw new IOException($"It is {Sizes.Format(info.Length)}, over {Sizes.Format(maxBytes)}.");
            }
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return parse(document.RootElement);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContainerTasksException(ErrorCodes.AssetsFileNotFound,
                $"{description} '{path}' could not be read for the SBOM: {e.Message} Publish the app first.", e);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidAssetsFile,
                $"{description} '{path}' is not valid JSON: {e.Message} Publish the app again.", e);
        }
    }
}
