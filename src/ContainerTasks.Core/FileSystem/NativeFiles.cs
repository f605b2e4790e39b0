using System.Runtime.InteropServices;

namespace ContainerTasks.FileSystem;

/// <summary>
/// The file system calls .NET does not offer: statx (file type, inode, status-change time, of a path or an open
/// file), realpath (a path with every link resolved), and open with O_NONBLOCK|O_NOFOLLOW (a FIFO put in a file's
/// place cannot block the build). Linux only; elsewhere each reports that it is unavailable and callers use what
/// .NET offers.
/// </summary>
internal static class NativeFiles
{
    private const int AtFdCwd = -100;
    private const uint BasicStats = 0x7ff;
    private const int FileTypeMask = 0xF000;
    private const int RegularType = 0x8000;
    private const int DirectoryType = 0x4000;
    private const int NoSuchFile = 2;
    private const int NotADirectory = 20;
    private static volatile bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>The identity of <paramref name="path"/> (links followed); false where statx is unavailable.</summary>
    public static bool TryStat(string path, out FileIdentity identity)
    {
        identity = default;
        if (s_unavailable)
        {
            return false;
        }
        int result;
        StatxBuffer buffer;
        try
        {
            result = statx(AtFdCwd, path, 0, BasicStats, out buffer);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_unavailable = true; // An old C library: callers fall back to size and time.
            return false;
        }
        if (result != 0)
        {
            throw Failure(path, "read the status of");
        }
        identity = ToIdentity(buffer);
        return true;
    }

    private static FileIdentity ToIdentity(StatxBuffer buffer)
    {
        int type = buffer.Mode & FileTypeMask;
        FileKind kind = type == RegularType ? FileKind.Regular : type == DirectoryType ? FileKind.Directory : FileKind.Special;
        ulong device = ((ulong)buffer.DeviceMajor << 32) | buffer.DeviceMinor;
        return new FileIdentity(kind, (long)buffer.Size, Nanoseconds(buffer.ModifiedSeconds, buffer.ModifiedNanoseconds),
            Nanoseconds(buffer.ChangedSeconds, buffer.ChangedNanoseconds), buffer.Inode, device, Complete: true);
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading without blocking on a FIFO (O_NONBLOCK) and without following a link
    /// in its last part (O_NOFOLLOW); null where that is unavailable. An <see cref="IOException"/> when it cannot be opened.
    /// </summary>
    public static Microsoft.Win32.SafeHandles.SafeFileHandle? TryOpenRead(string path)
    {
        int? noFollow = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 or Architecture.X86 => 0x20000,  // 0400000 in linux/fcntl.h for x86
            Architecture.Arm64 or Architecture.Arm => 0x8000, // 0100000 in the arm headers
            _ => null,
        };
        if (s_unavailable || noFollow is null)
        {
            return null;
        }
        const int ReadOnly = 0, NonBlocking = 0x800, CloseOnExec = 0x80000;
        int fd;
        try
        {
            fd = open(path, ReadOnly | NonBlocking | CloseOnExec | noFollow.Value);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        return fd >= 0 ? new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true) : throw Failure(path, "open");
    }

    /// <summary>The identity of an open file (fstat); false where statx is unavailable.</summary>
    public static bool TryStat(Microsoft.Win32.SafeHandles.SafeFileHandle handle, out FileIdentity identity)
    {
        identity = default;
        const int EmptyPath = 0x1000;
        if (s_unavailable || statx((int)handle.DangerousGetHandle(), "", EmptyPath, BasicStats, out StatxBuffer buffer) != 0)
        {
            return false;
        }
        identity = ToIdentity(buffer);
        return true;
    }

    /// <summary>The owner's user id of <paramref name="path"/> (links followed); null where statx is unavailable.</summary>
    public static uint? OwnerOf(string path)
    {
        if (s_unavailable)
        {
            return null;
        }
        try
        {
            return statx(AtFdCwd, path, 0, BasicStats, out StatxBuffer buffer) == 0 ? buffer.Uid : throw Failure(path, "read the owner of");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_unavailable = true;
            return null;
        }
    }

    /// <summary>The effective user id of this process; null where unavailable.</summary>
    public static uint? EffectiveUserId()
    {
        try
        {
            return s_unavailable ? null : geteuid();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The canonical path of <paramref name="path"/> (every link resolved); null where realpath is unavailable.</summary>
    public static string? RealPath(string path)
    {
        if (s_unavailable)
        {
            return null;
        }
        IntPtr resolved;
        try
        {
            resolved = realpath(path, IntPtr.Zero);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_unavailable = true;
            return null;
        }
        if (resolved == IntPtr.Zero)
        {
            throw Failure(path, "resolve");
        }
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    private static IOException Failure(string path, string action)
    {
        int error = Marshal.GetLastPInvokeError();
        string message = $"Cannot {action} '{path}': {Marshal.GetPInvokeErrorMessage(error)}.";
        return error is NoSuchFile or NotADirectory ? new FileNotFoundException(message, path) : new IOException(message);
    }

    private static long Nanoseconds(long seconds, uint nanoseconds) => seconds * 1_000_000_000 + nanoseconds;

#pragma warning disable SYSLIB1054 // The tasks load in .NET 8, 9 and 10 MSBuilds; DllImport keeps plain declarations.
    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, out StatxBuffer buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr pointer);

    [DllImport("libc")]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
#pragma warning restore SYSLIB1054

    // struct statx from linux/stat.h: the same layout on every architecture.
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(96)] public long ChangedSeconds;
        [FieldOffset(104)] public uint ChangedNanoseconds;
        [FieldOffset(112)] public long ModifiedSeconds;
        [FieldOffset(120)] public uint ModifiedNanoseconds;
        [FieldOffset(136)] public uint DeviceMajor;
        [FieldOffset(140)] public uint DeviceMinor;
    }
}
