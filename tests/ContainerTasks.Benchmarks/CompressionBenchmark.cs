using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ICSharpCode.SharpZipLib.Zip.Compression;
using ICSharpCode.SharpZipLib.Zip.Compression.Streams;

namespace ContainerTasks.Benchmarks;

/// <summary>
/// The <c>compression</c> command: the layer writer at each level against other deflate implementations
/// and tools over the same tar bytes, on one core unless a row says otherwise.
/// </summary>
internal static partial class CompressionBenchmark
{
    private const int CopyBufferSize = 128 * 1024;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static uint s_crcSink;

    public static int Run(Options options)
    {
        string work = options.String("work", Options.DefaultWorkDirectory());
        Directory.CreateDirectory(work);
        int repetitions = Math.Max(1, options.Int("reps", 5));
        int warmup = options.Int("warmup", 1);
        int cpu = options.String("cpu") is null ? -1 : options.Int("cpu", 0);
        string input = options.String("input") ?? SampleData.PublishLikeFolder(work, options.Int("size-mb", 200) * 1_000_000L);
        // Outputs (the tar and every compressed file) go to memory when possible, so that disk writeback
        // does not show up in the times: the product writes to disk, but the disk is not what is compared here.
        string outDir = options.String("out-dir") ?? (Directory.Exists("/dev/shm") ? "/dev/shm/containertasks-bench" : Path.Combine(work, "out"));
        Directory.CreateDirectory(outDir);

        // Every in-process row runs on this one thread (zlib-ng, SHA-256 and SharpZipLib do not start threads),
        // so it uses one core at a time. --cpu N also pins it, and gzip, to core N.
        if (cpu >= 0 && (OperatingSystem.IsLinux() || OperatingSystem.IsWindows()))
        {
            using Process self = Process.GetCurrentProcess();
            self.ProcessorAffinity = (nint)(1L << cpu);
        }

        List<LayerEntry> entries = DirectoryEntries.FromDirectory(input, "/app");
        string tarPath = Path.Combine(outDir, "layer.tar");
        BuiltLayer tar = WriteLayer(entries, LayerCompression.None, tarPath);
        long tarBytes = tar.UncompressedSize;
        int fileCount = entries.Count(e => e.Kind == LayerEntryKind.File);

        Console.Error.WriteLine(string.Create(Invariant,
            $"Input {input}: {fileCount} files, tar {tarBytes / 1e6:F1} MB; {warmup} warm-up + {repetitions} measured runs per row."));
        Console.Error.WriteLine(MappingCheck(tarPath));

        var rows = new List<Measurement>();
        string scratch = Path.Combine(outDir, "out.bin");

        rows.Add(Bench.InProcess("Read the tar file only (page cache)", "–", tarBytes, warmup, repetitions, () =>
        {
            ReadAll(tarPath, _ => { });
            return 0;
        }));
        rows.Add(Bench.InProcess("SHA-256 alone", "–", tarBytes, warmup, repetitions, () =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            ReadAll(tarPath, hash.AppendData);
            hash.GetHashAndReset();
            return 0;
        }));
        rows.Add(Bench.InProcess("CRC-32 alone (the writer's managed slicing-by-8)", "–", tarBytes, warmup, repetitions, () =>
        {
            var crc = new ContainerTasks.Layers.Crc32();
            ReadAll(tarPath, crc.Append);
            s_crcSink = crc.Value;
            return 0;
        }));
        rows.Add(Bench.InProcess("CRC-32 alone (System.IO.Hashing, vectorised)", "–", tarBytes, warmup, repetitions, () =>
        {
            var crc = new System.IO.Hashing.Crc32();
            ReadAll(tarPath, crc.Append);
            s_crcSink = crc.GetCurrentHashAsUInt32();
            return 0;
        }));

        foreach ((string name, LayerCompression compression) in new[]
                 {
                     ("NoCompression", LayerCompression.None),
                     ("Fastest (1)", LayerCompression.Gzip(CompressionLevel.Fastest)),
                     ("Optimal (6, default)", LayerCompression.Default),
                     ("SmallestSize (9)", LayerCompression.Gzip(CompressionLevel.SmallestSize)),
                 })
        {
            string output = Path.Combine(outDir, $"layer-{name.Split(' ')[0].ToLowerInvariant()}.blob");
            BuiltLayer? last = null;
            rows.Add(Bench.InProcess("Layer writer: files → tar → SHA-256 → gzip → SHA-256 → file", name, tarBytes, warmup, repetitions, () =>
            {
                last = WriteLayer(entries, compression, output);
                if (last.DiffId != tar.DiffId)
                {
                    throw new InvalidOperationException($"diff_id {last.DiffId} at {name} differs from {tar.DiffId}.");
                }
                return last.Descriptor.Size;
            }));
            if (compression.IsGzip)
            {
                VerifyGzip(output, tar.DiffId);
                VerifyBlobDigest(output, last!.Descriptor.Digest);
            }
            File.Delete(output);
        }

        // The named levels the layer writer can use, and zlib levels 2-5, which only ZLibCompressionOptions (.NET 9+) reaches.
        foreach ((string name, Func<Stream, Stream> make) in new (string, Func<Stream, Stream>)[]
                 {
                     ("1 (Fastest)", s => new DeflateStream(s, CompressionLevel.Fastest, leaveOpen: true)),
                     ("2", s => new DeflateStream(s, new ZLibCompressionOptions { CompressionLevel = 2 }, leaveOpen: true)),
                     ("3", s => new DeflateStream(s, new ZLibCompressionOptions { CompressionLevel = 3 }, leaveOpen: true)),
                     ("4", s => new DeflateStream(s, new ZLibCompressionOptions { CompressionLevel = 4 }, leaveOpen: true)),
                     ("5", s => new DeflateStream(s, new ZLibCompressionOptions { CompressionLevel = 5 }, leaveOpen: true)),
                     ("6 (Optimal)", s => new DeflateStream(s, CompressionLevel.Optimal, leaveOpen: true)),
                     ("9 (SmallestSize)", s => new DeflateStream(s, CompressionLevel.SmallestSize, leaveOpen: true)),
                 })
        {
            rows.Add(Bench.InProcess("DeflateStream (zlib-ng), compression only", name, tarBytes, warmup, repetitions,
                () => CompressFile(tarPath, scratch, make)));
        }
        rows.Add(Bench.InProcess("GZipStream (zlib-ng, native CRC-32), compression only", "Optimal", tarBytes, warmup, repetitions,
            () => CompressFile(tarPath, scratch, s => new GZipStream(s, CompressionLevel.Optimal, leaveOpen: true))));

        foreach (int level in new[] { 1, 6, 9 })
        {
            rows.Add(Bench.InProcess("SharpZipLib Deflater (managed), compression only", level.ToString(Invariant), tarBytes, warmup, repetitions,
                () => CompressFile(tarPath, scratch, s => new DeflaterOutputStream(s, new Deflater(level, noZlibHeaderOrFooter: true), 64 * 1024) { IsStreamOwner = false })));
            if (level == 6)
            {
                VerifyRawDeflate(scratch, tar.DiffId);
            }
        }

        string allCpus = $"0-{Environment.ProcessorCount - 1}";
        string oneCpu = cpu >= 0 ? cpu.ToString(Invariant) : allCpus;
        foreach (string level in new[] { "1", "6" })
        {
            rows.Add(Bench.External($"gzip -{level}", "–", oneCpu, 1, tarBytes, warmup, repetitions, scratch, work, "gzip", $"-{level}", "-n", "-c", tarPath));
        }
        foreach (string level in new[] { "1", "6" })
        {
            rows.Add(Bench.External($"pigz -{level}", "–", allCpus, Environment.ProcessorCount, tarBytes, warmup, repetitions, scratch, work, "pigz", $"-{level}", "-n", "-c", tarPath));
        }
        File.Delete(scratch);
        File.Delete(tarPath);

        Console.WriteLine(string.Create(Invariant, $"""
            Machine: {Environment.ProcessorCount} cores ({CpuModel()}), {RuntimeInformation.OSDescription}
            Runtime: {RuntimeInformation.FrameworkDescription}; System.IO.Compression uses {ZlibVersion()}
            Input: {input} ({fileCount} files); tar {tarBytes:N0} bytes ({tarBytes / 1e6:F1} MB)
            Runs: {warmup} warm-up + {repetitions} measured per row; median shown. MB = 10^6 bytes; MB/s is tar (uncompressed) bytes per second.
            Threads: every row but pigz runs on one thread (one core at a time){(cpu >= 0 ? $", pinned to CPU {cpu}" : "")}; pigz runs {Environment.ProcessorCount} threads on all {Environment.ProcessorCount} cores.
            CPU time is the process's user + system time; on a busy machine it is steadier than the wall time.

            """));
        Console.WriteLine(Bench.Table(rows));
        return 0;
    }

    private static BuiltLayer WriteLayer(List<LayerEntry> entries, LayerCompression compression, string path)
    {
        // The same kind of output stream as the content store's pending blob.
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, CopyBufferSize);
        return new LayerWriter(new LayerOptions { Compression = compression }).Write(entries, file);
    }

    private static void ReadAll(string path, Action<ReadOnlySpan<byte>> consume)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        byte[] buffer = new byte[CopyBufferSize];
        int read;
        while ((read = file.Read(buffer, 0, buffer.Length)) > 0)
        {
            consume(buffer.AsSpan(0, read));
        }
    }

    private static long CompressFile(string inputPath, string outputPath, Func<Stream, Stream> compressor)
    {
        using var output = new FileStream(outputPath, FileMode.Create, FileAccess.Write, FileShare.None, CopyBufferSize);
        using (Stream compressing = compressor(output))
        {
            ReadAll(inputPath, compressing.Write);
        }
        return output.Length;
    }

    private static void VerifyGzip(string path, Digest diffId)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        CheckDigest(gzip, diffId, $"gunzip of {Path.GetFileName(path)}");
        var check = Process.Start(new ProcessStartInfo("gzip", ["-t", path]) { UseShellExecute = false })!;
        check.WaitForExit();
        if (check.ExitCode != 0)
        {
            throw new InvalidOperationException($"gzip -t rejects {path}.");
        }
    }

    private static void VerifyBlobDigest(string path, Digest expected)
    {
        using var file = File.OpenRead(path);
        CheckDigest(file, expected, $"blob {Path.GetFileName(path)}");
    }

    private static void VerifyRawDeflate(string path, Digest diffId)
    {
        using var file = File.OpenRead(path);
        using var inflate = new DeflateStream(file, CompressionMode.Decompress);
        CheckDigest(inflate, diffId, "inflate of SharpZipLib's output");
    }

    private static void CheckDigest(Stream content, Digest expected, string what)
    {
        using var sha = SHA256.Create();
        byte[] actual = sha.ComputeHash(content);
        if (!expected.Matches(actual))
        {
            throw new InvalidOperationException($"{what} hashes to sha256:{Convert.ToHexStringLower(actual)}, expected {expected}.");
        }
        Console.Error.WriteLine($"  check: {what} = {expected} ✓");
    }

    /// <summary>Confirms which zlib level each <see cref="CompressionLevel"/> means, by comparing output bytes.</summary>
    private static string MappingCheck(string tarPath)
    {
        byte[] sample = new byte[16 * 1024 * 1024];
        using (var file = File.OpenRead(tarPath))
        {
            sample = sample[..file.ReadAtLeast(sample, sample.Length, throwOnEndOfStream: false)];
        }
        static byte[] Deflate(byte[] data, Func<Stream, Stream> make)
        {
            using var ms = new MemoryStream();
            using (Stream s = make(ms))
            {
                s.Write(data);
            }
            return ms.ToArray();
        }
        var parts = new List<string>();
        foreach (CompressionLevel level in new[] { CompressionLevel.Fastest, CompressionLevel.Optimal, CompressionLevel.SmallestSize })
        {
            byte[] named = Deflate(sample, s => new DeflateStream(s, level, leaveOpen: true));
            string match = "?";
            for (int zlibLevel = 1; zlibLevel <= 9; zlibLevel++)
            {
                int l = zlibLevel;
                byte[] numbered = Deflate(sample, s => new DeflateStream(s, new ZLibCompressionOptions { CompressionLevel = l }, leaveOpen: true));
                if (numbered.AsSpan().SequenceEqual(named))
                {
                    match = l.ToString(Invariant);
                    break;
                }
            }
            parts.Add($"{level} = zlib level {match}");
        }
        return "Level mapping (same output bytes as ZLibCompressionOptions): " + string.Join(", ", parts);
    }

    private static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    /// <summary>The zlib(-ng) version compiled into the runtime's compression library, read from its strings.</summary>
    public static string ZlibVersion()
    {
        string dir = RuntimeEnvironment.GetRuntimeDirectory();
        string? lib = new[] { "libSystem.IO.Compression.Native.so", "libSystem.IO.Compression.Native.dylib", "System.IO.Compression.Native.dll" }
            .Select(n => Path.Combine(dir, n)).FirstOrDefault(File.Exists);
        if (lib is null)
        {
            return "zlib (version unknown: compression library not found beside the runtime)";
        }
        string text = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(lib));
        Match ng = ZlibNgVersion().Match(text);
        if (ng.Success)
        {
            return $"zlib-ng {ng.Groups[1].Value}";
        }
        Match z = ZlibPlainVersion().Match(text);
        return z.Success ? $"zlib {z.Groups[1].Value}" : "zlib (version not found)";
    }

    [GeneratedRegex(@"zlib-ng (\d+\.\d+\.\d+)")]
    private static partial Regex ZlibNgVersion();

    [GeneratedRegex(@"deflate (\d+\.\d+\.\d+) Copyright")]
    private static partial Regex ZlibPlainVersion();
}
