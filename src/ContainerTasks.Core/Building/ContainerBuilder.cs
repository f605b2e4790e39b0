using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Outputs;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Sources;

namespace ContainerTasks.Building;

/// <summary>
/// Runs a container build from a <see cref="ContainerBuildRequest"/>: resolve the base, write the app layer,
/// assemble the config and manifest, then push, write an archive, or load into a local engine.
/// </summary>
public static class ContainerBuilder
{
    /// <summary>Builds and delivers the image (or, for several platforms, the images and their index).</summary>
    public static async Task<ContainerBuildResult> BuildAsync(ContainerBuildRequest request, IContainerBuildLog log, CancellationToken cancellationToken = default)
    {
        var timer = new PhaseTimer();
        IReadOnlyList<PlatformInput> platforms = request.Platforms.Count > 0
            ? request.Platforms
            : throw new ArgumentException("A build needs at least one platform.", nameof(request));
        foreach (PlatformInput platform in platforms)
        {
            string directory = Path.GetFullPath(platform.PublishDirectory);
            if (!Directory.Exists(directory) || !Directory.EnumerateFileSystemEntries(directory).Any())
            {
                throw new ContainerTasksException(ErrorCodes.PublishDirectoryMissing,
                    $"The publish folder '{directory}' {(Directory.Exists(directory) ? "is empty" : "does not exist")}. Run publish first (dotnet publish), or check PublishDir.");
            }
        }
        string? archivePath = platforms.Select(p => ResolveArchivePath(request, Path.GetFullPath(p.PublishDirectory))).LastOrDefault();

        var store = new ContentStore(request.CacheDirectory);
        ImageReference? baseReference = IsTransport(request.BaseImage) ? null : ImageReference.Parse(request.BaseImage);
        using var registries = new RegistrySession(request.EnvironmentSnapshot, baseReference?.Registry, archivePath is null ? request.OutputRegistry : null, log.Detail,
            Path.Combine(store.Root, "registries"), log.Notice);
        string sourceSpec = baseReference is null ? request.BaseImage : "docker://" + baseReference;
        IImageSource source = await ImageSources.OpenAsync(sourceSpec, store, registries, cancellationToken).ConfigureAwait(false);
        timer.Mark("start");
        DateTimeOffset time = request.SourceDateEpoch ?? Timestamps.Default;

        var images = new List<BuiltImage>();
        var bases = new List<SourceImage>();
        foreach (PlatformInput platform in platforms)
        {
            var (image, baseImage) = await BuildPlatformAsync(request, platform, source, baseReference, store, time, log, timer, cancellationToken).ConfigureAwait(false);
            images.Add(image);
            bases.Add(baseImage);
            timer.Mark("config");
        }
        ImageSet set = images.Count == 1 ? ImageSet.Single(images[0]) : ImageSet.Multi(images, ImageIndexBuilder.Build(images));

        string? registry = archivePath is null ? request.OutputRegistry : null;
        var names = request.Tags.Select(tag => registry is null ? $"{request.Repository}:{tag}" : $"{registry}/{request.Repository}:{tag}").ToList();
        string destination;
        if (archivePath is not null)
        {
            await WriteArchiveAsync(archivePath, set, request, time, cancellationToken).ConfigureAwait(false);
            destination = $"written to {archivePath}";
        }
        else if (registry is not null)
        {
            RegistryClient client = registries.Client(registry, request.Repository, RegistryRole.Push);
            var pusher = new ImagePusher(client, log.Detail) { ReuseThrough = store };
            PushResult pushed = await pusher.PushAsync(set, request.Repository, request.Tags, bases[0].Origin, cancellationToken).ConfigureAwait(false);
            if (pushed.Images is { } final && final != set)
            {
                // Same content, earlier blobs: the image is the one the registry holds (see ImagePusher.ReuseThrough).
                set = final;
                images = [.. final.Images];
                log.Milestone($"{pushed.LayersReused} layer(s) kept the blob the registry already had for the same content.");
            }
            if (set.Index is not null && request.PublishPlatformTags)
            {
                // Only on request: "<tag>-<rid>" tags for each platform image, as the SDK's built-in always adds.
                for (int i = 0; i < images.Count; i++)
                {
                    await new ImagePusher(client, log.Detail).PushAsync(images[i], request.Repository, request.Tags.Select(t => $"{t}-{platforms[i].RuntimeIdentifier}").ToList(), bases[i].Origin, cancellationToken).ConfigureAwait(false);
                }
            }
            destination = pushed.UpToDate
                ? $"already in {registry} (nothing pushed)"
                : $"pushed to {registry}: {pushed.BlobsUploaded} blobs ({pushed.BytesUploaded / 1024.0:0.#} KiB) uploaded, {pushed.BlobsMounted} mounted, {pushed.BlobsAlreadyPresent} already there";
        }
        else if (LocalDaemon.Find(request.LocalRegistry, request.EnvironmentSnapshot) is { } daemon)
        {
            string temp = Path.Combine(Path.GetTempPath(), $"containertasks-{Guid.NewGuid():N}.tar");
            try
            {
                await WriteArchiveAsync(temp, set, request, time, cancellationToken).ConfigureAwait(false);
                daemon.Load(temp, cancellationToken);
            }
            finally
            {
                File.Delete(temp);
            }
            destination = $"loaded into {daemon.Command}";
        }
        else
        {
            if (!string.IsNullOrEmpty(request.LocalRegistry))
            {
                throw new ContainerTasksException(ErrorCodes.DaemonLoadFailed,
                    $"LocalRegistry is {request.LocalRegistry}, but '{request.LocalRegistry.ToLowerInvariant()} info' does not answer: is the engine running? Or set ContainerRegistry or ContainerArchiveOutputPath instead.");
            }
            // A plain tar: docker load, podman load and skopeo's docker-archive: all read it.
            archivePath = Path.Combine(Path.GetFullPath(request.FallbackArchiveDirectory), request.Repository.Replace('/', '-') + ".tar");
            await WriteArchiveAsync(archivePath, set, request, time, cancellationToken).ConfigureAwait(false);
            log.Warning(ErrorCodes.NoDestination,
                $"No ContainerRegistry, ContainerArchiveOutputPath or running Docker/Podman: the image was written to {archivePath}. Load it with 'docker load -i {archivePath}' or 'podman load -i …', push it with 'skopeo copy docker-archive:{archivePath} docker://REGISTRY/{request.Repository}:{request.Tags[0]}', or set ContainerRegistry to push directly.");
            destination = $"written to {archivePath}";
        }
        if (set.Index is not null)
        {
            // After the push: a push may keep earlier blobs, which changes the platform manifests and the index.
            log.Milestone($"Image index {set.Index.Digest} for {string.Join(", ", set.Images.Select(i => i.Platform))}.");
        }
        log.Milestone($"{string.Join(", ", names)}@{set.Root.Digest} {destination}.");
        timer.Mark(archivePath is null && registry is not null ? "push" : "output");
        var (deleted, freed) = store.Prune(request.CacheMaxBytes, TimeSpan.FromHours(1));
        timer.Mark("cache upkeep");
        log.Detail($"Time: {timer}.");
        if (deleted > 0)
        {
            log.Detail($"Content cache {store.Root}: removed {deleted} least recently used blobs ({freed / (1024 * 1024)} MiB) to stay under {request.CacheMaxBytes / (1024 * 1024)} MiB.");
        }

        return new ContainerBuildResult
        {
            ManifestDigest = set.Root.Digest,
            Manifest = set.Index?.Bytes ?? images[0].ManifestBytes,
            Config = images[0].ConfigBytes,
            MediaType = set.Root.MediaType,
            Registry = registry,
            Repository = request.Repository,
            Tags = request.Tags,
            Names = names,
            ArchivePath = archivePath,
            Destination = destination,
            BaseDigest = bases[0].ManifestDigest,
            Platforms = images.Select((image, i) => new PlatformResult(platforms[i].RuntimeIdentifier, image.Platform.ToString(), image.ManifestDigest, image.ManifestBytes, image.ConfigBytes)).ToList(),
            Index = set.Index?.Bytes,
        };
    }

    private static async Task<(BuiltImage Image, SourceImage Base)> BuildPlatformAsync(ContainerBuildRequest request, PlatformInput platform, IImageSource source,
        ImageReference? baseReference, ContentStore store, DateTimeOffset time, IContainerBuildLog log, PhaseTimer timer, CancellationToken cancellationToken)
    {
        SourceImage baseImage = await source.GetImageAsync(platform.Platform, cancellationToken).ConfigureAwait(false);
        timer.Mark($"base {platform.Platform}");
        log.Milestone($"Base image {baseImage.Name} ({platform.Platform}) is {baseImage.ManifestDigest}.");
        var baseConfig = ImageConfig.Parse(baseImage.ConfigBytes);

        string workingDirectory = "/" + LayerPath.Normalize(request.WorkingDirectory) + "/";
        List<PlannedLayer> plan = LayerPlanner.Plan(Path.GetFullPath(platform.PublishDirectory), workingDirectory, platform.PublishedFiles, platform.RuntimePackageIds,
            platform.AppHost, request.Layering, request.ExtraLayers, request.TrimForeignRuntimeAssets, platform.RuntimeIdentifier);
        timer.Mark("plan");
        var built = await BuildLayersAsync(plan, store, new LayerOptions { ModificationTime = time }, log, cancellationToken).ConfigureAwait(false);
        timer.Mark("layers");

        var resolution = EntrypointRules.Resolve(request.Entrypoint, baseConfig.Entrypoint);
        foreach (var (code, message) in resolution.Warnings)
        {
            log.Warning(code, message);
        }
        var environment = new List<KeyValuePair<string, string>>();
        foreach (var variable in request.Environment)
        {
            if (!IsValidEnvironmentName(variable.Key))
            {
                log.Warning(ErrorCodes.InvalidEnvironmentVariableName,
                    $"'{variable.Key}' is not a valid environment variable name (letters, digits and '_', not starting with a digit); it was left out of the image.");
                continue;
            }
            environment.Add(variable);
        }
        var finalEnvironment = MergeEnvironment(baseConfig.Env, environment);
        IReadOnlyList<string> ports = request.Ports.Count > 0 ? request.Ports : PortInference.FromEnvironment(finalEnvironment);
        string? user = request.User;
        if (string.IsNullOrEmpty(user) && finalEnvironment.FirstOrDefault(p => p.Key == "APP_UID").Value is { Length: > 0 } appUid)
        {
            user = appUid;
        }
        var labels = request.Labels.ToList();
        if (request.BaseImageLabels && !baseImage.IsScratch)
        {
            labels.Add(new("org.opencontainers.image.base.name", baseReference?.ToString() ?? request.BaseImage));
            labels.Add(new("org.opencontainers.image.base.digest", baseImage.ManifestDigest.ToString()));
        }

        var builder = new ImageBuilder(baseImage, store);
        for (int i = 0; i < plan.Count; i++)
        {
            builder.AddLayer(built[i], $"ContainerTasks: COPY {plan[i].Name} {(plan[i].Kind == LayerKind.Extra ? "" : workingDirectory)}".TrimEnd());
        }
        BuiltImage image = builder
            .WithConfig(new ConfigChanges
            {
                Environment = environment,
                ExposedPorts = ports,
                Labels = labels,
                Volumes = request.Volumes,
                Entrypoint = resolution.Entrypoint,
                Cmd = resolution.Cmd,
                User = string.IsNullOrEmpty(user) ? null : user,
                WorkingDirectory = workingDirectory,
                Created = time,
            })
            .WithFormat(request.Format)
            .Build();
        return (image, baseImage);
    }

    /// <summary>
    /// Builds the planned layers, several at once (bounded by the core count), each from the layer cache when
    /// its content was built before. Logs one line per layer and how many were written.
    /// </summary>
    private static async Task<BuiltLayer[]> BuildLayersAsync(List<PlannedLayer> plan, ContentStore store, LayerOptions options, IContainerBuildLog log, CancellationToken cancellationToken)
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
        for (int i = 0; i < plan.Count; i++)
        {
            int files = plan[i].Entries.Count(e => e.Kind == LayerEntryKind.File);
            log.Detail($"Layer {i + 1} ({plan[i].Name}): {files} files, {built[i].Descriptor.Size / 1024.0:0.#} KiB, {built[i].Descriptor.Digest}{(reused[i] ? ", unchanged (from cache)" : "")}.");
        }
        int written = reused.Count(r => !r);
        log.Milestone($"Layers: {plan.Count} ({string.Join(", ", plan.Select((p, i) => $"{p.Name} {built[i].Descriptor.Size / 1024.0:0.#} KiB"))}); {written} built, {plan.Count - written} unchanged.");
        log.Detail($"Layers compressed: {written}.");
        return built;
    }

    /// <summary>Times of the build's phases, for the detailed log.</summary>
    private sealed class PhaseTimer
    {
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private readonly List<string> _phases = [];
        private long _last;

        public void Mark(string phase)
        {
            long now = _clock.ElapsedMilliseconds;
            _phases.Add($"{phase} {now - _last} ms");
            _last = now;
        }

        public override string ToString() => $"{string.Join(", ", _phases)} (total {_clock.ElapsedMilliseconds} ms)";
    }

    /// <summary>
    /// The archive file <c>ContainerArchiveOutputPath</c> names: the path itself, or for a folder (an existing one, a
    /// path ending in a separator, or a name without an extension) <c>&lt;folder&gt;/&lt;repository&gt;.tar.gz</c>.
    /// </summary>
    public static string ArchiveFilePath(string archiveOutputPath, string repository, string baseDirectory)
    {
        string trimmed = archiveOutputPath.Trim();
        string path = Path.GetFullPath(trimmed, baseDirectory);
        bool isDirectory = Directory.Exists(path) || trimmed.EndsWith('/') || trimmed.EndsWith('\\')
            || !Path.GetFileName(path).Contains('.', StringComparison.Ordinal);
        return isDirectory ? Path.Combine(path, ArchiveFileName(repository)) : path;
    }

    /// <summary><c>team/app</c> → <c>team-app.tar.gz</c>.</summary>
    public static string ArchiveFileName(string repository) => repository.Replace('/', '-') + ".tar.gz";

    private static string? ResolveArchivePath(ContainerBuildRequest request, string publishDirectory)
    {
        if (string.IsNullOrWhiteSpace(request.ArchiveOutputPath))
        {
            return null;
        }
        string path = ArchiveFilePath(request.ArchiveOutputPath, request.Repository, Directory.GetCurrentDirectory());
        string publish = publishDirectory.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        StringComparison paths = OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        if (path.StartsWith(publish, paths))
        {
            throw new ContainerTasksException(ErrorCodes.ArchiveInsidePublishDirectory,
                $"ContainerArchiveOutputPath '{path}' is inside the publish folder, so the next image would contain this archive. Choose a path outside '{publishDirectory}', e.g. $(BaseIntermediateOutputPath)container/.");
        }
        return path;
    }

    private static Task WriteArchiveAsync(string path, ImageSet image, ContainerBuildRequest request, DateTimeOffset time, CancellationToken cancellationToken)
    {
        var names = request.Tags.Select(tag => ImageReference.Parse(
            (request.OutputRegistry is { Length: > 0 } r ? r + "/" : "") + request.Repository + ":" + tag)).ToList();
        return ImageOutput.WriteAsync(OutputKind.DockerArchive, path, image, names, time, cancellationToken);
    }

    private static bool IsTransport(string baseImage)
        => baseImage == "scratch" || baseImage.StartsWith("oci:", StringComparison.Ordinal) || baseImage.StartsWith("oci-archive:", StringComparison.Ordinal)
            || baseImage.StartsWith("docker-archive:", StringComparison.Ordinal);

    private static bool IsValidEnvironmentName(string name)
        => name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static List<KeyValuePair<string, string>> MergeEnvironment(IReadOnlyList<string> baseEnv, IEnumerable<KeyValuePair<string, string>> changes)
    {
        var merged = new List<KeyValuePair<string, string>>();
        foreach (string entry in baseEnv)
        {
            int equals = entry.IndexOf('=');
            merged.Add(equals < 0 ? new(entry, "") : new(entry[..equals], entry[(equals + 1)..]));
        }
        foreach (var change in changes)
        {
            int index = merged.FindIndex(p => p.Key == change.Key);
            if (index >= 0)
            {
                merged[index] = change;
            }
            else
            {
                merged.Add(change);
            }
        }
        return merged;
    }
}
