using System.Security.Cryptography;
using System.Text;

namespace ContainerTasks.Layers;

/// <summary>
/// An accelerator for layer keys: remembers a file's content hash and mode by its full path, size and
/// modification time (to the tick), so an unchanged publish output is not read and hashed again. Only an
/// accelerator: any change of size or time means the file is hashed again, and a missing or unreadable entry
/// is a miss. One small file per path under the content store's <c>stat/</c> folder.
/// </summary>
internal static class StatCache
{
    private const string Version = "s1";

    public static bool TryGet(string? directory, LayerEntry entry, out string? line)
    {
        line = null;
        if (directory is null)
        {
            return false;
        }
        try
        {
            string path = EntryPath(directory, entry);
            if (!File.Exists(path))
            {
                return false;
            }
            string[] parts = File.ReadAllText(path).Split('\n', 2);
            if (parts.Length != 2 || parts[0] != Stamp(entry))
            {
                return false;
            }
            line = parts[1];
            return line.StartsWith($"f {entry.Path} ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static void Put(string? directory, LayerEntry entry, string line)
    {
        if (directory is null)
        {
            return;
        }
        try
        {
            Directory.CreateDirectory(directory);
            string path = EntryPath(directory, entry);
            string temp = $"{path}.{Guid.NewGuid():N}.tmp";
            File.WriteAllText(temp, Stamp(entry) + "\n" + line);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only an accelerator.
        }
    }

    // Keyed by the source file and where it goes in the image (the line names the image path).
    private static string EntryPath(string directory, LayerEntry entry)
        => Path.Combine(directory, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(entry.SourcePath + "\0" + entry.Path + "\0" + entry.Mode))).ToLowerInvariant()[..40]);

    private static string Stamp(LayerEntry entry)
    {
        var info = new FileInfo(entry.SourcePath!);
        return $"{Version} {info.Length} {info.LastWriteTimeUtc.Ticks}";
    }
}
