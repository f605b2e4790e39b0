namespace ContainerTasks.FileSystem;

/// <summary>Paths with every link resolved, and whether one lies inside a folder.</summary>
internal static class CanonicalPath
{
    private static readonly StringComparison Comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>The canonical form of an existing <paramref name="path"/>; an <see cref="IOException"/> when it dangles or loops.</summary>
    public static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        string? real = NativeFiles.RealPath(full);
        if (real is not null)
        {
            return real;
        }
        // Without realpath: the final target of a link, lexically normalised (intermediate links in the path are not resolved).
        FileSystemInfo info = Directory.Exists(full) ? new DirectoryInfo(full) : new FileInfo(full);
        FileSystemInfo? target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true);
        if (target is null || !target.Exists)
        {
            throw new IOException($"'{path}' does not exist or its link target is missing.");
        }
        return Trim(Path.GetFullPath(target.FullName));
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or below it (both canonical).</summary>
    public static bool IsWithin(string path, string folder)
        => path.Equals(folder, Comparison)
           || (path.StartsWith(folder, Comparison) && path.Length > folder.Length && path[folder.Length] == Path.DirectorySeparatorChar)
           || folder == Path.GetPathRoot(folder);

    private static string Trim(string path) => path.Length > 1 ? path.TrimEnd(Path.DirectorySeparatorChar) : path;
}
