using System.Security.Cryptography;
using System.Text;
using ContainerTasks.Content;
using ContainerTasks.FileSystem;

namespace ContainerTasks.Layers;

/// <summary>
/// An accelerator for layer keys: remembers a file's content hash and mode by its full path and its
/// <see cref="FileIdentity"/> (size, modification and status-change times, inode, device: what git's index
/// trusts), so an unchanged publish output is not read and hashed again. Only an accelerator: any change of
/// identity means the file is hashed again, a missing or unreadable entry is a miss, and where the identity is
/// incomplete (no statx: size and time alone can hide a rewrite) it is never used. One small file per path
/// under the cache's <see cref="CacheLayout.Stat"/> folder, pruned when not used for days.
/// </summary>
internal static class StatCache
{
    private const string Version = "s2";

    public static bool TryGet(string? directory, LayerEntry entry, FileIdentity identity, out string? line)
    {
        line = null;
        if (directory is null || !identity.Complete)
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
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            string[] parts = new StreamReader(file).ReadToEnd().Split('\n', 2);
            if (parts.Length != 2 || parts[0] != Stamp(identity))
            {
                return false;
            }
            line = parts[1];
            if (!line.StartsWith($"f {entry.Path} ", StringComparison.Ordinal))
            {
                return false;
            }
            ContentStore.MarkUsed(file.SafeFileHandle); // Entries not used for days are pruned.
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static void Put(string? directory, LayerEntry entry, FileIdentity identity, string line)
    {
        if (directory is null || !identity.Complete || IsRacy(identity))
        {
            return;
        }
        try
        {
            Directory.CreateDirectory(directory);
            string path = EntryPath(directory, entry);
            string temp = CacheLayout.NewTempPath(path);
            File.WriteAllText(temp, Stamp(identity) + "\n" + line);
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

    private static string Stamp(FileIdentity identity) => $"{Version} {identity}";

    // git's "racily clean" rule: a file changed within the last second could change again within the same tick of a coarse
    // file-system clock (a few ms on older kernels) and keep its identity, so its hash is not remembered; the next build hashes it.
    private static bool IsRacy(FileIdentity identity)
    {
        long now = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        const long Window = 1_000_000_000; // 1 s in nanoseconds: well over a coarse clock tick, and over FAT-like 1 s stamps
        return now - identity.ModifiedNs < Window || now - identity.ChangedNs < Window;
    }
}
