using Microsoft.Win32.SafeHandles;

namespace ContainerTasks.FileSystem;

/// <summary>
/// Opens a file only when it is a regular file, judged on the file opened (not on the path before opening): a FIFO,
/// socket or device in its place is never read, and on Linux the open itself never blocks (O_NONBLOCK) nor follows a
/// link in the last part of the path (O_NOFOLLOW).
/// </summary>
internal static class RegularFile
{
    /// <summary>The open file and its identity, or null when <paramref name="path"/> is not a regular file. IOException when it cannot be opened.</summary>
    public static FileStream? TryOpen(string path, out FileIdentity identity)
    {
        SafeFileHandle? handle = NativeFiles.TryOpenRead(path);
        if (handle is null)
        {
            // No open(2) here: judged by path, then opened as .NET does.
            identity = FileIdentity.Of(path);
            return identity.Kind == FileKind.Regular
                ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan)
                : null;
        }
        var stream = new FileStream(handle, FileAccess.Read, bufferSize: 1);
        if (NativeFiles.TryStat(handle, out identity) && identity.Kind == FileKind.Regular)
        {
            return stream;
        }
        stream.Dispose();
        return null;
    }

    /// <summary>The identity of an open file now (by path where the system cannot tell for the handle).</summary>
    public static FileIdentity IdentityOf(FileStream stream)
        => NativeFiles.TryStat(stream.SafeFileHandle, out FileIdentity identity) ? identity : FileIdentity.Of(stream.Name);

    /// <summary>
    /// The whole of a small regular file, at most <paramref name="limit"/> bytes; null when it is not a regular file or
    /// is larger. IOException when it cannot be read.
    /// </summary>
    public static byte[]? TryReadAll(string path, long limit)
    {
        using FileStream? stream = TryOpen(path, out FileIdentity identity);
        if (stream is null || identity.Size > limit)
        {
            return null;
        }
        var buffer = new MemoryStream();
        byte[] chunk = new byte[64 * 1024];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null; // It grew while read.
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
