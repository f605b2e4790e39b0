using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using ContainerTasks.Content;
using ContainerTasks.Layers;

namespace ContainerTasks.Benchmarks;

/// <summary>
/// The <c>memory</c> command: a child process (this program again, with a hidden command) writes one large
/// layer into a content store, and reports its resident memory before and at the peak.
/// </summary>
internal static class MemoryBenchmark
{
    /// <summary>The hidden command the child runs.</summary>
    public const string ChildCommand = "memory-child";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static int Run(Options options)
    {
        string work = options.String("work", Options.DefaultWorkDirectory());
        int sizeMib = options.Int("size-mib", 1024);
        int files = Math.Max(1, options.Int("files", 16));
        int limitMib = options.Int("limit-mib", 64);
        string level = options.String("level", "optimal");
        _ = Compression(level);
        if (sizeMib < files)
        {
            throw new UsageException("--size-mib must be at least --files.");
        }
        long fileBytes = sizeMib * 1024L * 1024L / files;
        string input = SampleData.GeneratedFolder(work, files, fileBytes);
        string store = Path.Combine(work, "memory-store");
        if (Directory.Exists(store))
        {
            Directory.Delete(store, recursive: true);
        }

        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }
        foreach (string arg in (string[])[ChildCommand, "--input", input, "--store", store, "--level", level])
        {
            info.ArgumentList.Add(arg);
        }
        Console.Error.WriteLine($"Starting the child: {info.FileName} {string.Join(' ', info.ArgumentList)}");
        using Process child = Process.Start(info) ?? throw new InvalidOperationException("Cannot start the child process.");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        string? line;
        while ((line = child.StandardOutput.ReadLine()) is not null)
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                values[line[..eq]] = line[(eq + 1)..];
            }
        }
        child.WaitForExit();
        Directory.Delete(store, recursive: true);
        if (child.ExitCode != 0 || !values.ContainsKey("peak_kib"))
        {
            Console.Error.WriteLine($"The child failed (exit code {child.ExitCode}).");
            return 3;
        }

        double Mib(string key) => long.Parse(values[key], Invariant) / 1024.0;
        double baseline = Mib("baseline_rss_kib");
        double peak = Mib("peak_kib");
        double growth = peak - baseline;
        bool pass = growth <= limitMib;
        double seconds = double.Parse(values["seconds"], Invariant);
        long tarBytes = long.Parse(values["tar_bytes"], Invariant);
        long blobBytes = long.Parse(values["blob_bytes"], Invariant);

        Console.WriteLine(string.Create(Invariant, $"""
            Machine: {Environment.ProcessorCount} cores; {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}; {CompressionBenchmark.ZlibVersion()}
            Layer: {files} generated files of {fileBytes / 1048576.0:F0} MiB, tar {tarBytes / 1048576.0:F0} MiB, compression {values["compression"]}, written to a content store in a child process
            Blob: {blobBytes / 1048576.0:F0} MiB (ratio {(double)blobBytes / tarBytes:F3}), {seconds:F1} s, {tarBytes / 1e6 / seconds:F1} MB/s
            Peak measured as: {values["peak_source"]}

            | Measure | MiB |
            | --- | ---: |
            | Baseline VmRSS (runtime started, files listed) | {baseline:F1} |
            | VmHWM before the write (start-up peak) | {Mib("baseline_hwm_kib"):F1} |
            | Peak RSS during the write | {peak:F1} |
            | VmRSS after the write | {Mib("after_rss_kib"):F1} |
            | **Peak − baseline** | **{growth:F1}** |
            | Limit | {limitMib} |

            Managed allocations during the write: {long.Parse(values["allocated_bytes"], Invariant) / 1048576.0:F1} MiB in total; GC heap after: {long.Parse(values["heap_bytes"], Invariant) / 1048576.0:F1} MiB; gen0/1/2 collections: {values["gc_counts"]}

            {(pass ? "PASS" : "FAIL")}: peak RSS exceeds the baseline by {growth:F1} MiB; the limit is {limitMib} MiB.
            """));
        return pass ? 0 : 1;
    }

    /// <summary>The child: list the files, take the baseline, write the layer, report.</summary>
    public static int RunChild(Options options)
    {
        string input = options.String("input") ?? throw new UsageException("--input is required.");
        string storeRoot = options.String("store") ?? throw new UsageException("--store is required.");
        LayerCompression compression = Compression(options.String("level", "optimal"));

        var store = new ContentStore(storeRoot);
        List<LayerEntry> entries = DirectoryEntries.FromDirectory(input, "/data");

        Dictionary<string, long> before = ReadStatus();
        // Reset the peak (VmHWM) to the current RSS so that the start-up peak does not mask the write's.
        bool reset = TryResetPeak();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];

        long start = Stopwatch.GetTimestamp();
        BuiltLayer layer = new LayerWriter(new LayerOptions { Compression = compression }).WriteAsync(entries, store).GetAwaiter().GetResult();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

        Dictionary<string, long> after = ReadStatus();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        string collections = string.Join('/', Enumerable.Range(0, 3).Select(g => GC.CollectionCount(g) - collectionsBefore[g]));

        Console.WriteLine(FormattableString.Invariant($"compression={compression.Level}{(compression.IsGzip ? " (gzip)" : "")}"));
        Console.WriteLine(FormattableString.Invariant($"baseline_rss_kib={before["VmRSS"]}"));
        Console.WriteLine(FormattableString.Invariant($"baseline_hwm_kib={before["VmHWM"]}"));
        Console.WriteLine(FormattableString.Invariant($"peak_kib={after["VmHWM"]}"));
        Console.WriteLine(reset
            ? "peak_source=VmHWM after the write, reset to VmRSS at the baseline (/proc/self/clear_refs 5)"
            : "peak_source=VmHWM after the write (could not reset it; it may include the start-up peak)");
        Console.WriteLine(FormattableString.Invariant($"after_rss_kib={after["VmRSS"]}"));
        Console.WriteLine(FormattableString.Invariant($"seconds={seconds}"));
        Console.WriteLine(FormattableString.Invariant($"tar_bytes={layer.UncompressedSize}"));
        Console.WriteLine(FormattableString.Invariant($"blob_bytes={layer.Descriptor.Size}"));
        Console.WriteLine(FormattableString.Invariant($"allocated_bytes={allocated}"));
        Console.WriteLine(FormattableString.Invariant($"heap_bytes={GC.GetTotalMemory(forceFullCollection: false)}"));
        Console.WriteLine($"gc_counts={collections}");
        Console.WriteLine($"digest={layer.Descriptor.Digest}");
        return 0;
    }

    private static LayerCompression Compression(string level) => level switch
    {
        "optimal" or "default" => LayerCompression.Default,
        "fastest" => LayerCompression.Gzip(CompressionLevel.Fastest),
        "smallest" => LayerCompression.Gzip(CompressionLevel.SmallestSize),
        "none" => LayerCompression.None,
        _ => throw new UsageException($"--level must be optimal, fastest, smallest or none, not '{level}'."),
    };

    /// <summary>The kB values of /proc/self/status (VmRSS, VmHWM, ...).</summary>
    private static Dictionary<string, long> ReadStatus()
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in File.ReadAllLines("/proc/self/status"))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.EndsWith(" kB", StringComparison.Ordinal)
                && long.TryParse(line[(colon + 1)..^3].Trim(), NumberStyles.Integer, Invariant, out long kib))
            {
                values[line[..colon]] = kib;
            }
        }
        return values;
    }

    private static bool TryResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
