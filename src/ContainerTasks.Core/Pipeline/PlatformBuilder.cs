using ContainerTasks.Building;
using ContainerTasks.DotNet;
using ContainerTasks.Layers;
using ContainerTasks.Sources;

namespace ContainerTasks.Pipeline;

/// <summary>
/// Builds each platform's image: resolve the base, plan and build the layers, assemble config and manifest. Bases are
/// resolved while layers are built (as Jib pulls the base while it builds the app layers), and platforms are built
/// at once (bounded by the core count) once the first platform's layers are built; results and log lines stay in
/// platform order.
/// </summary>
internal static class PlatformBuilder
{
    /// <param name="run">The build.</param>
    /// <param name="source">The base image's source.</param>
    /// <param name="known">Images whose layers may be taken by content, when the destination can take blobs from elsewhere.</param>
    /// <param name="uploads">Where written layers are sent while they are compressed.</param>
    /// <param name="cancellationToken">Stops the build.</param>
    public static async Task<IReadOnlyList<PlatformBuild>> BuildAllAsync(BuildRun run, IImageSource source, KnownLayers? known, IBlobStreamTarget? uploads,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<PlatformInput> platforms = run.Request.Platforms;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var bases = new List<Task<SourceImage>>();
        Task previous = Task.CompletedTask;
        foreach (PlatformInput platform in platforms)
        {
            // One after another: the first resolves the tag (one HEAD), the others read the cached index.
            Task<SourceImage> next = ResolveAfterAsync(previous, source, platform, stop.Token);
            bases.Add(next);
            previous = next;
        }
        var logs = new OrderedBuildLogs(run.Log, platforms.Count);
        var built = new PlatformBuild?[platforms.Count];
        var failures = new Exception?[platforms.Count];
        // The other platforms build their layers once the first one's are in the layer cache: a layer every platform
        // shares (a framework-dependent app) is built once, and the others find it there.
        var firstLayers = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Parallel.ForEachAsync(Enumerable.Range(0, platforms.Count), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, async (i, _) =>
        {
            try
            {
                var order = new LayerOrder(i == 0 ? Task.CompletedTask : firstLayers.Task, i == 0 ? () => firstLayers.TrySetResult() : null);
                var sourcing = new LayerSteps.Sourcing(known?.ForPlatform(platforms[i].Platform, bases[i], logs[i], stop.Token), uploads);
                built[i] = await BuildAsync(run, logs[i], platforms[i], bases[i], order, sourcing, stop.Token).ConfigureAwait(false);
                run.Timer.Mark("config");
            }
            catch (Exception e)
            {
                failures[i] = e;
                stop.Cancel();
            }
            finally
            {
                firstLayers.TrySetResult();
                logs.Finished(i);
            }
        }).ConfigureAwait(false);
        await Task.WhenAll(bases.Select(b => b.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        ThrowFirstFailure(failures, cancellationToken);
        return built.Select(b => b!).ToList();
    }

    // As if built one after another: the first platform's failure, not one caused by stopping the others.
    private static void ThrowFirstFailure(Exception?[] failures, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Exception? first = failures.FirstOrDefault(e => e is not null and not OperationCanceledException) ?? failures.FirstOrDefault(e => e is not null);
        if (first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
    }

    private static async Task<SourceImage> ResolveAfterAsync(Task previous, IImageSource source, PlatformInput platform, CancellationToken cancellationToken)
    {
        await previous.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        return await source.GetImageAsync(platform.Platform, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>When a platform may start its layers, and whom to tell when they are built.</summary>
    private sealed record LayerOrder(Task After, Action? Built);

    private static async Task<PlatformBuild> BuildAsync(BuildRun run, IContainerBuildLog log, PlatformInput platform, Task<SourceImage> baseTask, LayerOrder order,
        LayerSteps.Sourcing sourcing, CancellationToken cancellationToken)
    {
        List<(PlannedLayer Layer, string CreatedBy)> plan;
        PlatformSettings settings;
        try
        {
            // Windows images get Windows layers and defaults: known from the runtime identifier, else from the base.
            bool windows = platform.Platform?.IsWindows ?? (await baseTask.ConfigureAwait(false)).Platform.IsWindows;
            settings = PlatformSettings.For(run.Request, windows);
            plan = Plan(run, log, platform, settings);
        }
        catch
        {
            // The base's failure is the one to report: it happened first in the order the steps are written.
            await baseTask.ConfigureAwait(false);
            throw;
        }
        run.Timer.Mark("plan");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var layers = BuildLayersAsync(plan.Select(p => p.Layer).ToList(), run.Store, LayerOptionsFor(run, platform, settings), order, sourcing, stop.Token);
        SourceImage baseImage;
        IReadOnlyList<AddedImage> added;
        try
        {
            (baseImage, added) = await ResolveBaseAsync(run, log, platform, baseTask, stop.Token).ConfigureAwait(false);
        }
        catch
        {
            // No layers for a build that cannot finish.
            stop.Cancel();
            await layers.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }
        var (built, sources) = await layers.ConfigureAwait(false);
        LayerSteps.Report(plan.Select(p => p.Layer).ToList(), built, sources, log);
        run.Timer.Mark("layers");

        var builder = new ImageBuilder(baseImage, run.Store);
        foreach (AddedImage layerImage in added)
        {
            builder.AddImage(layerImage);
        }
        for (int i = 0; i < plan.Count; i++)
        {
            builder.AddLayer(built[i], plan[i].CreatedBy);
        }
        foreach (var (key, value) in run.Request.Annotations)
        {
            builder.WithAnnotation(key, value);
        }
        BuiltImage image = builder.WithConfig(SdkConfig.For(run, log, baseImage, settings)).WithFormat(run.Request.Format).Build();
        return new PlatformBuild(platform, image, baseImage, plan.Select(p => p.Layer).ToList(), sources) { Added = added };
    }

    // The base, then the layer images of its platform (ContainerLayerImage): they go on top of it.
    private static async Task<(SourceImage Base, IReadOnlyList<AddedImage> Added)> ResolveBaseAsync(BuildRun run, IContainerBuildLog log, PlatformInput platform,
        Task<SourceImage> baseTask, CancellationToken cancellationToken)
    {
        SourceImage baseImage = await baseTask.ConfigureAwait(false);
        Model.Platform basePlatform = baseImage.Platform;
        Model.Platform target = platform.Platform ?? basePlatform;
        run.Timer.Mark($"base {target}");
        // A Windows base is named with its os.version: which of the Windows builds an index lists was taken.
        log.Progress($"Base image {baseImage.Name} ({(basePlatform.IsWindows ? basePlatform : target)}) is {baseImage.Identity}{(baseImage.FromEngine is null ? "" : " (image id)")}.");
        IReadOnlyList<AddedImage> added = await run.LayerImages.ResolveAsync(target, baseImage, log, cancellationToken).ConfigureAwait(false);
        return (baseImage, added);
    }

    private static async Task<(BuiltLayer[] Built, string[] Sources)> BuildLayersAsync(IReadOnlyList<PlannedLayer> plan, Content.ContentStore store, LayerOptions options,
        LayerOrder order, LayerSteps.Sourcing sourcing, CancellationToken cancellationToken)
    {
        await order.After.WaitAsync(cancellationToken).ConfigureAwait(false);
        var layers = await LayerSteps.BuildAsync(plan, store, options, sourcing, cancellationToken).ConfigureAwait(false);
        order.Built?.Invoke();
        return layers;
    }

    // The layers given, or the publish folder cut into layers by the planner, each with the history line that explains it.
    private static List<(PlannedLayer Layer, string CreatedBy)> Plan(BuildRun run, IContainerBuildLog log, PlatformInput platform, PlatformSettings settings)
    {
        string workingDirectory = settings.LayerDirectory;
        string shown = settings.Windows ? settings.WorkingDirectory : workingDirectory;
        if (platform.Layers is { } given)
        {
            return given.Select(l => (new PlannedLayer(LayerKind.Extra, l.Name, l.Entries), l.CreatedBy)).ToList();
        }
        ContainerBuildRequest request = run.Request;
        List<PlannedLayer> plan = LayerPlanner.Plan(Path.GetFullPath(platform.PublishDirectory), workingDirectory, platform.PublishedFiles, platform.RuntimePackageIds,
            platform.AppHost, request.Layering, request.ExtraLayers, request.TrimForeignRuntimeAssets, platform.RuntimeIdentifier);
        CredentialFiles.Check(plan, workingDirectory, request.CredentialFileCheck, log.Warning);
        return plan.Select(p => (p, $"ContainerTasks: COPY {p.Name} {(p.Kind == LayerKind.Extra ? "" : shown)}".TrimEnd())).ToList();
    }

    // As the SDK does: with a numeric ContainerUser the app's files belong to that user (group 0), so an app that writes
    // into its own folder keeps working; otherwise (a name, or the base's APP_UID) they belong to root. Given layers belong to root.
    // Windows layers have no owner (Windows reads the security descriptor each entry carries).
    private static LayerOptions LayerOptionsFor(BuildRun run, PlatformInput platform, PlatformSettings settings)
    {
        var options = new LayerOptions { ModificationTime = run.Time, Compression = run.Request.Compression, Windows = settings.Windows };
        bool numeric = int.TryParse(settings.User, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int uid);
        return platform.Layers is not null || settings.Windows ? options : options with { Uid = numeric ? uid : 0, OwnedPath = LayerPath.Normalize(settings.LayerDirectory) };
    }
}
