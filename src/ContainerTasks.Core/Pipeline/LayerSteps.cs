using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Model;

namespace ContainerTasks.Pipeline;

/// <summary>
/// Builds planned layers, each the cheapest way it can be had: from the layer cache (same content built here before);
/// else, when the destination can take a blob from elsewhere, found by its diff_id in another image (the tar is hashed,
/// not compressed); else written, and sent to the destination while it is compressed.
/// </summary>
internal static class LayerSteps
{
    /// <summary>Where a layer the layer cache does not have may come from.</summary>
    /// <param name="Finder">Other images' layers by diff_id; null when the destination needs the bytes here.</param>
    /// <param name="Uploads">Where a written layer is sent while it is compressed; null when it is written only.</param>
    public sealed record Sourcing(LayerFinder? Finder, IBlobStreamTarget? Uploads);

    /// <summary>
    /// Builds the planned layers, several at once (bounded by the core count); returns each layer and where it came from
    /// (one of <see cref="LayerSources"/>).
    /// </summary>
    public static async Task<(BuiltLayer[] Built, string[] Sources)> BuildAsync(IReadOnlyList<PlannedLayer> plan, ContentStore store, LayerOptions options,
        Sourcing sourcing, CancellationToken cancellationToken)
    {
        var cache = new LayerCache(store);
        var built = new BuiltLayer[plan.Count];
        var sources = new string[plan.Count];
        // Largest first, so the biggest layer does not start last.
        var order = Enumerable.Range(0, plan.Count).OrderByDescending(i => plan[i].Entries.Where(e => e.SourcePath is not null).Sum(e => new FileInfo(e.SourcePath!).Length)).ToList();
        await Parallel.ForEachAsync(order, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            (built[i], sources[i]) = await BuildOneAsync(cache, plan[i].Entries, options, sourcing, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return (built, sources);
    }

    private static async Task<(BuiltLayer Layer, string Source)> BuildOneAsync(LayerCache cache, IReadOnlyList<LayerEntry> entries, LayerOptions options, Sourcing sourcing,
        CancellationToken cancellationToken)
    {
        LayerLookup lookup = await cache.LookupAsync(entries, options, cancellationToken).ConfigureAwait(false);
        if (lookup.Cached is { } cached)
        {
            return (cached, LayerSources.Cache);
        }
        LayerFinder? finder = sourcing.Finder;
        bool searchFirst = finder is not null && await finder.HasImagesBeyondBaseAsync(cancellationToken).ConfigureAwait(false);
        if (searchFirst)
        {
            var (diffId, size) = await LayerCache.ComputeDiffIdAsync(lookup, options, cancellationToken).ConfigureAwait(false);
            if (await finder!.FindAsync(diffId, size, options.Compression, cancellationToken).ConfigureAwait(false) is { } found)
            {
                return (Found(found, diffId, size), found.Origin.Source);
            }
        }
        BuiltLayer written = await cache.WriteAsync(lookup, options, sourcing.Uploads, cancellationToken).ConfigureAwait(false);
        // With nothing but the base to look in, the layer was written first (a cold build pays no extra pass); the
        // base's blob is still taken when it has this content, as the image would be had it been looked up first.
        if (finder is not null && !searchFirst
            && await finder.FindAsync(written.DiffId, written.UncompressedSize, options.Compression, cancellationToken).ConfigureAwait(false) is { } inBase)
        {
            return (Found(inBase, written.DiffId, written.UncompressedSize), inBase.Origin.Source);
        }
        return (written, LayerSources.Built);
    }

    private static BuiltLayer Found(FoundLayer found, Model.Digest diffId, long size) => new(found.Blob, diffId, size) { Origin = found.Origin };

    /// <summary>One line per layer (-v:n) and how many were compressed (-v:d).</summary>
    public static void Report(IReadOnlyList<PlannedLayer> plan, BuiltLayer[] built, string[] sources, IContainerBuildLog log)
    {
        for (int i = 0; i < plan.Count; i++)
        {
            int files = plan[i].Entries.Count(e => e.Kind == LayerEntryKind.File);
            log.Progress($"Layer {i + 1}/{plan.Count} {plan[i].Name}: {files} file{(files == 1 ? "" : "s")}, {Sizes.Format(built[i].Descriptor.Size)}, {built[i].Descriptor.Digest}, {Describe(built[i], sources[i])}.");
        }
        log.Detail($"Layers compressed: {sources.Count(s => s == LayerSources.Built)}.");
    }

    private static string Describe(BuiltLayer layer, string source) => source switch
    {
        LayerSources.Cache => "unchanged (from the layer cache)",
        LayerSources.Built => "built",
        _ => $"same content as in {layer.Origin?.Image} ({source}), not compressed",
    };

    /// <summary>The build's one line on where its layers came from: how many were found where, and how many were built.</summary>
    public static string Summary(IEnumerable<string> sources)
    {
        var counts = sources.GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        int Count(string source) => counts.GetValueOrDefault(source);
        return $"Layers: {Count(LayerSources.Built)} built, {Count(LayerSources.Cache)} from the local layer cache, "
            + $"{Count(LayerSources.Destination)} found in the destination's image, {Count(LayerSources.CacheFrom)} in cache images, {Count(LayerSources.Base)} in the base image.";
    }
}
