namespace ContainerTasks.Benchmarks;

/// <summary>
/// Light benchmarks of the layer writer: a Stopwatch, a few repetitions, the median.
/// <c>dotnet run -c Release --project tests/ContainerTasks.Benchmarks -- compression|memory|streaming [options]</c>
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            PrintUsage();
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            var options = Options.Parse(args.AsSpan(1));
            return args[0] switch
            {
                "compression" => CompressionBenchmark.Run(options),
                "memory" => MemoryBenchmark.Run(options),
                "streaming" => StreamingBenchmark.Run(options),
                MemoryBenchmark.ChildCommand => MemoryBenchmark.RunChild(options),
                _ => throw new UsageException($"Unknown command '{args[0]}'."),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine(e.Message);
            PrintUsage();
            return 2;
        }
    }

    private static void PrintUsage()
    {
        Console.Error.WriteLine("""
            Usage: dotnet run -c Release --project tests/ContainerTasks.Benchmarks -- <command> [options]

              compression [--input DIR] [--size-mb 200] [--reps 5] [--warmup 1] [--cpu N] [--work DIR] [--out-dir DIR]
                  Layer writer at each level, DeflateStream, SharpZipLib 1/6/9, gzip -1/-6, pigz -1/-6 and
                  SHA-256 alone over the same tar. Without --input, a publish-like folder of about --size-mb MB
                  is made under the work folder from the .NET installation's assemblies and native libraries.
                  Outputs go to --out-dir (default /dev/shm/containertasks-bench, in memory). --cpu N pins to core N.

              memory [--size-mib 1024] [--files 16] [--limit-mib 64] [--level optimal] [--work DIR]
                  Writes a layer of --size-mib MiB from generated files in a child process and compares its
                  peak RSS (VmHWM) with its baseline (VmRSS after start-up and listing). Exit code 1 on FAIL.

              streaming --registry HOST:PORT [--size-mb 200] [--reps 3] [--rate-mbps N] [--work DIR]
                  A cold layer of a publish-like folder to a plain-HTTP registry: compressed, then uploaded, against
                  uploaded while it is compressed. A new store and repository for each run. --rate-mbps N sends
                  the uploads through a loopback relay limited to N Mbit/s (a network slower than loopback).

              The work folder defaults to $TMPDIR/containertasks-bench (usually /tmp/containertasks-bench).
            """);
    }
}

/// <summary>A bad command line.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary><c>--name value</c> pairs.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static Options Parse(ReadOnlySpan<string> args)
    {
        var options = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new UsageException($"Unexpected argument '{arg}'.");
            }
            string name = arg[2..];
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                options._values[name[..eq]] = name[(eq + 1)..];
            }
            else if (i + 1 < args.Length)
            {
                options._values[name] = args[++i];
            }
            else
            {
                throw new UsageException($"Option '{arg}' needs a value.");
            }
        }
        return options;
    }

    public string? String(string name) => _values.GetValueOrDefault(name);

    public string String(string name, string fallback) => _values.GetValueOrDefault(name) ?? fallback;

    public int Int(string name, int fallback)
    {
        if (!_values.TryGetValue(name, out string? text))
        {
            return fallback;
        }
        return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value) && value >= 0
            ? value
            : throw new UsageException($"--{name} must be a non-negative integer, not '{text}'.");
    }

    public static string DefaultWorkDirectory() => Path.Combine(Path.GetTempPath(), "containertasks-bench");
}
