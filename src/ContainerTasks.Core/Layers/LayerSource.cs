using ContainerTasks.FileSystem;

namespace ContainerTasks.Layers;

/// <summary>
/// Opens a file entry's source exactly as it was listed: the file opened (not the path) must be a regular file with
/// the identity the entry recorded (device, inode, size, times), so a file swapped for a link, a FIFO or other
/// content between listing and reading is refused, whatever happened to the folders above it. On Linux the open
/// itself never blocks on a FIFO and never follows a link in the last part of the path.
/// </summary>
internal static class LayerSource
{
    /// <summary>Opens the entry's file; CT2005 when it is not a regular file, CT2003 when it is not the one listed.</summary>
    public static FileStream Open(LayerEntry entry, string since)
    {
        FileStream? stream;
        FileIdentity opened;
        try
        {
            stream = RegularFile.TryOpen(entry.SourcePath!, out opened);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContainerTasksException(ErrorCodes.LayerSourceUnreadable, $"Cannot read '{entry.SourcePath}' for '/{entry.Path}': {e.Message}", e);
        }
        if (stream is null)
        {
            throw NotRegular(entry);
        }
        try
        {
            Compare(entry, opened, since);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>CT2003 when the open file changed (was written to) since it was listed, e.g. while it was read.</summary>
    public static void Check(LayerEntry entry, FileStream stream, string when) => Compare(entry, RegularFile.IdentityOf(stream), when);

    /// <summary>The identity of the entry's file now, by path; CT2005 when it is not a regular file.</summary>
    public static FileIdentity Identify(LayerEntry entry)
    {
        FileIdentity identity = SourceRoot.Identify(entry.SourcePath!, entry.SourcePath!);
        return identity.Kind == FileKind.Regular ? identity : throw NotRegular(entry);
    }

    private static void Compare(LayerEntry entry, FileIdentity now, string when)
    {
        if (now.Kind != FileKind.Regular)
        {
            throw NotRegular(entry);
        }
        if (entry.Identity is { } expected && now != expected)
        {
            throw Changed(entry, when);
        }
    }

    private static ContainerTasksException Changed(LayerEntry entry, string when)
        => new(ErrorCodes.LayerSourceUnreadable,
            $"'{entry.SourcePath}' (for '/{entry.Path}') changed {when}. Make sure nothing writes to the folder during the build, then build again.");

    private static ContainerTasksException NotRegular(LayerEntry entry)
        => new(ErrorCodes.UnsupportedSourceFile,
            $"'{entry.SourcePath}' (for '/{entry.Path}') is not a regular file (a FIFO, socket or device). Only files and folders can go into a layer: remove it.");
}
