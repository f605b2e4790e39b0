using System.Security.Cryptography;
using ContainerTasks.FileSystem;
using ContainerTasks.Model;

namespace ContainerTasks.Content;

/// <summary>
/// A content-addressed folder of blobs (<c>blobs/sha256/&lt;hex&gt;</c>), the same shape as an OCI layout's.
/// A blob appears only complete and verified: it is written to a temporary file in the store and renamed
/// into place, so readers in other processes never see a partial blob, and two writers of the same blob
/// both succeed.
/// </summary>
public sealed class ContentStore
{
    /// <summary>Opens (creating if needed) a store rooted at <paramref name="root"/>.</summary>
    public ContentStore(string root)
    {
        Layout = new CacheLayout(root);
        try
        {
            PrivateFolder.Ensure(Root);
            Directory.CreateDirectory(Layout.Temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContainerTasksException(ErrorCodes.OutputFailed,
                $"Cannot create the content cache at '{Root}': {e.Message}. Make it writable, or set ContainerCacheDirectory (or CONTAINERTASKS_CACHE) to another folder.", e);
        }
    }

    /// <summary>The store's folder.</summary>
    public string Root => Layout.Root;

    /// <summary>Where each kind of entry lives under <see cref="Root"/>, and how long it is kept.</summary>
    public CacheLayout Layout { get; }

    /// <summary>Where the blob with <paramref name="digest"/> lives (whether or not it exists).</summary>
    public string PathOf(Digest digest) => Layout.BlobPath(digest);

    /// <summary>True when the blob is in the store.</summary>
    public bool Contains(Digest digest) => File.Exists(PathOf(digest));

    /// <summary>Removes a blob found to be damaged, so that the next build writes or downloads it again.</summary>
    public void Discard(Digest digest)
    {
        try
        {
            File.Delete(PathOf(digest));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another process may hold it; a later read still verifies it.
        }
    }

    /// <summary>Opens a blob for reading (and marks it recently used); CT5003 when absent.</summary>
    public Stream OpenRead(Digest digest)
    {
        try
        {
            var stream = new FileStream(PathOf(digest), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.SequentialScan);
            Touch(PathOf(digest));
            return stream;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ContainerTasksException(ErrorCodes.ImageNotInSource, $"The blob {digest} is not in the content store at '{Root}'.", e);
        }
    }

    /// <summary>
    /// Takes the store's lock for <paramref name="digest"/>: an exclusive lock file that other processes
    /// (MSBuild's -m nodes are processes) wait on, so one blob is downloaded once. Dispose to release.
    /// </summary>
    public async Task<IDisposable> LockAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        string directory = Layout.Locks;
        Directory.CreateDirectory(directory);
        string path = Layout.LockPath(digest);
        int delay = 10;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // FileShare.None is an OS-level lock held until the handle closes, also if the process dies.
                // The file is left in place: deleting it on release would let two waiters lock different inodes.
                var held = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
                if (IsNamedBy(held, path))
                {
                    return held;
                }
                held.Dispose(); // Pruned between our open and our lock: lock the file the name has now.
                continue;
            }
            catch (UnauthorizedAccessException e)
            {
                throw new ContainerTasksException(ErrorCodes.OutputFailed, $"Cannot write the content cache at '{Root}': {e.Message}. Make it writable, or point ContainerCacheDirectory elsewhere.", e);
            }
            catch (IOException e) when (waited.Elapsed < TimeSpan.FromMinutes(30))
            {
                if (!Directory.Exists(directory))
                {
                    throw new ContainerTasksException(ErrorCodes.OutputFailed, $"Cannot use the content cache at '{Root}': {e.Message}", e);
                }
                // Held by another build: wait for it to finish the download.
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Math.Min(delay * 2, 250);
            }
            catch (IOException e)
            {
                throw new ContainerTasksException(ErrorCodes.OutputFailed, $"Waited 30 minutes for the lock '{path}' of the content cache: {e.Message}. Another build may be stuck; stop it, or delete the lock file.", e);
            }
        }
    }

    /// <summary>
    /// False when <paramref name="path"/> no longer names the file <paramref name="held"/>: pruning deletes a lock file
    /// only while holding it, so a waiter that opened it just before has locked a file nobody else will.
    /// </summary>
    internal static bool IsNamedBy(FileStream held, string path)
    {
        try
        {
            return !NativeFiles.TryStat(held.SafeFileHandle, out FileIdentity locked) || !NativeFiles.TryStat(path, out FileIdentity named)
                || (locked.Inode == named.Inode && locked.Device == named.Device);
        }
        catch (IOException)
        {
            return false; // The name is gone.
        }
    }

    /// <summary>
    /// Keeps the store under <paramref name="maxBytes"/>: deletes the least recently used blobs (and the layer-cache
    /// entries that point at them) until it fits, never touching anything used within <paramref name="minimumAge"/>,
    /// so builds running at the same time keep their blobs; and deletes the entries of every other folder that their
    /// retention rule (<see cref="CacheLayout"/>) lets go. Returns the blobs freed. Best effort: files another
    /// process holds are skipped.
    /// </summary>
    public (int Deleted, long FreedBytes) Prune(long maxBytes, TimeSpan minimumAge) => new CachePruner(Layout).Prune(maxBytes, minimumAge);

    /// <summary>True when this machine pushed the image (or index) with <paramref name="digest"/>: its layers may be reused by diff_id.</summary>
    public bool WasPushedHere(Digest digest)
    {
        string marker = Layout.PushedMarker(digest);
        if (!File.Exists(marker))
        {
            return false;
        }
        Touch(marker); // In use: kept by the markers' retention rule.
        return true;
    }

    /// <summary>Records that this machine pushed <paramref name="digest"/>; failing to write it only loses reuse next time.</summary>
    public void MarkPushedHere(Digest digest)
    {
        try
        {
            string marker = Layout.PushedMarker(digest);
            Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
            File.WriteAllBytes(marker, []);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only enables reuse next time.
        }
    }

    /// <summary>True when this machine checked that <paramref name="blob"/> inflates to <paramref name="diffId"/> (see <see cref="MarkVerified"/>).</summary>
    public bool WasVerified(Digest blob, Digest diffId) => ReadEntry(Layout.VerifiedEntry(blob)) == diffId.ToString();

    /// <summary>Records that <paramref name="blob"/> inflates to <paramref name="diffId"/>; failing to write it only means checking again next time.</summary>
    public void MarkVerified(Digest blob, Digest diffId) => WriteEntry(Layout.VerifiedEntry(blob), diffId.ToString());

    /// <summary>
    /// The manifest made of the local engine's image <paramref name="imageId"/> when it was last exported (see
    /// <see cref="RememberEngineImage"/>); null when there is none. Its blobs may since have been pruned: the caller checks.
    /// </summary>
    public Digest? EngineImageManifest(Digest imageId)
        => Digest.TryParse(ReadEntry(Layout.EngineImageEntry(imageId)), out Digest manifest) ? manifest : null;

    /// <summary>Records the manifest made of the engine's image <paramref name="imageId"/>; failing to write it only means exporting again next time.</summary>
    public void RememberEngineImage(Digest imageId, Digest manifest) => WriteEntry(Layout.EngineImageEntry(imageId), manifest.ToString());

    // A small index entry's text, marked used (kept by its folder's retention rule); null when there is none.
    private static string? ReadEntry(string entry)
    {
        try
        {
            if (new FileInfo(entry) is not { Exists: true, Length: < 256 })
            {
                return null;
            }
            string text = File.ReadAllText(entry);
            Touch(entry);
            return text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // Written whole (a temporary file renamed over it); failing to write one only loses what it saves next time.
    private static void WriteEntry(string entry, string text)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
            string temp = CacheLayout.NewTempPath(entry);
            File.WriteAllText(temp, text);
            File.Move(temp, entry, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The default size limit of the store: 5 GiB, or <c>CONTAINERTASKS_CACHE_MAX_MB</c>.</summary>
    public static long DefaultMaxBytes(IReadOnlyDictionary<string, string> environment)
        => environment.TryGetValue("CONTAINERTASKS_CACHE_MAX_MB", out string? value) && long.TryParse(value, out long mb) && mb > 0
            ? mb * 1024 * 1024
            : 5L * 1024 * 1024 * 1024;

    /// <summary>Marks an open file used now, unless it was within <see cref="CacheLayout.UseMarkInterval"/> (rules counted in days need no more).</summary>
    internal static void MarkUsed(Microsoft.Win32.SafeHandles.SafeFileHandle file)
    {
        try
        {
            DateTime now = DateTime.UtcNow;
            if (File.GetLastWriteTimeUtc(file) < now - CacheLayout.UseMarkInterval)
            {
                File.SetLastWriteTimeUtc(file, now);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only keeps the entry from being pruned.
        }
    }

    internal static void Touch(string path)
    {
        try
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Starts writing a blob whose digest is known only at the end.</summary>
    public PendingBlob BeginWrite() => new(this);

    /// <summary>
    /// Copies <paramref name="content"/> into the store, verifying it against <paramref name="expected"/>
    /// (CT1007 on a mismatch, and nothing is stored). Returns the digest, the size, and whether these bytes are
    /// now the blob (false when the store had it already).
    /// </summary>
    public async Task<(Digest Digest, long Size, bool WrittenNow)> PutAsync(Stream content, Digest? expected = null, CancellationToken cancellationToken = default)
    {
        if (expected is { } known && Contains(known))
        {
            return (known, new FileInfo(PathOf(known)).Length, false);
        }
        using PendingBlob pending = BeginWrite();
        using var hash = IncrementalHash.CreateHash(expected?.Algorithm == "sha512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);
        byte[] buffer = new byte[128 * 1024];
        long size = 0;
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await pending.Stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            size += read;
        }
        byte[] actualHash = hash.GetHashAndReset();
        Digest actual = expected is { Algorithm: "sha512" } e
            ? (e.Matches(actualHash) ? e : throw Mismatch(e, Convert.ToHexString(actualHash).ToLowerInvariant()))
            : Digest.FromSha256Hash(actualHash);
        if (expected is { } wanted && wanted != actual)
        {
            throw Mismatch(wanted, actual.ToString());
        }
        return (actual, size, pending.Commit(actual));
    }

    /// <summary>Stores bytes already in memory (manifests, configs).</summary>
    public Digest Put(ReadOnlySpan<byte> content)
    {
        Digest digest = Digest.Sha256(content);
        if (!Contains(digest))
        {
            using PendingBlob pending = BeginWrite();
            pending.Stream.Write(content);
            pending.Commit(digest);
        }
        return digest;
    }

    private static ContainerTasksException Mismatch(Digest expected, string actual)
        => new(ErrorCodes.DigestMismatch,
            $"Content expected to be {expected} hashed to {actual}. The source is corrupt or was changed while being read; nothing was stored.");

    /// <summary>A blob being written: a temporary file that becomes the blob on <see cref="Commit"/>, or vanishes on dispose.</summary>
    public sealed class PendingBlob : IDisposable
    {
        private readonly ContentStore _store;
        private readonly string _tempPath;
        private bool _committed;

        internal PendingBlob(ContentStore store)
        {
            _store = store;
            Directory.CreateDirectory(store.Layout.Temp);
            _tempPath = store.Layout.NewPartialPath();
            Stream = new FileStream(_tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 128 * 1024);
        }

        /// <summary>Where to write the content.</summary>
        public FileStream Stream { get; }

        /// <summary>Moves the finished content into place as <paramref name="digest"/>. The caller has verified the digest.</summary>
        /// <returns>True when these bytes are now the blob; false when another writer's copy was there first and was kept.</returns>
        public bool Commit(Digest digest)
        {
            Stream.Flush(flushToDisk: false);
            Stream.Dispose();
            string target = _store.PathOf(digest);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            bool moved = true;
            try
            {
                File.Move(_tempPath, target, overwrite: false);
            }
            catch (IOException) when (File.Exists(target))
            {
                // Another writer stored the same content first; content addressing makes theirs equal to ours.
                File.Delete(_tempPath);
                moved = false;
            }
            catch (FileNotFoundException e)
            {
                // Pruning removes partial files an hour old: a write suspended that long lost its file.
                throw new ContainerTasksException(ErrorCodes.OutputFailed,
                    $"The cache's partial file '{_tempPath}' was removed while it was being written (cache upkeep removes those an hour old). Run the build again.", e);
            }
            _committed = true;
            return moved;
        }

        /// <summary>Deletes the temporary file unless committed.</summary>
        public void Dispose()
        {
            Stream.Dispose();
            if (!_committed)
            {
                try
                {
                    File.Delete(_tempPath);
                }
                catch (IOException)
                {
                    // Best effort: a leftover .partial file in tmp/ is harmless and never read as a blob.
                }
            }
        }
    }
}
