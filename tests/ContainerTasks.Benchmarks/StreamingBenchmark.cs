using System.Diagnostics;
using System.Globalization;
using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Benchmarks;

/// <summary>
/// A cold layer to a registry, two ways: written to the store and then uploaded (what a push did before issue #11),
/// and uploaded while it is compressed (<see cref="StreamingBlobUploads"/>), after which the push finds it there.
/// Each repetition uses a new store and a new repository, so every layer is compressed and uploaded.
/// </summary>
internal static class StreamingBenchmark
{
    public static int Run(Options options)
    {
        string upstream = options.String("registry") ?? throw new UsageException("streaming needs --registry HOST:PORT (a plain-HTTP registry).");
        int rate = options.Int("rate-mbps", 0);
        // Loopback uploads are faster than any network: --rate-mbps puts a link of that speed in between.
        using var relay = rate > 0 ? new ThrottledRelay(upstream, rate * 1e6 / 8) : null;
        string registry = relay?.Address ?? upstream;
        string work = options.String("work", Options.DefaultWorkDirectory());
        long bytes = options.Int("size-mb", 200) * 1_000_000L;
        int repetitions = options.Int("reps", 3);
        string input = SampleData.PublishLikeFolder(work, bytes);
        var environment = new Dictionary<string, string> { ["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = registry, ["HOME"] = work };
        using var session = new RegistrySession(environment, null, registry);
        var times = new Dictionary<bool, List<double>> { [false] = new(), [true] = new() };
        long blobSize = 0;
        for (int rep = 0; rep < repetitions + 1; rep++)
        {
            foreach (bool streamed in new[] { false, true })
            {
                (double seconds, long size) = Publish(session, registry, work, input, streamed).GetAwaiter().GetResult();
                blobSize = size;
                if (rep > 0)
                {
                    // The first round warms up the code, the page cache and the registry's connections.
                    times[streamed].Add(seconds);
                }
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {input} ({bytes / 1e6:F0} MB of files, blob {blobSize / 1e6:F1} MB), {(rate > 0 ? $"{rate} Mbit/s link" : "loopback")}, {repetitions} runs | median s | min s |"));
        Console.WriteLine("| --- | --- | --- |");
        foreach (var (streamed, seconds) in times)
        {
            string what = streamed ? "uploaded while compressed, then the push's HEAD" : "compressed to the store, then uploaded";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {Measurement.Median(seconds.ToArray()):F2} | {seconds.Min():F2} |"));
        }
        return 0;
    }

    // One cold layer to a new repository; the time until the registry holds it, and the blob's size.
    private static async Task<(double Seconds, long Size)> Publish(RegistrySession session, string registry, string work, string input, bool streamed)
    {
        string root = Path.Combine(work, "stream-store-" + Guid.NewGuid().ToString("N"));
        string repository = "bench/streaming-" + Guid.NewGuid().ToString("N")[..12];
        RegistryClient client = session.Client(registry, repository, RegistryRole.Push);
        var store = new ContentStore(root);
        try
        {
            var clock = Stopwatch.StartNew();
            var target = streamed ? new StreamingBlobUploads(client, repository) : null;
            BuiltLayer layer = await new LayerWriter().WriteAsync(DirectoryEntries.FromDirectory(input, "/app"), store, default, target).ConfigureAwait(false);
            // What the push does for each blob: HEAD, and an upload from the store when it is missing.
            if (!await client.BlobExistsAsync(repository, layer.Descriptor.Digest, forPush: true).ConfigureAwait(false))
            {
                await client.UploadBlobAsync(repository, layer.Descriptor, _ => Task.FromResult(store.OpenRead(layer.Descriptor.Digest))).ConfigureAwait(false);
            }
            clock.Stop();
            if (streamed && target!.BlobsSent != 1)
            {
                throw new InvalidOperationException("The layer was not uploaded while it was compressed.");
            }
            return (clock.Elapsed.TotalSeconds, layer.Descriptor.Size);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

