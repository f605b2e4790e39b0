using ContainerTasks.Building;
using ContainerTasks.Content;
using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Sources;

namespace ContainerTasks.Pipeline;

/// <summary>
/// Before a push to a tag that points at another image: a layer of this build with the same content (diff_id) as
/// one of that image's layers but another blob (compressed by another zlib, or at another level) keeps the earlier
/// blob, so the image digest stays and nothing is uploaded again. The earlier manifest and config are read through
/// the content store (cached by digest).
/// </summary>
internal sealed class LayerReuseStep(RegistryClient client, string repository, Func<CancellationToken, Task<IReadOnlyDictionary<string, Descriptor?>>> currentTags,
    ContentStore store, IContainerBuildLog log) : IImageStep
{
    /// <summary>Layers whose earlier blob was kept, counted over the last run.</summary>
    public int LayersReused { get; private set; }

    public async Task<ImageSet> RunAsync(ImageSet images, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, Descriptor?> current = await currentTags(cancellationToken).ConfigureAwait(false);
        LayersReused = 0;
        // Only when no tag has this build's image yet (else it would move that tag), and only from an image this
        // machine pushed: a blob someone else put under a diff_id is never taken on trust (see Candidates).
        if (current.Values.Any(d => d is not null && d.Digest == images.Root.Digest)
            || current.Values.FirstOrDefault(d => d is not null && !d.Digest.IsEmpty) is not { } previous || !store.WasPushedHere(previous.Digest))
        {
            return images;
        }
        var source = new RegistryImageSource(ImageReference.Parse($"{client.Registry}/{repository}@{previous.Digest}"), client, store);
        var result = new List<BuiltImage>();
        foreach (BuiltImage image in images.Images)
        {
            result.Add(await ReuseAsync(image, source, previous, cancellationToken).ConfigureAwait(false));
        }
        if (LayersReused == 0)
        {
            return images;
        }
        log.Progress($"{LayersReused} layer(s) kept the blob the registry already had for the same content.");
        return ImageSet.Of(result);
    }

    // Anything unusable about the previous image (another platform, an unreadable manifest) just means no reuse.
    private async Task<BuiltImage> ReuseAsync(BuiltImage image, RegistryImageSource source, Descriptor previous, CancellationToken cancellationToken)
    {
        SourceImage earlier;
        try
        {
            earlier = await source.GetImageAsync(image.Platform, cancellationToken).ConfigureAwait(false);
        }
        catch (ContainerTasksException e)
        {
            log.Progress($"The image {client.Registry}/{repository}@{previous.Digest} has nothing to compare with {image.Platform} ({e.Message}); no layers reused for it.");
            return image;
        }
        var candidates = Candidates(image, earlier, store);
        // Only blobs the repository still has (checked at once, as many as the registry takes).
        var present = new bool[candidates.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, candidates.Count),
            new ParallelOptions { MaxDegreeOfParallelism = client.ParallelBlobRequests, CancellationToken = cancellationToken },
            async (i, ct) => present[i] = await client.BlobExistsAsync(repository, candidates[i].Earlier.Digest, forPush: true, ct).ConfigureAwait(false)).ConfigureAwait(false);
        var replacements = new Dictionary<Digest, Descriptor>();
        for (int i = 0; i < candidates.Count; i++)
        {
            if (present[i])
            {
                replacements[candidates[i].Ours] = candidates[i].Earlier;
                log.Progress($"Layer {candidates[i].DiffId} (same content as in {client.Registry}/{repository}@{previous.Digest}): keeping its blob {candidates[i].Earlier.Digest} instead of {candidates[i].Ours}.");
            }
        }
        LayersReused += replacements.Count;
        return replacements.Count > 0 ? image.WithReusedLayers(replacements) : image;
    }

    // This build's gzip layers whose content the earlier image has under another gzip blob. Of the earlier image, only
    // the layers a build on this machine wrote or checked (the pairs RememberPushedStep and ContainerCacheVerify record):
    // the image also carries its base's, its layer images' and its cache images' claims, which nobody here checked.
    private static List<(Digest Ours, Digest DiffId, Descriptor Earlier)> Candidates(BuiltImage image, SourceImage earlier, ContentStore store)
    {
        var earlierByDiffId = new Dictionary<Digest, Descriptor>();
        foreach (ImageLayer layer in earlier.Layers.Where(l => IsGzip(l.Descriptor) && store.WasVerified(l.Descriptor.Digest, l.DiffId)))
        {
            earlierByDiffId.TryAdd(layer.DiffId, layer.Descriptor);
        }
        return image.Layers
            // Layers this build wrote (a found layer's blob is already another image's: MountFrom names it).
            .Where(l => l.IsNew && l.MountFrom is null && IsGzip(l.Descriptor) && earlierByDiffId.TryGetValue(l.DiffId, out Descriptor? match) && match.Digest != l.Descriptor.Digest)
            .DistinctBy(l => l.Descriptor.Digest)
            .Select(l => (l.Descriptor.Digest, l.DiffId, earlierByDiffId[l.DiffId]))
            .ToList();
    }

    private static bool IsGzip(Descriptor layer) => layer.MediaType is MediaTypes.OciLayerGzip or MediaTypes.DockerLayerGzip;
}
