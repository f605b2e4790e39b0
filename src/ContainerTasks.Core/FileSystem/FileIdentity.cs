using System.Runtime.InteropServices;

namespace ContainerTasks.FileSystem;

/// <summary>
/// What git's index uses to tell that a file is unchanged without reading it: size, modification and
/// status-change times (nanoseconds), inode and device. Any write changes the status-change time, which
/// no tool can set back, so equal identities mean equal bytes even when a tool (cp -p, Nix, Bazel) rewrites
/// a file with its old size and modification time. Read with statx on Linux; elsewhere only size and
/// modification time are known and <see cref="Complete"/> is false.
/// </summary>
internal readonly record struct FileIdentity(FileKind Kind, long Size, long ModifiedNs, long ChangedNs, ulong Inode, ulong Device, bool Complete)
{
    /// <summary>The identity of <paramref name="path"/>, following links; an I/O error if it cannot be read.</summary>
    public static FileIdentity Of(string path)
    {
        if (NativeFiles.TryStat(path, out FileIdentity identity))
        {
            return identity;
        }
        return Portable(path);
    }

    /// <summary>A one-line form for the stat cache.</summary>
    public override string ToString() => $"{Kind} {Size} {ModifiedNs} {ChangedNs} {Inode} {Device}";

    private static FileIdentity Portable(string path)
    {
        var info = new FileInfo(path);
        if (info.Exists)
        {
            // Without statx a FIFO or device cannot be told from a regular file here: it is read as one.
            long modified = (info.LastWriteTimeUtc.Ticks - DateTime.UnixEpoch.Ticks) * 100;
            return new FileIdentity(FileKind.Regular, info.Length, modified, 0, 0, 0, Complete: false);
        }
        if (Directory.Exists(path))
        {
            return new FileIdentity(FileKind.Directory, 0, 0, 0, 0, 0, Complete: false);
        }
        throw new FileNotFoundException($"'{path}' does not exist.", path);
    }
}
