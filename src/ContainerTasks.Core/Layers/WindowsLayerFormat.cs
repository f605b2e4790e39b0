using System.Text;

namespace ContainerTasks.Layers;

/// <summary>
/// The layer format of Windows images, as Windows' container runtime imports it and the SDK's built-in writes it: the
/// files under <c>Files/</c> with the drive left out (<c>C:\app\x.dll</c> is <c>Files/app/x.dll</c>), an empty
/// <c>Hives/</c> (no registry changes), and on every entry the PAX record <c>MSWINDOWS.rawsd</c> with the security
/// descriptor that lets every user of the container read the app (owner and group BUILTIN\Users). Windows ignores the
/// mode bits: every entry is 0755, as the built-in writes them.
/// </summary>
internal static class WindowsLayerFormat
{
    /// <summary>The folder of a Windows layer that holds the files.</summary>
    public const string FilesFolder = "Files";

    /// <summary>The folder of a Windows layer that holds registry hive changes (none here).</summary>
    public const string HivesFolder = "Hives";

    /// <summary>
    /// A self-relative security descriptor with owner and group S-1-5-32-545 (BUILTIN\Users) and no DACL, base64: the
    /// value the SDK's built-in gives every entry (buildpacks' RFC 0076 uses the same for app folders).
    /// </summary>
    public const string BuiltinUsersSecurityDescriptor = "AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA==";

    /// <summary>The PAX record every entry of a Windows layer carries.</summary>
    public static IReadOnlyList<(string Key, byte[] Value)> EntryRecords { get; } =
        [("MSWINDOWS.rawsd", Encoding.ASCII.GetBytes(BuiltinUsersSecurityDescriptor))];

    /// <summary>
    /// The entries moved under <c>Files/</c> (a leading drive such as <c>C:</c> left out), with the <c>Files</c> and
    /// <c>Hives</c> folders. A symbolic link is CT2004: a Windows layer holds links as reparse points, which a build
    /// from the publish folder cannot make.
    /// </summary>
    public static IEnumerable<LayerEntry> Wrap(IEnumerable<LayerEntry> entries)
    {
        yield return LayerEntry.Directory(FilesFolder);
        foreach (LayerEntry entry in entries)
        {
            if (entry.Kind == LayerEntryKind.Symlink)
            {
                throw new ContainerTasksException(ErrorCodes.InvalidLink,
                    $"'{entry.Path}' is a symbolic link (to '{entry.LinkTarget}'); a Windows image's layer cannot hold one. Publish the file it points to instead.");
            }
            if (entry.Kind == LayerEntryKind.Directory && IsDrive(entry.Path))
            {
                continue; // the parent folder a plan adds for C:/app: it is Files itself
            }
            yield return entry.MovedTo(FilesFolder + "/" + WithoutDrive(entry.Path));
        }
        yield return LayerEntry.Directory(HivesFolder);
    }

    /// <summary>
    /// Refuses paths Windows cannot create (CT2001): characters <c>&lt;&gt;:"|?*</c> and control characters, device names
    /// (<c>CON</c>, <c>NUL</c>, <c>COM1</c>…, with or without an extension), names ending in '.' or ' '; and two paths
    /// that differ only in case (CT2002), which Windows takes for one.
    /// </summary>
    public static void CheckNames(IReadOnlyList<LayerEntry> plan)
    {
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (LayerEntry entry in plan)
        {
            foreach (string segment in entry.Path.Split('/'))
            {
                if (WindowsRefuses(segment) is { } why)
                {
                    throw new ContainerTasksException(ErrorCodes.InvalidLayerPath,
                        $"'{entry.Path}' cannot be a path in a Windows image: '{segment}' {why}. Rename the file in the publish output.");
                }
            }
            if (!seen.TryAdd(entry.Path, entry.Path))
            {
                throw new ContainerTasksException(ErrorCodes.DuplicateLayerPath,
                    $"'{seen[entry.Path]}' and '{entry.Path}' differ only in case, which Windows takes for one path. Rename one of them in the publish output.");
            }
        }
    }

    private static string? WindowsRefuses(string segment)
    {
        if (segment.IndexOfAny(['<', '>', ':', '"', '|', '?', '*']) >= 0 || segment.Any(char.IsControl))
        {
            return "holds a character Windows does not allow in names (<>:\"|?* or a control character)";
        }
        if (segment.EndsWith('.') || segment.EndsWith(' '))
        {
            return "ends with '.' or ' ', which Windows drops";
        }
        string stem = segment.Split('.')[0].TrimEnd(' ').ToUpperInvariant();
        bool device = stem is "CON" or "PRN" or "AUX" or "NUL" || (stem.Length == 4 && (stem.StartsWith("COM", StringComparison.Ordinal) || stem.StartsWith("LPT", StringComparison.Ordinal)) && stem[3] is >= '1' and <= '9');
        return device ? "is a device name on Windows" : null;
    }

    private static bool IsDrive(string path) => path.Length == 2 && StartsWithDrive(path);

    private static bool StartsWithDrive(string path) => path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':';

    /// <summary>
    /// <c>C:/app/x.dll</c> → <c>app/x.dll</c>: the path under the system drive (a normalised path, '/' separators). Another
    /// drive is CT2001: a Windows container has only C:.
    /// </summary>
    public static string WithoutDrive(string path)
    {
        if (StartsWithDrive(path))
        {
            if (char.ToUpperInvariant(path[0]) != 'C')
            {
                throw new ContainerTasksException(ErrorCodes.InvalidLayerPath,
                    $"The path '{path}' is on drive {char.ToUpperInvariant(path[0])}:, but a Windows container has only C:. Use a path on C:, e.g. C:\\app\\.");
            }
            string rest = path[2..].TrimStart('/');
            if (rest.Length == 0)
            {
                throw new ContainerTasksException(ErrorCodes.InvalidLayerPath,
                    $"The path '{path}' names the drive's root; give a folder or file path such as C:\\app\\.");
            }
            return rest;
        }
        return path;
    }
}
