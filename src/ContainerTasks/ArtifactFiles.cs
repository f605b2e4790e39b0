using ContainerTasks.Pipeline;

namespace ContainerTasks.MSBuild;

/// <summary>
/// Writes the documents made about the image (<c>sbom.spdx.json</c>, …) next to <c>image.json</c>, each whole or not at
/// all, and removes those an earlier build wrote that this one did not make (a switched-off SBOM leaves no stale file).
/// </summary>
internal static class ArtifactFiles
{
    // What earlier builds may have left: every document's file name starts with its kind.
    private static readonly string[] Patterns = [$"{ArtifactKinds.Sbom}.*.json", $"{ArtifactKinds.Provenance}.json"];

    /// <summary>Writes the artifacts into <paramref name="directory"/>; returns the paths written.</summary>
    public static IReadOnlyList<string> Write(string directory, IReadOnlyList<ArtifactResult> artifacts)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (ArtifactResult artifact in artifacts.Where(a => a.FileName is not null))
        {
            string path = Path.Combine(directory, artifact.FileName!);
            string temp = path + ".tmp";
            File.WriteAllBytes(temp, artifact.Content);
            File.Move(temp, path, overwrite: true);
            written.Add(path);
        }
        foreach (string stale in Patterns.SelectMany(p => Directory.EnumerateFiles(directory, p)).Except(written, StringComparer.Ordinal).ToList())
        {
            File.Delete(stale);
        }
        return written;
    }
}
