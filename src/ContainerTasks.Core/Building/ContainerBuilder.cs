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
    /// <summary>Builds and delivers the image.</summary>
    public static async Task<ContainerBuildResult> BuildAsync(ContainerBuildRequest request, IContainerBuildLog log, CancellationToken cancellationToken = default)
    {
        string publishDirectory = Path.GetFullPath(request.PublishDirectory);
        if (!Directory.Exists(publishDirectory) || !Directory.EnumerateFileSystemEntries(publishDirectory).Any())
        {
            throw new ContainerTasksException(ErrorCodes.PublishDirectoryMissing,
                $"The publish folder '{publishDirectory}' {(Directory.Exists(publishDirectory) ? "is empty" : "does not exist")}. Run publish first (dotnet publish), or check PublishDir.");
        }
        string? archivePath = ResolveArchivePath(request, publishDirectory);

        var store = new ContentStore(request.CacheDirectory);
        ImageReference? baseReference = IsTransport(request.BaseImage) ? null : ImageReference.Parse(request.BaseImage);
        using var registries = new RegistrySession(request.EnvironmentSnapshot, baseReference?.Registry, archivePath is null ? request.OutputRegistry : null, log.Detail);

        string sourceSpec = baseReference is null ? request.BaseImage : "docker://" + baseReference;
        IImageSource source = await ImageSources.OpenAsync(sourceSpec, store, registries, cancellationToken).ConfigureAwait(false);
        SourceImage baseImage = await source.GetImageAsync(request.Platform, cancellationToken).ConfigureAwait(false);
        log.Milestone($"Base image {baseImage.Name} ({request.Platform}) is {baseImage.ManifestDigest}.");
        var baseConfig = ImageConfig.Parse(baseImage.ConfigBytes);

        DateTimeOffset time = request.SourceDateEpoch ?? Timestamps.Default;
        string workingDirectory = "/" + LayerPath.Normalize(request.WorkingDirectory) + "/";
        List<PlannedLayer> plan = LayerPlanner.Plan(publishDirectory, workingDirectory, request.PublishedFiles, request.RuntimePackageIds,
            request.AppHost, request.Layering, request.ExtraLayers, request.TrimForeignRuntimeAssets, request.RuntimeIdentifier);
        var built = await BuildLayersAsync(plan, store, new LayerOptions { ModificationTime = time }, log, cancellationToken).ConfigureAwait(false);

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

        string? registry = archivePath is null ? request.OutputRegistry : null;
        var names = request.Tags.Select(tag => registry is null ? $"{request.Repository}:{tag}" : $"{registry}/{request.Repository}:{tag}").ToList();
        string destination;
        if (archivePath is not null)
        {
            await WriteArchiveAsync(archivePath, image, request, time, cancellationToken).ConfigureAwait(false);
            destination = $"written to {archivePath}";
        }
        else if (registry is not null)
        {
            RegistryClient client = registries.Client(registry, request.Repository, RegistryRole.Push);
            PushResult pushed = await new ImagePusher(client, log.Detail).PushAsync(image, request.Repository, request.Tags, baseImage.Origin, cancellationToken).ConfigureAwait(false);
            destination = pushed.UpToDate
                ? $"already in {registry} (nothing pushed)"
                : $"pushed to {registry}: {pushed.BlobsUploaded} blobs ({pushed.BytesUploaded / 1024.0:0.#} KiB) uploaded, {pushed.BlobsMounted} mounted, {pushed.BlobsAlreadyPresent} already there";
        }
        else if (LocalDaemon.Find(request.LocalRegistry, request.EnvironmentSnapshot) is { } daemon)
        {
            string temp = Path.Combine(Path.GetTempPath(), $"containertasks-{Guid.NewGuid():N}.tar");
            try
            {
                await WriteArchiveAsync(temp, image, request, time, cancellationToken).ConfigureAwait(false);
                daemon.Load(temp);
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
            await WriteArchiveAsync(archivePath, image, request, time, cancellationToken).ConfigureAwait(false);
            log.Warning(ErrorCodes.NoDestination,
                $"No ContainerRegistry, ContainerArchiveOutputPath or running Docker/Podman: the image was written to {archivePath}. Load it with 'docker load -i {archivePath}' or 'podman load -i …', push it with 'skopeo copy docker-archive:{archivePath} docker://REGISTRY/{request.Repository}:{request.Tags[0]}', or set ContainerRegistry to push directly.");
            destination = $"written to {archivePath}";
        }
        log.Milestone($"{string.Join(", ", names)}@{image.ManifestDigest} {destination}.");
        var (deleted, freed) = store.Prune(request.CacheMaxBytes, TimeSpan.FromHours(1));
        if (deleted > 0)
        {
            log.Detail($"Content cache {store.Root}: removed {deleted} least recently used blobs ({freed / (1024 * 1024)} MiB) to stay under {request.CacheMaxBytes / (1024 * 1024)} MiB.");
        }

        return new ContainerBuildResult
        {
            ManifestDigest = image.ManifestDigest,
            Manifest = image.ManifestBytes,
            Config = image.ConfigBytes,
            MediaType = image.Manifest.MediaType,
            Registry = registry,
            Repository = request.Repository,
            Tags = request.Tags,
            Names = names,
            ArchivePath = archivePath,
            Destination = destination,
            BaseDigest = baseImage.ManifestDigest,
        };
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

    /// <summary><c>team/app</c> → <c>team-app.tar.gz</c>.</summary>
    public static string ArchiveFileName(string repository) => repository.Replace('/', '-') + ".tar.gz";

    private static string? ResolveArchivePath(ContainerBuildRequest request, string publishDirectory)
    {
        if (string.IsNullOrWhiteSpace(request.ArchiveOutputPath))
        {
            return null;
        }
        string path = Path.GetFullPath(request.ArchiveOutputPath);
        bool isDirectory = Directory.Exists(path) || request.ArchiveOutputPath.EndsWith('/') || request.ArchiveOutputPath.EndsWith('\\')
            || !Path.GetFileName(path).Contains('.', StringComparison.Ordinal);
        if (isDirectory)
        {
            path = Path.Combine(path, ArchiveFileName(request.Repository));
        }
        string publish = publishDirectory.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (path.StartsWith(publish, StringComparison.Ordinal))
        {
            throw new ContainerTasksException(ErrorCodes.ArchiveInsidePublishDirectory,
                $"ContainerArchiveOutputPath '{path}' is inside the publish folder, so the next image would contain this archive. Choose a path outside '{publishDirectory}', e.g. $(BaseIntermediateOutputPath)container/.");
        }
        return path;
    }

    private static Task WriteArchiveAsync(string path, BuiltImage image, ContainerBuildRequest request, DateTimeOffset time, CancellationToken cancellationToken)
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
