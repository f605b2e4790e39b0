using ContainerTasks.Content;
using ContainerTasks.DotNet;
using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Sources;

namespace ContainerTasks.Pipeline;

/// <summary>One build as it runs: the request, where it logs, the cache, the registry session, and what was decided from the request once.</summary>
internal sealed class BuildRun : IDisposable
{
    private const string RegistryPrefix = "docker://";

    private BuildRun(ContainerBuildRequest request, IContainerBuildLog log, string? archivePath)
    {
        Request = request;
        Log = log;
        ArchivePath = archivePath;
        Store = new ContentStore(request.CacheDirectory);
        BaseReference = ImageSources.IsOutsideRegistries(request.BaseImage) ? null
            : ImageReference.Parse(request.BaseImage.StartsWith(RegistryPrefix, StringComparison.Ordinal) ? request.BaseImage[RegistryPrefix.Length..] : request.BaseImage);
        PushRegistry = archivePath is null && request.Output is null ? request.OutputRegistry : null;
        Registries = new RegistrySession(request.EnvironmentSnapshot, BaseReference?.Registry, PushRegistry, log.Progress,
            Store.Layout.Registries, log.Notice);
        Time = request.SourceDateEpoch ?? Timestamps.Default;
        CacheFrom = ParseCacheFrom(request);
        LayerImages = request.LayerImages.Count == 0 ? LayerImages.None
            : LayerImages.Open(request.LayerImages, r => Registries.Client(r.Registry, r.Repository,
                r.Registry == PushRegistry ? Registry.Auth.RegistryRole.Push : Registry.Auth.RegistryRole.Pull), Store);
    }

    /// <summary>The images whose layers go on top of the base (<c>ContainerLayerImage</c>); on the registry pushed to, read with the push credentials.</summary>
    public LayerImages LayerImages { get; }

    /// <summary>The images named to reuse layers from: <c>ContainerCacheFrom</c>, then <c>CONTAINERTASKS_CACHE_FROM</c>, each once.</summary>
    public IReadOnlyList<ImageReference> CacheFrom { get; }

    public ContainerBuildRequest Request { get; }
    public IContainerBuildLog Log { get; }
    public ContentStore Store { get; }
    public RegistrySession Registries { get; }
    public PhaseTimer Timer { get; } = new();

    /// <summary>File, history and config time stamps.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>The base image when it is in a registry; null for scratch, files and the local engine's images.</summary>
    public ImageReference? BaseReference { get; }

    /// <summary>The archive ContainerArchiveOutputPath names, if set.</summary>
    public string? ArchivePath { get; }

    /// <summary>The registry the image is pushed to: the output registry unless an archive or an output comes first.</summary>
    public string? PushRegistry { get; }

    /// <summary>Checks the request and decides what is decided once: the archive path, and the registries to talk to.</summary>
    public static BuildRun Start(ContainerBuildRequest request, IContainerBuildLog log)
    {
        IReadOnlyList<PlatformInput> platforms = request.Platforms.Count > 0
            ? request.Platforms
            : throw new ArgumentException("A build needs at least one platform.", nameof(request));
        var published = platforms.Where(p => p.Layers is null).ToList();
        RequirePublishDirectories(published);
        string? archivePath = published.Select(p => ResolveArchivePath(request, Path.GetFullPath(p.PublishDirectory))).LastOrDefault();
        if (archivePath is not null && request.OutputRegistry is not null)
        {
            // The SDK's order (an archive path wins) is kept; saying so saves a search for a push that never happened.
            log.Warning(ErrorCodes.RegistryAndArchive,
                $"Both ContainerRegistry ({request.OutputRegistry}) and ContainerArchiveOutputPath are set: the image is written to {archivePath} only, not pushed. Its names carry the registry, so 'docker load' then 'docker push' sends it there. Remove one of the two properties.");
        }
        return new BuildRun(request, log, archivePath);
    }

    /// <summary>The names the image gets: <c>registry/repository:tag</c> for a push, else <c>repository:tag</c> (or the output's names).</summary>
    public IReadOnlyList<string> ResultNames()
        => Request.Output is { Names.Count: > 0 } output
            ? output.Names.Select(n => n.ToString()).ToList()
            : Request.Tags.Select(tag => PushRegistry is null ? $"{Request.Repository}:{tag}" : $"{PushRegistry}/{Request.Repository}:{tag}").ToList();

    /// <summary>The names an archive carries: with the output registry when one is set, so a load then a push sends it there.</summary>
    public IReadOnlyList<ImageReference> ArchiveNames()
        => Request.Tags.Select(tag => ImageReference.Parse(
            (Request.OutputRegistry is { Length: > 0 } r ? r + "/" : "") + Request.Repository + ":" + tag)).ToList();

    public void Dispose() => Registries.Dispose();

    private static List<ImageReference> ParseCacheFrom(ContainerBuildRequest request)
    {
        IEnumerable<string> fromEnvironment = request.EnvironmentSnapshot.TryGetValue("CONTAINERTASKS_CACHE_FROM", out string? value)
            ? value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];
        var references = new List<ImageReference>();
        foreach (string text in request.CacheFrom.Select(t => t.Trim()).Where(t => t.Length > 0).Concat(fromEnvironment))
        {
            ImageReference reference = ImageReference.TryParse(text, out ImageReference? parsed) && parsed is not null
                ? parsed
                : throw new ContainerTasksException(ErrorCodes.InvalidCacheFrom,
                    $"'{Secrets.WithoutUserInfo(text)}' (ContainerCacheFrom or CONTAINERTASKS_CACHE_FROM) is not an image reference. Name an image as registry/repository:tag, e.g. myregistry.example.com/myapp:main (without a registry, Docker Hub is meant); credentials go in the environment or an auth file, never in a reference.");
            if (!references.Contains(reference))
            {
                references.Add(reference);
            }
        }
        return references;
    }

    private static void RequirePublishDirectories(IEnumerable<PlatformInput> platforms)
    {
        foreach (PlatformInput platform in platforms)
        {
            string directory = Path.GetFullPath(platform.PublishDirectory);
            if (!Directory.Exists(directory) || !Directory.EnumerateFileSystemEntries(directory).Any())
            {
                throw new ContainerTasksException(ErrorCodes.PublishDirectoryMissing,
                    $"The publish folder '{directory}' {(Directory.Exists(directory) ? "is empty" : "does not exist")}. Run publish first (dotnet publish), or check PublishDir.");
            }
        }
    }

    private static string? ResolveArchivePath(ContainerBuildRequest request, string publishDirectory)
    {
        if (string.IsNullOrWhiteSpace(request.ArchiveOutputPath))
        {
            return null;
        }
        string path = ArchiveOutputPaths.FilePath(request.ArchiveOutputPath, request.Repository, Directory.GetCurrentDirectory());
        string publish = publishDirectory.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        StringComparison paths = OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        if (path.StartsWith(publish, paths))
        {
            throw new ContainerTasksException(ErrorCodes.ArchiveInsidePublishDirectory,
                $"ContainerArchiveOutputPath '{path}' is inside the publish folder, so the next image would contain this archive. Choose a path outside '{publishDirectory}', e.g. $(BaseIntermediateOutputPath)container/.");
        }
        return path;
    }
}
