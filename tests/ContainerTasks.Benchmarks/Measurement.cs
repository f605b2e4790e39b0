using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ContainerTasks.Benchmarks;

/// <summary>One benchmark row: repeated wall-clock and CPU times of one piece of work over <see cref="InputBytes"/>.</summary>
internal sealed record Measurement(string What, string Level, int Threads, long InputBytes, long OutputBytes, double[] Seconds, double[] CpuSeconds)
{
    public double MedianSeconds => Median(Seconds);

    public double MedianCpuSeconds => Median(CpuSeconds);

    /// <summary>Megabytes (10^6 bytes) of input per second at the median time.</summary>
    public double MegabytesPerSecond => InputBytes / 1e6 / MedianSeconds;

    /// <summary>Megabytes of input per second of CPU time (all threads) at the median CPU time.</summary>
    public double MegabytesPerCpuSecond => InputBytes / 1e6 / MedianCpuSeconds;

    public static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

/// <summary>Runs work repeatedly and measures it.</summary>
internal static class Bench
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>
    /// Runs <paramref name="work"/> <paramref name="warmup"/> times unmeasured (JIT, page cache), then
    /// <paramref name="repetitions"/> times measured. <paramref name="work"/> returns the bytes it produced.
    /// </summary>
    public static Measurement InProcess(string what, string level, long inputBytes, int warmup, int repetitions, Func<long> work)
    {
        for (int i = 0; i < warmup; i++)
        {
            work();
        }
        var seconds = new double[repetitions];
        var cpu = new double[repetitions];
        long output = 0;
        for (int i = 0; i < repetitions; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            TimeSpan cpuBefore = ProcessCpu();
            long start = Stopwatch.GetTimestamp();
            output = work();
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            cpu[i] = (ProcessCpu() - cpuBefore).TotalSeconds;
        }
        var m = new Measurement(what, level, 1, inputBytes, output, seconds, cpu);
        Report(m);
        return m;
    }

    /// <summary>
    /// Runs a command (through <c>taskset -c <paramref name="cpus"/></c> and <c>/usr/bin/time</c>, which
    /// gives the child's CPU time) with stdout sent to <paramref name="outputPath"/>.
    /// </summary>
    public static Measurement External(string what, string level, string cpus, int threads, long inputBytes, int warmup, int repetitions,
        string outputPath, string workDirectory, params string[] command)
    {
        string timeFile = Path.Combine(workDirectory, "time.txt");
        var seconds = new double[repetitions];
        var cpu = new double[repetitions];
        for (int i = -warmup; i < repetitions; i++)
        {
            var info = new ProcessStartInfo("taskset") { RedirectStandardError = true, UseShellExecute = false };
            foreach (string arg in (string[])["-c", cpus, "/usr/bin/time", "-f", "%U %S", "-o", timeFile,
                         "/bin/sh", "-c", "out=$1; shift; exec \"$@\" > \"$out\"", "sh", outputPath, .. command])
            {
                info.ArgumentList.Add(arg);
            }
            long start = Stopwatch.GetTimestamp();
            using Process process = Process.Start(info) ?? throw new InvalidOperationException("Cannot start taskset.");
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"'{string.Join(' ', command)}' failed ({process.ExitCode}): {stderr}");
            }
            if (i >= 0)
            {
                seconds[i] = elapsed;
                string[] parts = File.ReadAllText(timeFile).Trim().Split(' ');
                cpu[i] = double.Parse(parts[0], Invariant) + double.Parse(parts[1], Invariant);
            }
        }
        var m = new Measurement(what, level, threads, inputBytes, new FileInfo(outputPath).Length, seconds, cpu);
        Report(m);
        return m;
    }

    private static TimeSpan ProcessCpu()
    {
        using Process self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static void Report(Measurement m)
        => Console.Error.WriteLine(string.Create(Invariant,
            $"  {m.What} {m.Level}: median {m.MedianSeconds:F3} s ({string.Join(", ", m.Seconds.Select(s => s.ToString("F3", Invariant)))}), {m.MegabytesPerSecond:F1} MB/s; CPU {m.MedianCpuSeconds:F3} s"));

    /// <summary>A Markdown table of the rows.</summary>
    public static string Table(IEnumerable<Measurement> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| What | Level | Threads | Median time (s) | Min–max (s) | MB/s | CPU time (s) | MB per CPU-s | Output (MB) | Output / tar |");
        sb.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (Measurement m in rows)
        {
            string output = m.OutputBytes > 0 ? (m.OutputBytes / 1e6).ToString("F1", Invariant) : "–";
            string ratio = m.OutputBytes > 0 ? ((double)m.OutputBytes / m.InputBytes).ToString("F3", Invariant) : "–";
            sb.AppendLine(string.Create(Invariant,
                $"| {m.What} | {m.Level} | {m.Threads} | {m.MedianSeconds:F2} | {m.Seconds.Min():F2}–{m.Seconds.Max():F2} | {m.MegabytesPerSecond:F1} | {m.MedianCpuSeconds:F2} | {m.MegabytesPerCpuSecond:F1} | {output} | {ratio} |"));
        }
        return sb.ToString();
    }
}
