using ContainerTasks.FileSystem;

namespace ContainerTasks.Content;

/// <summary>
/// The content cache decides what a cache hit puts into an image, so only its owner may write it, and what
/// it holds (app layers) is nobody else's to read: the folder is created owner-only (0700), an existing one of
/// ours is tightened to that (and the indexes others could have written are forgotten), and one owned by another
/// user is refused. Unix only; Windows keeps its ACLs; without statx (macOS) the owner is not checked.
/// </summary>
internal static class PrivateFolder
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OthersAccess = (UnixFileMode)0x3F; // group and others: rwxrwx

    public static void Ensure(string root)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(root);
            return;
        }
        if (!Directory.Exists(root))
        {
            Directory.CreateDirectory(root, OwnerOnly);
        }
        uint? owner = NativeFiles.OwnerOf(root);
        uint? self = NativeFiles.EffectiveUserId();
        if (owner is not null && self is not null && owner != self)
        {
            throw new ContainerTasksException(ErrorCodes.CacheNotPrivate,
                $"The content cache '{root}' belongs to user id {owner}, not to this build's user ({self}): whoever can write it decides what goes into your images. " +
                "Use a cache folder of your own (ContainerCacheDirectory or CONTAINERTASKS_CACHE), or give this one to the build's user.");
        }
        if ((File.GetUnixFileMode(root) & OthersAccess) != 0)
        {
            File.SetUnixFileMode(root, OwnerOnly);
            ForgetIndexes(root);
        }
    }

    // While the folder was open to others, they could have planted index entries (a layer key pointing at a blob of
    // their choosing, a stat line, a "pushed" marker): those are forgotten. Blobs stay: every read checks their digest.
    private static void ForgetIndexes(string root)
    {
        foreach (string folder in CacheLayout.IndexFolders)
        {
            string path = Path.Combine(root, folder);
            try
            {
                if (new DirectoryInfo(path).LinkTarget is not null)
                {
                    File.Delete(path); // the link itself, never what it points to
                }
                else if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ContainerTasksException(ErrorCodes.CacheNotPrivate,
                    $"The content cache '{root}' was open to other users and its index '{folder}' cannot be cleared: {e.Message}. Delete the folder, or use another cache (ContainerCacheDirectory).", e);
            }
        }
    }
}
