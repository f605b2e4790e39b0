using ContainerTasks.FileSystem;

namespace ContainerTasks.Layers;

/// <summary>
/// The rules for reading a source folder (a publish output, a ContainerLayer folder): where it really is,
/// where its links lead, and that nothing outside it is read — as `docker build` keeps to its context.
/// </summary>
internal static class SourceRoot
{
    /// <summary>The folder's canonical path, every link resolved.</summary>
    public static string Resolve(string directory)
    {
        try
        {
            return CanonicalPath.Resolve(directory);
        }
        catch (IOException e)
        {
            throw new ContainerTasksException(ErrorCodes.LayerSourceUnreadable, $"Cannot resolve the folder '{directory}': {e.Message}", e);
        }
    }

    /// <summary>Where the link <paramref name="link"/> finally leads; CT2004 when it dangles, loops or leaves <paramref name="root"/>.</summary>
    public static string ResolveLink(FileSystemInfo link, string root, Func<string, bool>? targetAllowed = null)
    {
        string real;
        try
        {
            real = CanonicalPath.Resolve(link.FullName);
        }
        catch (IOException e)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidLink,
                $"The link '{link.FullName}' -> '{link.LinkTarget}' cannot be followed (it dangles or loops): {e.Message} Remove the link or restore its target.", e);
        }
        if (!CanonicalPath.IsWithin(real, root) && !(targetAllowed?.Invoke(real) ?? false))
        {
            throw new ContainerTasksException(ErrorCodes.InvalidLink,
                $"The link '{link.FullName}' points to '{real}', outside the folder '{root}'. Links may only point inside the folder that is put in the image: copy the file in instead of linking to it.");
        }
        return real;
    }

    /// <summary>The identity of a path found in the folder; CT2003 when it cannot be read.</summary>
    public static FileIdentity Identify(string path, string shownAs)
    {
        try
        {
            return FileIdentity.Of(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContainerTasksException(ErrorCodes.LayerSourceUnreadable, $"Cannot read '{shownAs}': {e.Message}", e);
        }
    }
}
