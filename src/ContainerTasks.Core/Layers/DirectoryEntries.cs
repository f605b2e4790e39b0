namespace ContainerTasks.Layers;

/// <summary>Turns a folder on the host (e.g. a publish output) into layer entries.</summary>
public static class DirectoryEntries
{
    /// <summary>
    /// Every file and directory under <paramref name="hostDirectory"/>, placed under <paramref name="imageDirectory"/>.
    /// Symbolic links are followed (their targets' content is stored), so the layer holds no links and
    /// nothing that points outside it; a link that loops or dangles is CT2004. Empty directories are kept.
    /// </summary>
    /// <param name="hostDirectory">The folder to read.</param>
    /// <param name="imageDirectory">Where it lands in the image, e.g. <c>/app</c>.</param>
    /// <param name="modeFor">An optional explicit mode per relative path ('/' separators), e.g. 0755 for an app host.</param>
    public static List<LayerEntry> FromDirectory(string hostDirectory, string imageDirectory, Func<string, int?>? modeFor = null)
    {
        var root = new DirectoryInfo(hostDirectory);
        if (!root.Exists)
        {
            throw new ContainerTasksException(ErrorCodes.LayerSourceUnreadable,
                $"The folder '{hostDirectory}' does not exist. Check the path (for a publish output, run publish first).");
        }
        var entries = new List<LayerEntry> { LayerEntry.Directory(imageDirectory) };
        var visiting = new HashSet<string>(StringComparer.Ordinal) { ResolveReal(root) };
        Walk(root, "", imageDirectory, modeFor, entries, visiting);
        return entries;
    }

    private static void Walk(DirectoryInfo directory, string relative, string imageDirectory, Func<string, int?>? modeFor, List<LayerEntry> entries, HashSet<string> visiting)
    {
        IEnumerable<FileSystemInfo> children;
        try
        {
            children = directory.EnumerateFileSystemInfos().ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContainerTasksException(ErrorCodes.LayerSourceUnreadable, $"Cannot list '{directory.FullName}': {e.Message}", e);
        }
        foreach (FileSystemInfo child in children)
        {
            string childRelative = relative.Length == 0 ? child.Name : relative + "/" + child.Name;
            string imagePath = LayerPath.Combine(imageDirectory, childRelative);
            FileSystemInfo target = child;
            if (child.LinkTarget is not null)
            {
                target = ResolveLink(child);
            }
            if (target is DirectoryInfo childDirectory)
            {
                string real = ResolveReal(childDirectory);
                if (!visiting.Add(real))
                {
                    throw new ContainerTasksException(ErrorCodes.InvalidLink,
                        $"'{child.FullName}' links back to a folder that contains it. Remove the link loop from the folder.");
                }
                entries.Add(LayerEntry.Directory(imagePath));
                Walk(childDirectory, childRelative, imageDirectory, modeFor, entries, visiting);
                visiting.Remove(real);
            }
            else
            {
                entries.Add(LayerEntry.File(target.FullName, imagePath, modeFor?.Invoke(childRelative)));
            }
        }
    }

    private static FileSystemInfo ResolveLink(FileSystemInfo link)
    {
        FileSystemInfo? resolved;
        try
        {
            resolved = link.ResolveLinkTarget(returnFinalTarget: true);
        }
        catch (IOException e)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidLink, $"The link '{link.FullName}' cannot be followed: {e.Message}", e);
        }
        if (resolved is null || !resolved.Exists)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidLink,
                $"The link '{link.FullName}' points to '{link.LinkTarget}', which does not exist. Remove the link or restore its target.");
        }
        return resolved;
    }

    private static string ResolveReal(DirectoryInfo directory)
        => directory.LinkTarget is null ? Path.GetFullPath(directory.FullName).TrimEnd(Path.DirectorySeparatorChar) : ResolveLink(directory).FullName;
}
