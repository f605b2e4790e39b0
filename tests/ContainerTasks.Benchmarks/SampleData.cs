using System.Globalization;

namespace ContainerTasks.Benchmarks;

/// <summary>Input folders for the benchmarks, made once and reused (a marker file beside each says it is complete).</summary>
internal static class SampleData
{
    /// <summary>
    /// A publish-like folder of about <paramref name="targetBytes"/>: the .NET installation's shared runtime and
    /// ASP.NET Core assemblies and native libraries, then SDK files in path order until the size is reached.
    /// Real assemblies compress like a real publish output, which generated data would not.
    /// </summary>
    public static string PublishLikeFolder(string workDirectory, long targetBytes)
    {
        string dotnetRoot = FindDotnetRoot();
        string folder = Path.Combine(workDirectory, string.Create(CultureInfo.InvariantCulture, $"publish-{targetBytes / 1_000_000}mb"));
        string marker = folder + ".complete";
        if (File.Exists(marker) && Directory.Exists(folder))
        {
            return folder;
        }
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
        Console.Error.WriteLine($"Making a publish-like folder of about {targetBytes / 1e6:F0} MB in {folder} from {dotnetRoot} ...");
        long total = 0;
        foreach (string source in new[] { "shared/Microsoft.NETCore.App", "shared/Microsoft.AspNetCore.App", "sdk" })
        {
            string sourceRoot = Path.Combine(dotnetRoot, source);
            if (!Directory.Exists(sourceRoot))
            {
                continue;
            }
            foreach (string file in SortedFiles(sourceRoot))
            {
                if (total >= targetBytes)
                {
                    break;
                }
                var info = new FileInfo(file);
                if (info.LinkTarget is not null)
                {
                    continue;
                }
                string target = Path.Combine(folder, Path.GetRelativePath(dotnetRoot, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                info.CopyTo(target);
                total += info.Length;
            }
        }
        if (total < targetBytes / 2)
        {
            throw new InvalidOperationException($"Only {total / 1e6:F0} MB of .NET files found under {dotnetRoot}; pass --input DIR instead.");
        }
        File.WriteAllText(marker, total.ToString(CultureInfo.InvariantCulture));
        return folder;
    }

    /// <summary>
    /// <paramref name="fileCount"/> files of <paramref name="fileBytes"/> each of semi-compressible pseudo-random data
    /// (literal runs from a 32-letter alphabet mixed with copies of earlier runs; gzip takes it to about a third),
    /// written chunk by chunk so that the data is never all in memory.
    /// </summary>
    public static string GeneratedFolder(string workDirectory, int fileCount, long fileBytes)
    {
        string folder = Path.Combine(workDirectory, string.Create(CultureInfo.InvariantCulture, $"generated-{fileCount}x{fileBytes / (1024 * 1024)}mib"));
        string marker = folder + ".complete";
        if (File.Exists(marker) && Directory.Exists(folder))
        {
            return folder;
        }
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
        Directory.CreateDirectory(folder);
        Console.Error.WriteLine($"Generating {fileCount} files of {fileBytes / (1024.0 * 1024):F0} MiB in {folder} ...");
        var chunk = new byte[1024 * 1024];
        for (int f = 0; f < fileCount; f++)
        {
            ulong state = 0x9E3779B97F4A7C15UL * (ulong)(f + 1);
            using var stream = new FileStream(Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"data-{f:D2}.bin")),
                FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
            for (long written = 0; written < fileBytes; written += chunk.Length)
            {
                int length = (int)Math.Min(chunk.Length, fileBytes - written);
                FillSemiCompressible(chunk.AsSpan(0, length), ref state);
                stream.Write(chunk, 0, length);
            }
        }
        File.WriteAllText(marker, "");
        return folder;
    }

    private static void FillSemiCompressible(Span<byte> buffer, ref ulong state)
    {
        int pos = 0;
        while (pos < buffer.Length)
        {
            ulong r = Next(ref state);
            int length = Math.Min(32 + (int)(r & 1023), buffer.Length - pos);
            bool copy = ((r >> 10) & 1) == 1 && pos > 32 * 1024;
            if (copy)
            {
                // A copy of an earlier run up to 32 KiB back: what deflate finds as a match.
                int distance = 1 + (int)((r >> 11) % (32 * 1024));
                for (int i = 0; i < length; i++, pos++)
                {
                    buffer[pos] = buffer[pos - distance];
                }
            }
            else
            {
                // Literals from a 32-letter alphabet: 5 bits of entropy per byte.
                for (int i = 0; i < length; pos++, i++)
                {
                    if (i % 12 == 0)
                    {
                        r = Next(ref state);
                    }
                    buffer[pos] = (byte)('a' + (int)(r & 31));
                    r >>= 5;
                }
            }
        }
    }

    private static ulong Next(ref ulong state)
    {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 0x2545F4914F6CDD1DUL;
    }

    private static IEnumerable<string> SortedFiles(string directory)
    {
        foreach (string file in Directory.GetFiles(directory).Order(StringComparer.Ordinal))
        {
            yield return file;
        }
        foreach (string sub in Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
        {
            if (new DirectoryInfo(sub).LinkTarget is not null)
            {
                continue;
            }
            foreach (string file in SortedFiles(sub))
            {
                yield return file;
            }
        }
    }

    private static string FindDotnetRoot()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(fromEnv) && Directory.Exists(Path.Combine(fromEnv, "shared")))
        {
            return fromEnv;
        }
        // The running runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/.
        string runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
    }
}
