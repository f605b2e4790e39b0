using System.Text;

namespace ContainerTasks.Layers;

/// <summary>
/// Writes a tar stream whose bytes depend only on the entries given: USTAR headers with empty user and
/// group names and fixed device numbers, and PAX extended headers only where USTAR cannot hold a value
/// (long or non-ASCII paths and link targets, sizes of 8 GiB and more) or the caller gives records for every entry
/// (a Windows layer's security descriptor). The PAX header entry always has
/// the same name, unlike tools that put a process id in it.
/// </summary>
internal sealed class TarStreamWriter
{
    private const int BlockSize = 512;
    private const long MaxOctalSize = (1L << 33) - 1; // 11 octal digits: 8 GiB - 1
    private const string PaxHeaderName = "PaxHeaders/@PaxHeader";
    private static readonly byte[] Zeros = new byte[BlockSize];
    private readonly Stream _output;
    private readonly long _mtime;
    private readonly byte[] _header = new byte[BlockSize];
    private readonly byte[] _copyBuffer;

    private readonly IReadOnlyList<(string Key, byte[] Value)> _entryRecords;

    /// <param name="output">Where the tar goes.</param>
    /// <param name="mtimeSeconds">Every entry's modification time.</param>
    /// <param name="copyBufferSize">The size of the file copy buffer.</param>
    /// <param name="entryRecords">PAX records every entry carries (a Windows layer's security descriptor); none by default.</param>
    public TarStreamWriter(Stream output, long mtimeSeconds, int copyBufferSize = 128 * 1024, IReadOnlyList<(string Key, byte[] Value)>? entryRecords = null)
    {
        _output = output;
        _mtime = mtimeSeconds;
        _copyBuffer = new byte[copyBufferSize];
        _entryRecords = entryRecords ?? [];
    }

    public void WriteDirectory(string name, int mode, int uid, int gid)
        => WriteHeader(name.EndsWith('/') ? name : name + "/", (byte)'5', mode, uid, gid, 0, null);

    public void WriteSymlink(string name, string target, int uid, int gid)
        => WriteHeader(name, (byte)'2', 0x1FF /* 0777 */, uid, gid, 0, target);

    /// <summary>Writes a file entry; <paramref name="content"/> must yield exactly <paramref name="size"/> bytes.</summary>
    public void WriteFile(string name, int mode, int uid, int gid, long size, Stream content, CancellationToken cancellationToken)
    {
        WriteHeader(name, (byte)'0', mode, uid, gid, size, null);
        long remaining = size;
        while (remaining > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int read = content.Read(_copyBuffer, 0, (int)Math.Min(_copyBuffer.Length, remaining));
            if (read == 0)
            {
                throw new ContainerTasksException(ErrorCodes.LayerSourceUnreadable,
                    $"The file for '{name}' became shorter while it was being written into the layer. Make sure nothing writes to the publish folder during the build.");
            }
            _output.Write(_copyBuffer, 0, read);
            remaining -= read;
        }
        if (content.Read(_copyBuffer, 0, 1) != 0)
        {
            throw new ContainerTasksException(ErrorCodes.LayerSourceUnreadable,
                $"The file for '{name}' grew while it was being written into the layer. Make sure nothing writes to the publish folder during the build.");
        }
        Pad(size);
    }

    /// <summary>Writes the end-of-archive marker: two zero blocks.</summary>
    public void Finish()
    {
        Array.Clear(_header);
        _output.Write(_header);
        _output.Write(_header);
    }

    private void WriteHeader(string name, byte typeFlag, int mode, int uid, int gid, long size, string? linkTarget)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        byte[]? linkBytes = linkTarget is null ? null : Encoding.UTF8.GetBytes(linkTarget);
        var pax = new List<(string Key, byte[] Value)>(_entryRecords);

        byte[] ustarName = nameBytes;
        byte[] ustarPrefix = [];
        if (!IsAscii(nameBytes) || !TrySplit(nameBytes, out ustarName, out ustarPrefix))
        {
            pax.Add(("path", nameBytes));
            ustarName = Truncate(AsciiFallback(nameBytes), 100);
            ustarPrefix = [];
        }
        byte[]? ustarLink = linkBytes;
        if (linkBytes is not null && (linkBytes.Length > 100 || !IsAscii(linkBytes)))
        {
            pax.Add(("linkpath", linkBytes));
            ustarLink = Truncate(AsciiFallback(linkBytes), 100);
        }
        long ustarSize = size;
        if (size > MaxOctalSize)
        {
            pax.Add(("size", Encoding.ASCII.GetBytes(size.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            ustarSize = 0;
        }

        if (pax.Count > 0)
        {
            byte[] records = EncodePaxRecords(pax);
            FillHeader(Encoding.ASCII.GetBytes(PaxHeaderName), [], (byte)'x', 0x1A4 /* 0644 */, 0, 0, records.Length, null);
            _output.Write(_header);
            _output.Write(records);
            Pad(records.Length);
        }
        FillHeader(ustarName, ustarPrefix, typeFlag, mode, uid, gid, ustarSize, ustarLink);
        _output.Write(_header);
    }

    private void FillHeader(byte[] name, byte[] prefix, byte typeFlag, int mode, int uid, int gid, long size, byte[]? link)
    {
        Span<byte> h = _header;
        h.Clear();
        name.CopyTo(h[..100]);
        WriteOctal(h.Slice(100, 8), mode);
        WriteOctal(h.Slice(108, 8), uid);
        WriteOctal(h.Slice(116, 8), gid);
        WriteOctal(h.Slice(124, 12), size);
        WriteOctal(h.Slice(136, 12), _mtime);
        h.Slice(148, 8).Fill((byte)' ');
        h[156] = typeFlag;
        link?.CopyTo(h.Slice(157, 100));
        "ustar\0"u8.CopyTo(h.Slice(257, 6));
        "00"u8.CopyTo(h.Slice(263, 2));
        // uname (265) and gname (297) stay empty: no user or group names.
        WriteOctal(h.Slice(329, 8), 0);
        WriteOctal(h.Slice(337, 8), 0);
        prefix.CopyTo(h.Slice(345, 155));
        int checksum = 0;
        foreach (byte b in h)
        {
            checksum += b;
        }
        // Six octal digits, NUL, space: the traditional layout every reader accepts.
        WriteOctal(h.Slice(148, 7), checksum);
        h[155] = (byte)' ';
    }

    /// <summary>Zero-padded octal digits followed by a NUL, filling the field.</summary>
    private static void WriteOctal(Span<byte> field, long value)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "Tar numeric fields are non-negative.");
        }
        int digits = field.Length - 1;
        field[digits] = 0;
        for (int i = digits - 1; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }
        if (value != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "Value too large for a tar header field.");
        }
    }

    private static bool TrySplit(byte[] name, out byte[] ustarName, out byte[] prefix)
    {
        ustarName = name;
        prefix = [];
        if (name.Length <= 100)
        {
            return true;
        }
        if (name.Length > 256)
        {
            return false;
        }
        // Split at the last '/' that leaves a prefix of at most 155 bytes and a name of at most 100.
        // A directory's trailing '/' cannot be the split point.
        int limit = Math.Min(155, name.Length - 2);
        for (int i = limit; i > 0; i--)
        {
            if (name[i] == '/' && name.Length - i - 1 <= 100)
            {
                prefix = name[..i];
                ustarName = name[(i + 1)..];
                return true;
            }
        }
        return false;
    }

    private static byte[] EncodePaxRecords(List<(string Key, byte[] Value)> records)
    {
        using var stream = new MemoryStream();
        foreach (var (key, value) in records)
        {
            // "<length> <key>=<value>\n", where length counts its own digits.
            int body = 1 + Encoding.ASCII.GetByteCount(key) + 1 + value.Length + 1;
            int length = body + 1;
            while (length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length + body != length)
            {
                length = length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length + body;
            }
            stream.Write(Encoding.ASCII.GetBytes($"{length} {key}="));
            stream.Write(value);
            stream.WriteByte((byte)'\n');
        }
        return stream.ToArray();
    }

    private void Pad(long size)
    {
        int padding = (int)((BlockSize - (size % BlockSize)) % BlockSize);
        if (padding > 0)
        {
            _output.Write(Zeros, 0, padding);
        }
    }

    private static bool IsAscii(byte[] bytes) => Array.TrueForAll(bytes, b => b < 0x80);

    private static byte[] AsciiFallback(byte[] bytes) => bytes.Select(b => b < 0x80 ? b : (byte)'_').ToArray();

    private static byte[] Truncate(byte[] bytes, int max) => bytes.Length <= max ? bytes : bytes[..max];
}
