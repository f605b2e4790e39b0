using ContainerTasks.FileSystem;

namespace ContainerTasks.Layers;

/// <summary>Turns a folder on the host (e.g. a publish output) into layer entries.</summary>
public static class DirectoryEntries
{
    /// <summary>Folders nested deeper than this are refused (CT2005): no publish output comes close.</summary>
    public const int MaxDepth = 256;

    /// <summary>
    /// Every file and directory under <paramref name="hostDirectory"/>, placed under <paramref name="imageDirectory"/>.
    /// Symbolic links are followed (their targets' content is stored), so the layer holds no links, but only
    /// to targets inside the folder: a link out of it (to /etc/shadow, a key folder) is CT2004, as is one that
    /// loops or dangles. Only regular files and folders are read: a FIFO, socket or device is CT2005 (reading
    /// one blocks or never ends), and so is a tree deeper than <see cref="MaxDepth"/>. Empty directories are kept.
    /// </summary>
    /// <param name="hostDirectory">The folder to read.</param>
    /// <param name="imageDirectory">Where it lands in the image, e.g. <c>/app</c>.</param>
    /// <param name="modeFor">An optional explicit mode per relative path ('/' separators), e.g. 0755 for an app host.</param>
    /// <param name="linkTargetAllowed">Says whether a link may point at a (canonical) path outside the folder: for files publish itself linked in.</param>
    public static List<LayerEntry> FromDirectory(string hostDirectory, string imageDirectory, Func<string, int?>? modeFor = null, Func<string, bool>? linkTargetAllowed = null)
    {
        if (!Directory.Exists(hostDirectory))
        {
            throw new ContainerTasksException(ErrorCodes.LayerSourceUnreadable,
                $"The folder '{hostDirectory}' does not exist. Check the path (for a publish output, run publish first).");
        }
        string root = SourceRoot.Resolve(hostDirectory);
        var entries = new List<LayerEntry> { LayerEntry.Directory(imageDirectory) };
        // Iterative, so that a deep tree cannot overflow the stack of the build process.
        var pending = new Stack<Folder>();
        pending.Push(new Folder(hostDirectory, root, "", 0));
        while (pending.Count > 0)
        {
            Folder folder = pending.Pop();
            foreach (FileSystemInfo child in List(folder.HostPath))
            {
                AddChild(child, folder, root, imageDirectory, modeFor, linkTargetAllowed, entries, pending);
            }
            if (entries.Count > MaxEntries)
            {
                throw new ContainerTasksException(ErrorCodes.UnsupportedSourceFile,
                    $"'{hostDirectory}' holds more than a million files and folders (links to folders repeat what they point at). Remove the folder links, or the files that should not be in the image.");
            }
        }
        return entries;
    }

    /// <summary>More entries than this are refused (CT2005): folder links that repeat folders could otherwise multiply without end.</summary>
    public const int MaxEntries = 1_000_000;

    private sealed record Folder(string HostPath, string RealPath, string Relative, int Depth, Folder? Parent = null)
    {
        // A link to a folder that is being walked already (this one or one above it, however reached) would never end.
        public bool IsWithinWalk(string real)
        {
            for (Folder? folder = this; folder is not null; folder = folder.Parent)
            {
                if (folder.RealPath == real)
                {
                    return true;
                }
            }
            return false;
        }
    }

    private static void AddChild(FileSystemInfo child, Folder parent, string root, string imageDirectory, Func<string, int?>? modeFor,
        Func<string, bool>? linkTargetAllowed, List<LayerEntry> entries, Stack<Folder> pending)
    {
        string relative = parent.Relative.Length == 0 ? child.Name : parent.Relative + "/" + child.Name;
        string imagePath = LayerPath.Combine(imageDirectory, relative);
        string real = child.LinkTarget is null ? Path.Join(parent.RealPath, child.Name) : SourceRoot.ResolveLink(child, root, linkTargetAllowed);
        FileIdentity identity = SourceRoot.Identify(real, child.FullName);
        switch (identity.Kind)
        {
            case FileKind.Directory:
                if (child.LinkTarget is not null && (CanonicalPath.IsWithin(parent.RealPath, real) || parent.IsWithinWalk(real)))
                {
                    throw new ContainerTasksException(ErrorCodes.InvalidLink,
                        $"'{child.FullName}' links back to a folder that contains it. Remove the link loop from the folder.");
                }
                if (parent.Depth + 1 > MaxDepth)
                {
                    throw new ContainerTasksException(ErrorCodes.UnsupportedSourceFile,
                        $"'{child.FullName}' is nested more than {MaxDepth} folders deep under '{root}'. Flatten the folder tree (or remove what created it).");
                }
                entries.Add(LayerEntry.Directory(imagePath));
                // Listed by its resolved path: a folder link swapped after this check is not followed.
                pending.Push(new Folder(real, real, relative, parent.Depth + 1, parent));
                break;
            case FileKind.Regular:
                // The identity seen now is the one every later read must find (see LayerSource).
                entries.Add(LayerEntry.File(child.LinkTarget is null ? child.FullName : real, imagePath, modeFor?.Invoke(relative)) with { Identity = identity });
                break;
            default:
                throw new ContainerTasksException(ErrorCodes.UnsupportedSourceFile,
                    $"'{child.FullName}' is not a regular file or folder (a FIFO, socket or device). Only files and folders can go into a layer: remove it from the folder.");
        }
    }

    private static List<FileSystemInfo> List(string directory)
    {
        try
        {
            return new DirectoryInfo(directory).EnumerateFileSystemInfos().ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContainerTasksException(ErrorCodes.LayerSourceUnreadable, $"Cannot list '{directory}': {e.Message}", e);
        }
    }
}
