using ContainerTasks.Content;
using ContainerTasks.Layers;

namespace ContainerTasks.Pipeline;

/// <summary>Builds planned layers through the layer cache and reports them.</summary>
internal static class LayerSteps
{
    /// <summary>
    /// Builds the planned layers, several at once (bounded by the core count), each from the layer cache when
    /// its content was built before.
    /// </summary>
    public static async Task<(BuiltLayer[] Built, bool[] Reused)> BuildAsync(IReadOnlyList<PlannedLayer> plan, ContentStore store, LayerOptions options, CancellationToken cancellationToken)
    {
        var cache = new LayerCache(store);
        var built = new BuiltLayer[plan.Count];
        var reused = new bool[plan.Count];
        // Largest first, so the biggest layer does not start last.
        var order = Enumerable.Range(0, plan.Count).OrderByDescending(i => plan[i].Entries.Where(e => e.SourcePath is not null).Sum(e => new FileInfo(e.SourcePath!).Length)).ToList();
        await Parallel.ForEachAsync(order, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            (built[i], reused[i]) = await cache.GetOrWriteAsync(plan[i].Entries, options, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return (built, reused);
    }

    /// <summary>One line per layer (-v:n) and how many were written (-v:d).</summary>
    public static void Report(IReadOnlyList<PlannedLayer> plan, BuiltLayer[] built, bool[] reused, IContainerBuildLog log)
    {
        for (int i = 0; i < plan.Count; i++)
        {
            int files = plan[i].Entries.Count(e => e.Kind == LayerEntryKind.File);
            log.Progress($"Layer {i + 1}/{plan.Count} {plan[i].Name}: {files} file{(files == 1 ? "" : "s")}, {Sizes.Format(built[i].Descriptor.Size)}, {built[i].Descriptor.Digest}, {(reused[i] ? "unchanged (from the layer cache)" : "built")}.");
        }
        log.Detail($"Layers compressed: {reused.Count(r => !r)}.");
    }
}
