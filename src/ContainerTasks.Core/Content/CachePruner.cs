using System.Text.Json;
using ContainerTasks.Model;

namespace ContainerTasks.Content;

/// <summary>
/// Applies the retention rules of a <see cref="CacheLayout"/>: each folder is listed once and each layer entry read
/// once. Pruning never follows a link (a linked folder or file could point anywhere, and pruning may run as root),
/// never deletes a name the cache does not write, and skips what another process holds.
/// </summary>
internal sealed class CachePruner
{
    private readonly CacheLayout _layout;
    private readonly DateTime _now;

    /// <summary>A pruner of <paramref name="layout"/>, judging ages from now.</summary>
    public CachePruner(CacheLayout layout)
    {
        _layout = layout;
        _now = DateTime.UtcNow;
    }

    /// <summary>
    /// Deletes what the age rules let go (at most once per <see cref="CacheLayout.SweepInterval"/>), then the least
    /// recently used blobs until the blobs fit in <paramref name="maxBytes"/> (none used within
    /// <paramref name="minimumAge"/>), then the layer entries whose blob is gone. Returns the blobs deleted and their size.
    /// </summary>
    public (int Deleted, long FreedBytes) Prune(long maxBytes, TimeSpan minimumAge)
    {
        bool sweep = SweepDue();
        if (sweep)
        {
            foreach (CacheRetention rule in _layout.AgeRules())
            {
                SweepByAge(rule);
            }
        }
        List<FileInfo> blobs = ListBlobs();
        var gone = new HashSet<string>(StringComparer.Ordinal);
        var (deleted, freed) = DeleteLeastRecentlyUsed(blobs, maxBytes, _now - minimumAge, gone);
        if (sweep || gone.Count > 0)
        {
            DropLayerEntries(blobs, gone, orphansToo: sweep);
        }
        return (deleted, freed);
    }

    // The age rules count in hours and days, so listing every folder once an hour is enough: the other builds of the
    // hour only list the blobs. The stamp is taken first, so that builds finishing together do not all sweep.
    private bool SweepDue()
    {
        var stamp = new FileInfo(_layout.SweepStamp);
        if (stamp.Exists && stamp.LastWriteTimeUtc > _now - CacheLayout.SweepInterval && stamp.LastWriteTimeUtc <= _now)
        {
            return false;
        }
        try
        {
            if (stamp.LinkTarget is null)
            {
                File.WriteAllBytes(stamp.FullName, []);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Sweeping again next time costs only time.
        }
        return true;
    }

    private void SweepByAge(CacheRetention rule)
    {
        foreach (FileInfo file in OwnFiles(rule.Folder, _ => true))
        {
            if (rule.MaxAge(file.Name) is { } age && file.LastWriteTimeUtc < _now - age)
            {
                _ = rule.HeldByLock ? TryDeleteUnheld(file) : TryDelete(file);
            }
        }
    }

    private List<FileInfo> ListBlobs()
    {
        if (new DirectoryInfo(_layout.Blobs).LinkTarget is not null)
        {
            return [];
        }
        return CacheLayout.BlobAlgorithms
            .SelectMany(a => OwnFiles(Path.Combine(_layout.Blobs, a), name => CacheLayout.IsBlobName(a, name)))
            .ToList();
    }

    private static (int Deleted, long Freed) DeleteLeastRecentlyUsed(List<FileInfo> blobs, long maxBytes, DateTime cutoff, HashSet<string> gone)
    {
        long total = blobs.Sum(f => f.Length);
        if (total <= maxBytes)
        {
            return (0, 0);
        }
        int deleted = 0;
        long freed = 0;
        foreach (FileInfo file in blobs.Where(f => f.LastWriteTimeUtc < cutoff).OrderBy(f => f.LastWriteTimeUtc))
        {
            if (total - freed <= maxBytes)
            {
                break;
            }
            // Re-read the time: another build may have used the blob since the folder was listed.
            file.Refresh();
            if (!file.Exists || file.LastWriteTimeUtc >= cutoff)
            {
                continue;
            }
            long length = file.Length;
            if (TryDelete(file))
            {
                freed += length;
                deleted++;
                gone.Add(DigestOf(file));
            }
        }
        return (deleted, freed);
    }

    // Each entry is read once: dropped when its blob was deleted now, or (orphansToo) is missing and the entry is not being written.
    private void DropLayerEntries(List<FileInfo> blobs, HashSet<string> gone, bool orphansToo)
    {
        var present = blobs.Select(DigestOf).Where(d => !gone.Contains(d)).ToHashSet(StringComparer.Ordinal);
        DateTime settled = _now - CacheLayout.InFlightAge;
        foreach (FileInfo entry in OwnFiles(_layout.Layers, CacheLayout.IsLayerEntryName))
        {
            string digest = ReadDigest(entry);
            bool missing = orphansToo && !present.Contains(digest) && entry.LastWriteTimeUtc < settled && !BlobExists(digest);
            if (gone.Contains(digest) || missing)
            {
                TryDelete(entry);
            }
        }
    }

    private static string DigestOf(FileInfo blob) => $"{blob.Directory!.Name}:{blob.Name}";

    // The blob an entry names; "" for an entry that cannot be read (a damaged entry is only ever a miss).
    private static string ReadDigest(FileInfo entry)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(entry.FullName));
            return json.RootElement.TryGetProperty("digest", out JsonElement digest) ? digest.GetString() ?? "" : "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            return "";
        }
    }

    // Asked again because the folder was listed before: a build may have stored the blob since.
    private bool BlobExists(string digest) => Digest.TryParse(digest, out Digest parsed) && File.Exists(_layout.BlobPath(parsed));

    /// <summary>The regular files directly in <paramref name="folder"/> whose names <paramref name="isOwnName"/> accepts; none through a link.</summary>
    private static List<FileInfo> OwnFiles(string folder, Func<string, bool> isOwnName)
    {
        var directory = new DirectoryInfo(folder);
        if (!directory.Exists || directory.LinkTarget is not null)
        {
            return [];
        }
        try
        {
            var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
            return directory.EnumerateFiles("*", options).Where(f => f.LinkTarget is null && isOwnName(f.Name)).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static bool TryDelete(FileInfo file)
    {
        try
        {
            file.Delete();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // In use or already gone: leave it.
        }
    }

    // Taking the lock proves nobody holds it, and the name goes while it is held: a waiter that opened the file just
    // before locks it after us, sees that the name is gone, and locks the new file (ContentStore.LockAsync).
    private static bool TryDeleteUnheld(FileInfo file)
    {
        if (OperatingSystem.IsWindows())
        {
            return TryDelete(file); // Windows refuses to delete a file another handle holds without sharing.
        }
        try
        {
            using var held = new FileStream(file.FullName, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1);
            file.Delete();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // Held by a build, or already gone.
        }
    }
}
