using System.IO.Compression;
using ContainerTasks.Layers;

namespace ContainerTasks.Tests.Infrastructure;

/// <summary>The reference input folder of the layer tests, and how they write and read layers in this process.</summary>
public static class LayerSamples
{
    public const string ExpectedDiffId = "sha256:0b264995174c30252f4f3511b56cb90698906fe554ee48bdfd94e3391b7dd3c1";
    // Tied to the compressor: .NET 10's zlib-ng at the default level (Optimal, zlib level 6).
    public const string ExpectedGzipDigestNet10 = "sha256:dfb809cdef0c21d7392a5c21e58ed41565935aec0226ff274b13198f11a1f53d";

    public static readonly string LongDirectory = "very-long-directory-name-" + new string('d', 60);
    public static readonly string LongPath = $"app/{LongDirectory}/and-an-even-longer-file-name-{new string('f', 40)}.dll"; // > 100 bytes, splittable
    public static readonly string VeryLongName = "x" + new string('y', 120) + ".txt"; // one segment > 100 bytes: needs PAX
    public const string DecomposedName = "cafe\u0301.txt"; // NFD on disk; must be NFC in the layer

    /// <summary>Creates the input folder; <paramref name="scramble"/> gives the same content with other owners, times and x bits.</summary>
    public static void CreateInput(string root, bool scramble)
    {
        var files = new (string Path, byte[] Content)[]
        {
            ("App", [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, .. Enumerable.Range(0, 500).Select(i => (byte)i)]),
            ("App.dll", Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7 % 251)).ToArray()),
            ("run.sh", "#!/bin/sh\necho run\n"u8.ToArray()),
            ("appsettings.json", "{\"Logging\":{}}"u8.ToArray()),
            ("wwwroot/css/site.css", "body{}"u8.ToArray()),
            (LongPath[4..], "long"u8.ToArray()),
            ("deep/" + VeryLongName, "pax"u8.ToArray()),
            (DecomposedName, "nfc"u8.ToArray()),
            ("apphost-without-x", "#not-a-script, marked executable by the caller"u8.ToArray()),
        };
        if (scramble)
        {
            Array.Reverse(files); // another creation order
        }
        foreach (var (path, content) in files)
        {
            string full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, content);
        }
        Directory.CreateDirectory(Path.Combine(root, "logs"));
        File.CreateSymbolicLink(Path.Combine(root, "linked.json"), "appsettings.json");
        foreach (string entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Append(root))
        {
            if (new FileInfo(entry).LinkTarget is not null)
            {
                continue;
            }
            if (scramble)
            {
                File.SetUnixFileMode(entry, Directory.Exists(entry)
                    ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
                File.SetLastWriteTimeUtc(entry, new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc).AddMinutes(entry.Length));
                Run.Checked("chown", "-h", "1234:1234", entry);
            }
            else
            {
                File.SetLastWriteTimeUtc(entry, DateTime.UtcNow);
            }
        }
    }

    public static List<LayerEntry> Entries(string root)
        => DirectoryEntries.FromDirectory(root, "/app", relative => relative == "apphost-without-x" ? LayerWriter.ExecutableMode : null);

    public static (BuiltLayer Layer, byte[] Bytes) WriteInProcess(IEnumerable<LayerEntry> entries, LayerOptions? options = null)
    {
        using var output = new MemoryStream();
        BuiltLayer layer = new LayerWriter(options).Write(entries, output);
        return (layer, output.ToArray());
    }

    public static byte[] Decompress(byte[] gzip)
    {
        using var stream = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        stream.CopyTo(output);
        return output.ToArray();
    }
}
