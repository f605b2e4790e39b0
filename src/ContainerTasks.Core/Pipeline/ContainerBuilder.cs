using ContainerTasks.Building;
using ContainerTasks.Sources;

namespace ContainerTasks.Pipeline;

/// <summary>
/// Runs a container build from a <see cref="ContainerBuildRequest"/>, as a plan of steps: open the base, build each
/// platform's image, run the destination's steps that change the image, write it to the destination (a registry,
/// an archive, an OCI layout or a local engine, chosen once from the request), run the steps after, attach the
/// documents about it (SBOMs), keep the cache within bounds.
/// </summary>
public static class ContainerBuilder
{
    /// <summary>Builds and delivers the image (or, for several platforms, the images and their index).</summary>
    public static async Task<ContainerBuildResult> BuildAsync(ContainerBuildRequest request, IContainerBuildLog log, CancellationToken cancellationToken = default)
    {
        using BuildRun run = BuildRun.Start(request, log);
        using Supply.Signing.SigningKey? signingKey = SupplyChain.LoadSigningKey(request);
        IImageSource source = await BaseImageOpener.OpenAsync(run, cancellationToken).ConfigureAwait(false);
        run.Timer.Mark("start");
        ImageDestination destination = await DestinationChoice.ChooseAsync(run, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<PlatformBuild> built = await PlatformBuilder.BuildAllAsync(run, source, KnownLayersFor(run, destination), destination.LayerUploads, cancellationToken)
            .ConfigureAwait(false);
        log.Progress(LayerSteps.Summary(built.SelectMany(b => b.Sources)));
        ImageSet images = ImageSet.Of(built.Select(b => b.Image).ToList());

        foreach (IImageStep step in destination.StepsBefore)
        {
            images = await step.RunAsync(images, cancellationToken).ConfigureAwait(false);
        }
        IReadOnlyList<ImageArtifact> documents = SupplyChain.Documents(run, built, images, destination);
        if (destination.HoldsArtifacts)
        {
            images = images.WithAttached(SupplyChain.Manifests(documents));
        }
        destination.Expect(documents, cancellationToken);
        Delivery delivery = await destination.WriteAsync(images, cancellationToken).ConfigureAwait(false);
        foreach (IDeliveredImageStep step in destination.StepsAfter)
        {
            await step.RunAsync(delivery, cancellationToken).ConfigureAwait(false);
        }
        if (delivery.Images.Index is { } index)
        {
            // After the steps: keeping earlier blobs changes the platform manifests and the index.
            log.Progress($"Image index {index.Digest} for {string.Join(", ", delivery.Images.Images.Select(i => i.Platform))}.");
        }
        run.Timer.Mark(destination.Phase);
        IReadOnlyList<ArtifactResult> artifacts = await SupplyChain.AttachAsync(run, built, delivery, destination, documents, signingKey, cancellationToken).ConfigureAwait(false);
        KeepCacheInBounds(run);
        return BuildResults.From(run, built, delivery, artifacts);
    }

    // Where layers may be found by content: the destination's images, then the cache images; only for a destination
    // that can take a blob from elsewhere (a registry), so no other destination downloads what it could compress.
    private static KnownLayers? KnownLayersFor(BuildRun run, ImageDestination destination)
    {
        if (destination.CurrentImages is not { } current)
        {
            return null;
        }
        // A cache image on the registry pushed to is read with the push credentials (CI jobs often have no others for it).
        var cacheFrom = run.CacheFrom.Select(r => new CandidateImage(r, Model.LayerSources.CacheFrom, run.Registries.Client(r.Registry, r.Repository,
            r.Registry == run.PushRegistry ? Registry.Auth.RegistryRole.Push : Registry.Auth.RegistryRole.Pull))).ToList();
        return new KnownLayers(async ct => [.. await current(ct).ConfigureAwait(false), .. cacheFrom], run.Store, run.Request.CacheVerify);
    }

    // Least recently used blobs go once the store is over its limit; blobs used within the hour stay.
    private static void KeepCacheInBounds(BuildRun run)
    {
        var (deleted, freed) = run.Store.Prune(run.Request.CacheMaxBytes, TimeSpan.FromHours(1));
        run.Timer.Mark("cache upkeep");
        run.Log.Detail($"Time: {run.Timer}.");
        if (deleted > 0)
        {
            run.Log.Detail($"Content cache {run.Store.Root}: removed {deleted} least recently used blobs ({Sizes.Format(freed)}) to stay under {Sizes.Format(run.Request.CacheMaxBytes)}.");
        }
    }
}
