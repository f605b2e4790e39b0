using ContainerTasks.Building;
using ContainerTasks.DotNet;
using ContainerTasks.Pipeline;
using ContainerTasks.Model;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace ContainerTasks.MSBuild;

/// <summary>
/// Builds the container image of a published app and pushes it, writes it as an archive, or loads it
/// into a local engine. A table of inputs and outputs: everything it does is in ContainerTasks.Core.
/// </summary>
public sealed class BuildContainerImage : MSBuildTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancellation = new();

    // ---- what to build on
    /// <summary><c>ContainerBaseImage</c>: a reference, <c>scratch</c>, or <c>oci:</c>/<c>oci-archive:</c>/<c>docker-archive:</c>; with a local source, an engine's image name.</summary>
    public string BaseImage { get; set; } = "";
    /// <summary><c>ContainerBaseImageSource</c>: <c>registry</c> (the default) or <c>local</c> (an image of the local Docker or Podman).</summary>
    public string? BaseImageSource { get; set; }
    /// <summary><c>ContainerRuntimeIdentifier</c>: the image platform.</summary>
    [Required] public string ContainerRuntimeIdentifier { get; set; } = "";
    /// <summary><c>ContainerImageFormat</c>: OCI or Docker; empty keeps the base's.</summary>
    public string? ImageFormat { get; set; }

    // ---- what goes in
    /// <summary><c>PublishDir</c>.</summary>
    [Required] public string PublishDirectory { get; set; } = "";
    /// <summary><c>ContainerWorkingDirectory</c>.</summary>
    [Required] public string WorkingDirectory { get; set; } = "";
    /// <summary>True when the project did not set <c>ContainerWorkingDirectory</c>: each platform gets its system's.</summary>
    public bool WorkingDirectoryDefault { get; set; }
    /// <summary>True when <c>ContainerAppCommand</c> is the default one: each platform gets its own.</summary>
    public bool AppCommandDefault { get; set; }
    /// <summary>A self-contained app (its default command is the app host).</summary>
    public bool SelfContained { get; set; }
    /// <summary><c>TargetFileName</c>, the app's dll.</summary>
    public string? TargetFileName { get; set; }
    /// <summary>The user of Windows images when <c>ContainerUser</c> is not set (<c>ContainerUser</c> on Microsoft's images).</summary>
    public string? WindowsUser { get; set; }
    /// <summary>The app host's file name (relative to the publish folder), when the app has one.</summary>
    public string? AppHost { get; set; }
    /// <summary><c>@(ResolvedFileToPublish)</c>: metadata that classifies published files into layers.</summary>
    public ITaskItem[] PublishFiles { get; set; } = [];
    /// <summary><c>@(ResolvedRuntimePack)</c>: their files form the runtime layer of self-contained apps.</summary>
    public ITaskItem[] RuntimePacks { get; set; } = [];
    /// <summary><c>ContainerLayering</c>: Split (default) or Single.</summary>
    public string? Layering { get; set; }
    /// <summary><c>ContainerLayer</c> items: a file or folder (<c>Include</c>), <c>Destination</c> in the image, optional <c>Mode</c>.</summary>
    public ITaskItem[] ExtraLayers { get; set; } = [];
    /// <summary><c>ContainerLayerImage</c> items: a registry image (<c>Include</c>) whose layers go between the base's and the app's; optional <c>MergeEnvironment</c> (true/false).</summary>
    public ITaskItem[] LayerImages { get; set; } = [];
    /// <summary><c>ContainerTrimForeignRuntimeAssets</c>.</summary>
    public bool TrimForeignRuntimeAssets { get; set; }
    /// <summary>Multi-platform: what each inner publish returned (platform markers, published files, runtime packs).</summary>
    public ITaskItem[] PlatformItems { get; set; } = [];
    /// <summary><c>ContainerPublishRidTags</c>: also tag each platform image <c>&lt;tag&gt;-&lt;rid&gt;</c>.</summary>
    public bool PublishPlatformTags { get; set; }
    /// <summary><c>ContainerEntrypoint</c> (deprecated).</summary>
    public ITaskItem[] Entrypoint { get; set; } = [];
    /// <summary><c>ContainerEntrypointArgs</c> (deprecated).</summary>
    public ITaskItem[] EntrypointArgs { get; set; } = [];
    /// <summary><c>ContainerAppCommand</c>.</summary>
    public ITaskItem[] AppCommand { get; set; } = [];
    /// <summary><c>ContainerAppCommandArgs</c>.</summary>
    public ITaskItem[] AppCommandArgs { get; set; } = [];
    /// <summary><c>ContainerDefaultArgs</c>.</summary>
    public ITaskItem[] DefaultArgs { get; set; } = [];
    /// <summary><c>ContainerAppCommandInstruction</c>.</summary>
    public string? AppCommandInstruction { get; set; }
    /// <summary><c>ContainerPort</c> items (<c>Type</c>: tcp or udp).</summary>
    public ITaskItem[] ExposedPorts { get; set; } = [];
    /// <summary><c>ContainerLabel</c> items (<c>Value</c>).</summary>
    public ITaskItem[] Labels { get; set; } = [];
    /// <summary><c>ContainerEnvironmentVariable</c> items (<c>Value</c>).</summary>
    public ITaskItem[] EnvironmentVariables { get; set; } = [];
    /// <summary><c>ContainerVolume</c> items.</summary>
    public ITaskItem[] Volumes { get; set; } = [];
    /// <summary><c>ContainerUser</c>.</summary>
    public string? ContainerUser { get; set; }
    /// <summary>Add the base name and digest labels (<c>ContainerGenerateLabels</c> and their switches).</summary>
    public bool BaseImageLabels { get; set; } = true;
    /// <summary>Add <c>org.opencontainers.image.created</c> from <c>SOURCE_DATE_EPOCH</c> when it is set.</summary>
    public bool CreatedLabel { get; set; } = true;

    // ---- where it goes
    /// <summary><c>ContainerRepository</c>.</summary>
    [Required] public string Repository { get; set; } = "";
    /// <summary><c>ContainerImageTag</c>.</summary>
    public string? ImageTag { get; set; }
    /// <summary><c>ContainerImageTags</c>.</summary>
    public string? ImageTags { get; set; }
    /// <summary><c>ContainerRegistry</c>.</summary>
    public string? Registry { get; set; }
    /// <summary>The project being built (<c>$(MSBuildProjectFullPath)</c>): relative paths of its settings are resolved against its folder.</summary>
    public string? ProjectPath { get; set; }

    /// <summary><c>ContainerArchiveOutputPath</c>.</summary>
    public string? ArchiveOutputPath { get; set; }
    /// <summary><c>LocalRegistry</c>: Docker or Podman.</summary>
    public string? LocalRegistry { get; set; }
    /// <summary>
    /// The other projects of this solution build that publish images (Repository, ImageTag, ImageTags, Registry,
    /// ArchiveOutputPath and ProjectDirectory metadata): none may write one of this project's names or its archive.
    /// </summary>
    public ITaskItem[] OtherProjects { get; set; } = [];
    /// <summary><c>$(MSBuildProjectName)</c>: starts the result line, as in the build's own "MyApp -> …" lines.</summary>
    public string? ProjectName { get; set; }
    /// <summary>Where the image goes when nothing else is set, and where the result file is written.</summary>
    [Required] public string IntermediateDirectory { get; set; } = "";
    /// <summary><c>ContainerCacheDirectory</c>: the content store; empty for the user's default.</summary>
    public string? CacheDirectory { get; set; }
    /// <summary><c>ContainerCacheMaxSize</c> in MiB; 0 for the default (5 GiB or <c>CONTAINERTASKS_CACHE_MAX_MB</c>).</summary>
    public long CacheMaxSizeMegabytes { get; set; }
    /// <summary><c>ContainerCloudCredentials</c>: false turns off credentials from the build's cloud identity (ACR, ECR, Google); default true.</summary>
    public string? CloudCredentials { get; set; }

    /// <summary><c>ContainerCredentialFileCheck</c>: Warning (default), Error or None, for published files that look like credential stores.</summary>
    public string? CredentialFileCheck { get; set; }
    /// <summary><c>ContainerCacheFrom</c> items: images whose layers a push may reuse by content, in order.</summary>
    public ITaskItem[] CacheFrom { get; set; } = [];
    /// <summary><c>ContainerCacheVerify</c>: check a reused layer's content against its diff_id before using it.</summary>
    public bool CacheVerify { get; set; }

    // ---- documents about the image
    /// <summary><c>ContainerSbom</c>: true or false; empty for the default (an SBOM per platform image when pushing to a registry).</summary>
    public string? Sbom { get; set; }
    /// <summary><c>ContainerSbomFormat</c>: Spdx (default) or CycloneDX.</summary>
    public string? SbomFormat { get; set; }
    /// <summary><c>$(ProjectAssetsFile)</c>: the NuGet graph the SBOM lists.</summary>
    public string? AssetsFile { get; set; }
    /// <summary><c>$(TargetFramework)</c>.</summary>
    public string? TargetFramework { get; set; }
    /// <summary><c>$(RuntimeIdentifier)</c> of this publish (empty without one): the assets file's target.</summary>
    public string? RuntimeIdentifier { get; set; }
    /// <summary><c>$(AssemblyName)</c>.</summary>
    public string? AppName { get; set; }
    /// <summary><c>$(Version)</c>.</summary>
    public string? AppVersion { get; set; }
    /// <summary><c>ContainerProvenance</c>: true or false; empty for the default (an SLSA provenance when pushing to a registry).</summary>
    public string? Provenance { get; set; }
    /// <summary><c>$(Configuration)</c>.</summary>
    public string? Configuration { get; set; }
    /// <summary><c>$(NETCoreSdkVersion)</c>.</summary>
    public string? SdkVersion { get; set; }
    /// <summary><c>$(SourceRevisionId)</c>: the commit; empty to read the project's git checkout.</summary>
    public string? SourceRevisionId { get; set; }
    /// <summary><c>$(PrivateRepositoryUrl)</c>, else <c>$(RepositoryUrl)</c>; empty to read git's origin.</summary>
    public string? RepositoryUrl { get; set; }
    /// <summary><c>$(RepositoryBranch)</c>.</summary>
    public string? RepositoryBranch { get; set; }
    /// <summary><c>ContainerSigningKey</c>: a P-256 private key's PEM file, or <c>env:NAME</c>; empty for no signature.</summary>
    public string? SigningKey { get; set; }
    /// <summary><c>ContainerSigningKeyPassword</c>: <c>env:NAME</c>, for an encrypted key.</summary>
    public string? SigningKeyPassword { get; set; }

    // ---- results
    /// <summary>The manifest digest.</summary>
    [Output] public string? GeneratedContainerDigest { get; private set; }
    /// <summary>The manifest JSON.</summary>
    [Output] public string? GeneratedContainerManifest { get; private set; }
    /// <summary>The config JSON.</summary>
    [Output] public string? GeneratedContainerConfiguration { get; private set; }
    /// <summary>The manifest media type.</summary>
    [Output] public string? GeneratedContainerMediaType { get; private set; }
    /// <summary>The archive written, if any.</summary>
    [Output] public string? GeneratedArchiveOutputPath { get; private set; }
    /// <summary>The image names (<c>registry/repository:tag</c>).</summary>
    [Output] public ITaskItem[] GeneratedContainerNames { get; private set; } = [];
    /// <summary>The image, with Manifest, Configuration, ManifestDigest, ManifestMediaType metadata.</summary>
    [Output] public ITaskItem[] GeneratedContainer { get; private set; } = [];
    /// <summary>The image index JSON of a multi-platform build.</summary>
    [Output] public string? GeneratedImageIndex { get; private set; }
    /// <summary>Files written (for FileWrites, so that clean removes them).</summary>
    [Output] public ITaskItem[] GeneratedFiles { get; private set; } = [];

    /// <summary>Stops the build promptly (Ctrl+C).</summary>
    public void Cancel() => _cancellation.Cancel();

    // The defaults each platform gets its own of (Linux and Windows differ); null when the project set them all.
    private ProjectDefaults? Defaults()
        => WorkingDirectoryDefault || AppCommandDefault || !string.IsNullOrWhiteSpace(WindowsUser)
            ? new ProjectDefaults(WorkingDirectoryDefault, AppCommandDefault && !string.IsNullOrWhiteSpace(TargetFileName) && !string.IsNullOrWhiteSpace(AppName), SelfContained,
                (AppName ?? "").Trim(), (TargetFileName ?? "").Trim(), string.IsNullOrWhiteSpace(WindowsUser) ? null : WindowsUser.Trim())
            : null;

    /// <inheritdoc />
    public override bool Execute()
    {
        var log = new TaskBuildLog(Log);
        return TaskFailures.Run(log, _cancellation.Token, () => ExecuteCore(log));
    }

    private bool ExecuteCore(TaskBuildLog log)
    {
        // The environment is read once, here: MSBuild nodes are reused across builds, so nothing is kept in statics.
        IReadOnlyDictionary<string, string> environment = WithCloudSwitch(ContainerTasks.Registry.RegistrySettings.SnapshotEnvironment());
        Platform platform = Platform.FromRuntimeIdentifier(ContainerRuntimeIdentifier);
        string baseImage = BaseImageSpec();
        string where = Sources.ImageSources.IsEngineSource(baseImage) ? " in the local engine" : "";
        log.Progress($"Building a container image for {ContainerRuntimeIdentifier} ({platform}) from {BaseImage.Trim()}{where}.");
        string repository = NormalizedRepository(log);
        IReadOnlyList<string> tags = ContainerNames.ParseTags(ImageTag, ImageTags);
        CheckOtherProjects();
        if (!string.IsNullOrWhiteSpace(Registry))
        {
            CheckRegistry(Registry.Trim());
            _ = ImageReference.Parse($"{Registry.Trim()}/{repository}:{tags[0]}");
        }
        ContainerBuildRequest request = Request(environment, baseImage, platform, repository, tags);
        ContainerBuildResult result = ContainerBuilder.BuildAsync(request, log, _cancellation.Token).GetAwaiter().GetResult();
        // "<project> -> …", as the build's own output line: the terminal logger shows it as the project's result.
        log.Milestone($"{(string.IsNullOrWhiteSpace(ProjectName) ? Repository : ProjectName)} -> {result.Summary}");

        SetOutputs(result);
        return !Log.HasLoggedErrors;
    }

    private string NormalizedRepository(TaskBuildLog log)
    {
        string repository = ContainerNames.NormalizeRepository(Repository, out string? warning);
        if (warning is not null)
        {
            // Lower-casing an assembly name is the norm, not a problem: only other changes are worth a warning.
            if (repository == Repository.Trim().ToLowerInvariant())
            {
                log.Detail(warning);
            }
            else
            {
                log.Warning(ErrorCodes.RepositoryNameNormalized, warning);
            }
        }
        return repository;
    }

    private void CheckOtherProjects()
    {
        if (OtherProjects.Length == 0)
        {
            return;
        }
        // Not BuildEngine.ProjectFileOfTaskNode: that is the file declaring the task, our .targets in the package.
        string project = string.IsNullOrEmpty(ProjectPath) ? Path.Combine(Directory.GetCurrentDirectory(), "project") : ProjectPath;
        ProjectDestinations.ThrowOnClash(
            new ProjectDestination(project, Path.GetDirectoryName(Path.GetFullPath(project)) ?? Directory.GetCurrentDirectory(), Repository, ImageTag, ImageTags, Registry, ArchiveOutputPath),
            OtherProjects.Select(i => new ProjectDestination(i.ItemSpec, i.GetMetadata("ProjectDirectory"), i.GetMetadata("Repository"), i.GetMetadata("ImageTag"),
                i.GetMetadata("ImageTags"), i.GetMetadata("Registry"), i.GetMetadata("ArchiveOutputPath"))));
    }

    // The task's inputs as one build request: a table of properties and items.
    private ContainerBuildRequest Request(IReadOnlyDictionary<string, string> environment, string baseImage, Platform platform, string repository, IReadOnlyList<string> tags)
    {
        DateTimeOffset? epoch = Timestamps.FromSourceDateEpoch(environment.TryGetValue("SOURCE_DATE_EPOCH", out string? e) ? e : null);
        var labels = Labels.Select(i => new KeyValuePair<string, string>(i.ItemSpec, i.GetMetadata("Value"))).ToList();
        if (CreatedLabel && epoch is { } created)
        {
            labels.Add(new("org.opencontainers.image.created", Timestamps.Format(created)));
        }
        return new ContainerBuildRequest
        {
            BaseImage = baseImage,
            // Several platforms come from the inner publishes; otherwise this project's own publish is the one.
            Platforms = PlatformItems.Length > 0
                ? ToPlatforms(PlatformItems)
                : [new PlatformInput(ContainerRuntimeIdentifier, platform, PublishDirectory, string.IsNullOrWhiteSpace(AppHost) ? null : AppHost.Trim(),
                    PublishFiles.Select(ToPublishedFile).Where(f => f is not null).Select(f => f!).ToList(), RuntimePackageIds(RuntimePacks))
                    { AssetsRuntimeIdentifier = string.IsNullOrWhiteSpace(RuntimeIdentifier) ? null : RuntimeIdentifier.Trim() }],
            WorkingDirectory = WorkingDirectory,
            Defaults = Defaults(),
            Layering = ParseLayering(Layering),
            ExtraLayers = ExtraLayers.Select(ToExtraLayer).ToList(),
            LayerImages = LayerImages.Select(ToLayerImage).ToList(),
            TrimForeignRuntimeAssets = TrimForeignRuntimeAssets,
            PublishPlatformTags = PublishPlatformTags,
            Entrypoint = new EntrypointInputs(Specs(Entrypoint), Specs(EntrypointArgs), Specs(AppCommand), Specs(AppCommandArgs), Specs(DefaultArgs), AppCommandInstruction),
            Environment = EnvironmentVariables.Select(i => new KeyValuePair<string, string>(i.ItemSpec, i.GetMetadata("Value"))).ToList(),
            Labels = labels,
            Ports = ExposedPorts.Select(Port).ToList(),
            Volumes = Specs(Volumes),
            User = string.IsNullOrWhiteSpace(ContainerUser) ? null : ContainerUser.Trim(),
            Format = ParseFormat(ImageFormat),
            BaseImageLabels = BaseImageLabels,
            Repository = repository,
            Tags = tags,
            OutputRegistry = string.IsNullOrWhiteSpace(Registry) ? null : Registry.Trim(),
            ArchiveOutputPath = string.IsNullOrWhiteSpace(ArchiveOutputPath) ? null : ArchiveOutputPath.Trim(),
            LocalRegistry = string.IsNullOrWhiteSpace(LocalRegistry) ? null : LocalRegistry.Trim(),
            FallbackArchiveDirectory = Path.Combine(IntermediateDirectory, "container"),
            SourceDateEpoch = epoch,
            CacheDirectory = string.IsNullOrWhiteSpace(CacheDirectory) ? Content.CacheLayout.DefaultRoot(environment) : CacheDirectory,
            CacheMaxBytes = CacheMaxSizeMegabytes > 0 ? CacheMaxSizeMegabytes * 1024 * 1024 : Content.ContentStore.DefaultMaxBytes(environment),
            EnvironmentSnapshot = environment,
            CredentialFileCheck = ParseCredentialFileCheck(CredentialFileCheck),
            CacheFrom = CacheFrom.Select(i => i.ItemSpec).ToList(),
            CacheVerify = CacheVerify,
            Supply = SupplyRequest(repository),
        };
    }

    // ContainerBaseImage as the core takes it: an image of the local engine as docker-daemon:NAME.
    private string BaseImageSpec()
    {
        string baseImage = BaseImage.Trim();
        switch ((BaseImageSource ?? "").Trim().ToLowerInvariant())
        {
            case "" or "registry":
                return baseImage.Length > 0 ? baseImage
                    : throw new ContainerTasksException(ErrorCodes.InvalidConfigValue, "ContainerBaseImage is empty. Name the base image, e.g. mcr.microsoft.com/dotnet/runtime:10.0, or leave the property unset to have it inferred.");
            case "local" when baseImage.Length == 0:
                throw new ContainerTasksException(ErrorCodes.InvalidBaseImageSource,
                    "ContainerBaseImageSource is local, but ContainerBaseImage is empty: a base from the local engine is never inferred. Set ContainerBaseImage to the image's name in Docker or Podman, e.g. -p:ContainerBaseImage=my-base:1.");
            case "local" when Sources.ImageSources.IsEngineSource(baseImage):
                throw new ContainerTasksException(ErrorCodes.InvalidBaseImageSource,
                    $"ContainerBaseImageSource is local, and ContainerBaseImage '{baseImage}' names the engine too: give the image's name alone ({baseImage[Sources.ImageSources.EnginePrefix.Length..]}), or remove ContainerBaseImageSource and keep '{baseImage}'.");
            case "local" when Sources.ImageSources.IsOutsideRegistries(baseImage) || baseImage.Contains("://", StringComparison.Ordinal):
                throw new ContainerTasksException(ErrorCodes.InvalidBaseImageSource,
                    $"ContainerBaseImageSource is local, but ContainerBaseImage '{baseImage}' names no image of the local engine (a file, scratch or a URL). Give the image's name as 'docker image ls' or 'podman image ls' shows it (my-base:1), or remove ContainerBaseImageSource.");
            case "local":
                return Sources.ImageSources.EnginePrefix + baseImage;
            default:
                throw new ContainerTasksException(ErrorCodes.InvalidBaseImageSource,
                    $"ContainerBaseImageSource is '{BaseImageSource}'. Use registry (the default: ContainerBaseImage is pulled from its registry) or local (ContainerBaseImage is an image of the local Docker or Podman).");
        }
    }

    // Null when the targets give no framework (a caller of the task other than our targets): no documents then.
    private SupplyChainRequest? SupplyRequest(string repository)
        => string.IsNullOrWhiteSpace(TargetFramework) ? null : new SupplyChainRequest
        {
            Sbom = ParseSwitch("ContainerSbom", Sbom),
            SbomFormat = ParseSbomFormat(SbomFormat),
            AssetsFile = string.IsNullOrWhiteSpace(AssetsFile) ? null : AssetsFile.Trim(),
            TargetFramework = TargetFramework.Trim(),
            AppName = string.IsNullOrWhiteSpace(AppName) ? repository : AppName.Trim(),
            AppVersion = string.IsNullOrWhiteSpace(AppVersion) ? "1.0.0" : AppVersion.Trim(),
            Provenance = ParseSwitch("ContainerProvenance", Provenance),
            ProjectPath = string.IsNullOrWhiteSpace(ProjectPath) ? null : ProjectPath,
            Configuration = Configuration?.Trim() ?? "",
            SdkVersion = SdkVersion?.Trim() ?? "",
            SourceRevisionId = Blank(SourceRevisionId),
            RepositoryUrl = Blank(RepositoryUrl),
            RepositoryBranch = Blank(RepositoryBranch),
            SigningKey = SigningKeySpec(),
            SigningKeyPassword = SigningKeyPasswordSpec(),
        };

    // MSBuild logs every task parameter at -v:diag and in binary logs: a key or password given as a property's value is
    // in them before we see it, so only a file or env:NAME is taken, and the message says so without repeating the value.
    private string? SigningKeySpec()
    {
        if (Blank(SigningKey) is not { } key)
        {
            return null;
        }
        return key.Contains("-----BEGIN", StringComparison.Ordinal)
            ? throw new ContainerTasksException(ErrorCodes.InvalidSigningKey,
                "ContainerSigningKey holds a key itself, and MSBuild writes property values into detailed and binary logs. Put the PEM in an environment variable (a CI secret) and set ContainerSigningKey=env:NAME, or give the path of the key file.")
            : key.StartsWith("env:", StringComparison.Ordinal) || Path.IsPathRooted(key) || string.IsNullOrEmpty(ProjectPath)
                ? key
                : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ProjectPath))!, key);
    }

    private string? SigningKeyPasswordSpec()
    {
        if (Blank(SigningKeyPassword) is not { } password)
        {
            return null;
        }
        return password.StartsWith("env:", StringComparison.Ordinal)
            ? password
            : throw new ContainerTasksException(ErrorCodes.InvalidSigningKey,
                "ContainerSigningKeyPassword must be env:NAME, naming the environment variable that holds the password: MSBuild writes property values into detailed and binary logs.");
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool? ParseSwitch(string name, string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "true" => true,
        "false" => false,
        _ => throw new ContainerTasksException(ErrorCodes.InvalidConfigValue, $"{name} is '{value}'. Use true or false, or leave it empty for the default."),
    };

    private static Pipeline.SbomFormat ParseSbomFormat(string? format) => format?.Trim().ToLowerInvariant() switch
    {
        null or "" or "spdx" or "spdx-json" => Pipeline.SbomFormat.Spdx,
        "cyclonedx" or "cyclonedx-json" or "cdx" => Pipeline.SbomFormat.CycloneDx,
        _ => throw new ContainerTasksException(ErrorCodes.InvalidConfigValue, $"ContainerSbomFormat is '{format}'. Use Spdx (the default, SPDX 2.3 JSON) or CycloneDX (CycloneDX 1.6 JSON)."),
    };

    private void SetOutputs(ContainerBuildResult result)
    {
        GeneratedContainerDigest = result.ManifestDigest.ToString();
        GeneratedContainerManifest = System.Text.Encoding.UTF8.GetString(result.Manifest);
        GeneratedContainerConfiguration = System.Text.Encoding.UTF8.GetString(result.Config);
        GeneratedContainerMediaType = result.MediaType;
        GeneratedArchiveOutputPath = result.ArchivePath;
        GeneratedImageIndex = result.Index is null ? null : System.Text.Encoding.UTF8.GetString(result.Index);
        GeneratedContainerNames = result.Names.Select(n => (ITaskItem)new TaskItem(n)).ToArray();
        var container = new TaskItem(result.Names[0]);
        container.SetMetadata("Manifest", GeneratedContainerManifest);
        container.SetMetadata("Configuration", GeneratedContainerConfiguration);
        container.SetMetadata("ManifestDigest", GeneratedContainerDigest);
        container.SetMetadata("ManifestMediaType", result.MediaType);
        GeneratedContainer = [container];

        string resultFile = ResultFile.Write(Path.Combine(IntermediateDirectory, "container"), result);
        var files = new List<ITaskItem> { new TaskItem(resultFile) };
        files.AddRange(ArtifactFiles.Write(Path.Combine(IntermediateDirectory, "container"), result.Artifacts).Select(f => (ITaskItem)new TaskItem(f)));
        if (result.ArchivePath is not null && result.ArchivePath.StartsWith(Path.GetFullPath(IntermediateDirectory), StringComparison.Ordinal))
        {
            files.Add(new TaskItem(result.ArchivePath));
        }
        GeneratedFiles = files.ToArray();
    }

    private static List<string> Specs(ITaskItem[] items) => items.Select(i => i.ItemSpec).ToList();

    private static List<PlatformInput> ToPlatforms(ITaskItem[] items)
    {
        var platforms = new List<PlatformInput>();
        foreach (ITaskItem marker in items.Where(i => i.GetMetadata("ContainerItemKind") == "Platform"))
        {
            string rid = marker.GetMetadata("ContainerRid");
            var mine = items.Where(i => i.GetMetadata("ContainerRid") == rid).ToList();
            platforms.Add(new PlatformInput(rid, Platform.FromRuntimeIdentifier(rid), marker.GetMetadata("ContainerPublishDir"),
                marker.GetMetadata("ContainerAppHost") is { Length: > 0 } host ? host : null,
                mine.Where(i => i.GetMetadata("ContainerItemKind") == "File").Select(ToPublishedFile).Where(f => f is not null).Select(f => f!).ToList(),
                RuntimePackageIds(mine.Where(i => i.GetMetadata("ContainerItemKind") == "RuntimePack")))
            { AssetsRuntimeIdentifier = rid });
        }
        return platforms;
    }

    // A runtime pack is named by its item spec and, in newer SDKs, its NuGetPackageId metadata.
    private static List<string> RuntimePackageIds(IEnumerable<ITaskItem> packs)
        => packs.SelectMany(p => new[] { p.ItemSpec, p.GetMetadata("NuGetPackageId") }).Where(id => id.Length > 0).Distinct().ToList();

    // Items only classify: the publish folder's listing decides what is in the image.
    private static Layers.PublishedFile? ToPublishedFile(ITaskItem item)
    {
        string relative = item.GetMetadata("RelativePath");
        if (string.IsNullOrEmpty(relative))
        {
            return null;
        }
        string packageId = item.GetMetadata("NuGetPackageId");
        return new Layers.PublishedFile(relative.Replace('\\', '/'), packageId.Length > 0 ? packageId : null,
            item.GetMetadata("NuGetPackageVersion") is { Length: > 0 } v ? v : null,
            item.GetMetadata("ReferenceSourceTarget").Equals("ProjectReference", StringComparison.OrdinalIgnoreCase), item.GetMetadata("FullPath"));
    }

    private static Layers.ExtraLayer ToExtraLayer(ITaskItem item)
    {
        string destination = item.GetMetadata("Destination");
        if (string.IsNullOrWhiteSpace(destination) || !destination.StartsWith('/'))
        {
            throw new ContainerTasksException(ErrorCodes.InvalidLayerPath,
                $"ContainerLayer '{item.ItemSpec}' needs a Destination that is an absolute path in the image, e.g. <ContainerLayer Include=\"config/\" Destination=\"/etc/myapp/\" />.");
        }
        string mode = item.GetMetadata("Mode");
        int? parsed = null;
        if (mode.Length > 0)
        {
            try
            {
                parsed = Convert.ToInt32(mode, 8);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
            {
                throw new ContainerTasksException(ErrorCodes.InvalidConfigValue, $"ContainerLayer '{item.ItemSpec}' has Mode '{mode}', which is not an octal mode like 0644 or 0755.", e);
            }
            if (parsed is < 0 or > 0xFFF)
            {
                throw new ContainerTasksException(ErrorCodes.InvalidConfigValue, $"ContainerLayer '{item.ItemSpec}' has Mode '{mode}', which is not an octal mode like 0644 or 0755.");
            }
        }
        return new Layers.ExtraLayer(item.GetMetadata("FullPath"), destination, parsed);
    }

    private static Pipeline.LayerImageInput ToLayerImage(ITaskItem item)
    {
        string merge = item.GetMetadata("MergeEnvironment").Trim();
        // The reference is checked with the request (CT4133); one that is not a reference is not echoed (it may hold credentials).
        string named = ImageReference.TryParse(item.ItemSpec.Trim(), out ImageReference? parsed) && parsed is not null ? $" '{parsed}'" : "";
        return new Pipeline.LayerImageInput(item.ItemSpec, merge.ToLowerInvariant() switch
        {
            "" or "false" => false,
            "true" => true,
            _ => throw new ContainerTasksException(ErrorCodes.InvalidLayerImage,
                $"The ContainerLayerImage item{named} has MergeEnvironment '{merge}'. Use true or false (the default)."),
        });
    }

    private static Layers.LayeringMode ParseLayering(string? layering) => (layering ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "split" => Layers.LayeringMode.Split,
        "single" => Layers.LayeringMode.Single,
        _ => throw new ContainerTasksException(ErrorCodes.InvalidConfigValue, $"ContainerLayering is '{layering}'. Use Split (the default) or Single."),
    };

    private static string Port(ITaskItem item)
    {
        string type = item.GetMetadata("Type");
        string spec = item.ItemSpec.Trim();
        try
        {
            return ImageConfig.NormalizePort(spec.Contains('/') || string.IsNullOrWhiteSpace(type) ? spec : $"{spec}/{type.Trim()}");
        }
        catch (ContainerTasksException e)
        {
            string typed = string.IsNullOrWhiteSpace(type) ? "" : $" (Type '{type}')";
            throw new ContainerTasksException(ErrorCodes.InvalidPort, $"ContainerPort '{item.ItemSpec}'{typed}: {e.Message}", e);
        }
    }

    // "http://localhost:5000" is the usual first try; the reference parser would only say the name is malformed.
    private static void CheckRegistry(string registry)
    {
        int scheme = registry.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return;
        }
        string host = registry[(scheme + 3)..].TrimEnd('/');
        string insecure = registry.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            ? " A registry that speaks plain HTTP is named without the scheme too: loopback registries (localhost, 127.0.0.1) are insecure already; list others in DOTNET_CONTAINER_INSECURE_REGISTRIES (see docs/registries.md)."
            : "";
        throw new ContainerTasksException(ErrorCodes.RegistryWithScheme,
            $"ContainerRegistry is '{registry}', a URL. Give the registry host without the scheme: ContainerRegistry={host}.{insecure}");
    }

    // ContainerCloudCredentials, when set, wins over CONTAINERTASKS_CLOUD_CREDENTIALS (RegistrySettings checks the value).
    private IReadOnlyDictionary<string, string> WithCloudSwitch(IReadOnlyDictionary<string, string> environment)
    {
        if (string.IsNullOrWhiteSpace(CloudCredentials))
        {
            return environment;
        }
        var changed = new Dictionary<string, string>(environment, OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal)
        {
            ["CONTAINERTASKS_CLOUD_CREDENTIALS"] = CloudCredentials.Trim(),
        };
        return changed;
    }

    private static CredentialFileCheck ParseCredentialFileCheck(string? check) => (check ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "warning" => DotNet.CredentialFileCheck.Warning,
        "error" => DotNet.CredentialFileCheck.Error,
        "none" => DotNet.CredentialFileCheck.None,
        _ => throw new ContainerTasksException(ErrorCodes.UnknownCredentialFileCheck, $"ContainerCredentialFileCheck is '{check}'. Use Warning (the default), Error or None."),
    };

    private static ImageFormat ParseFormat(string? format) => (format ?? "").Trim().ToLowerInvariant() switch
    {
        "" => Building.ImageFormat.SameAsBase,
        "oci" => Building.ImageFormat.Oci,
        "docker" => Building.ImageFormat.Docker,
        _ => throw new ContainerTasksException(ErrorCodes.UnknownImageFormat, $"ContainerImageFormat is '{format}'. Use OCI or Docker, or leave it empty to keep the base image's format."),
    };
}
