using ContainerTasks.Model;

namespace ContainerTasks.Building;

/// <summary>
/// Everything one container build needs, as plain data: the base, the publish output, the config
/// changes and where the image goes. The MSBuild task fills it from properties and items; nothing
/// else in the core knows about MSBuild.
/// </summary>
public sealed record ContainerBuildRequest
{
    /// <summary>The base image: a reference (<c>mcr.microsoft.com/dotnet/runtime:8.0</c>), <c>scratch</c>, or
    /// <c>oci:DIR[:TAG]</c>, <c>oci-archive:FILE</c>, <c>docker-archive:FILE</c>.</summary>
    public required string BaseImage { get; init; }

    /// <summary>
    /// The platforms to build, one publish output each: one image for one platform, and an index over
    /// the images when there are several.
    /// </summary>
    public required IReadOnlyList<PlatformInput> Platforms { get; init; }

    /// <summary>Where the publish output goes in the image, and the working directory.</summary>
    public string WorkingDirectory { get; init; } = "/app/";

    /// <summary>Split into layers, or one layer.</summary>
    public Layers.LayeringMode Layering { get; init; } = Layers.LayeringMode.Split;

    /// <summary>Layers the project adds on top.</summary>
    public IReadOnlyList<Layers.ExtraLayer> ExtraLayers { get; init; } = [];

    /// <summary>Leave out <c>runtimes/&lt;rid&gt;/</c> assets that cannot run on the image's platform.</summary>
    public bool TrimForeignRuntimeAssets { get; init; }

    /// <summary>Also tag each platform image <c>&lt;tag&gt;-&lt;rid&gt;</c> (multi-platform pushes only).</summary>
    public bool PublishPlatformTags { get; init; }

    /// <summary>ENTRYPOINT and CMD settings.</summary>
    public EntrypointInputs Entrypoint { get; init; } = new([], [], [], [], [], null);

    /// <summary>Environment variables to set.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; } = [];

    /// <summary>Labels to set.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = [];

    /// <summary>Ports to expose (<c>N/tcp</c>); when empty, inferred from ASP.NET Core's variables.</summary>
    public IReadOnlyList<string> Ports { get; init; } = [];

    /// <summary>Volumes to declare.</summary>
    public IReadOnlyList<string> Volumes { get; init; } = [];

    /// <summary>The user; when null, the base image's <c>APP_UID</c> if it has one.</summary>
    public string? User { get; init; }

    /// <summary>The manifest format.</summary>
    public ImageFormat Format { get; init; } = ImageFormat.SameAsBase;

    /// <summary>Add <c>org.opencontainers.image.base.name</c> and <c>.base.digest</c> labels.</summary>
    public bool BaseImageLabels { get; init; } = true;

    /// <summary>The repository of the new image, e.g. <c>myapp</c> or <c>team/myapp</c>.</summary>
    public required string Repository { get; init; }

    /// <summary>The tags of the new image.</summary>
    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>The registry to push to; null for no push.</summary>
    public string? OutputRegistry { get; init; }

    /// <summary>An archive file, or a folder for <c>&lt;repository&gt;.tar.gz</c>; takes precedence over everything else.</summary>
    public string? ArchiveOutputPath { get; init; }

    /// <summary>Docker or Podman to load into, or null to detect one (only when there is no archive path and no registry).</summary>
    public string? LocalRegistry { get; init; }

    /// <summary>Where the image is written when there is no destination at all (with a warning).</summary>
    public required string FallbackArchiveDirectory { get; init; }

    /// <summary><c>SOURCE_DATE_EPOCH</c>: file, history and config time stamps.</summary>
    public DateTimeOffset? SourceDateEpoch { get; init; }

    /// <summary>The content store folder.</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>The content store's size limit; least recently used blobs beyond it are deleted after the build.</summary>
    public long CacheMaxBytes { get; init; } = 5L * 1024 * 1024 * 1024;

    /// <summary>The build's environment (credentials, proxies, registry settings) as a snapshot.</summary>
    public required IReadOnlyDictionary<string, string> EnvironmentSnapshot { get; init; }

    /// <summary>What to do when a file going into the image looks like a credential store (<c>ContainerCredentialFileCheck</c>).</summary>
    public CredentialFileCheck CredentialFileCheck { get; init; } = CredentialFileCheck.Warning;
}

/// <summary>What to do when a file going into the image looks like a credential store.</summary>
public enum CredentialFileCheck
{
    /// <summary>Warning CT4121 (the default).</summary>
    Warning,
    /// <summary>Error CT4121: nothing is built or pushed.</summary>
    Error,
    /// <summary>No check.</summary>
    None,
}

/// <summary>One platform of a multi-platform build: its publish output and what classifies it.</summary>
/// <param name="RuntimeIdentifier">The runtime identifier, e.g. linux-arm64.</param>
/// <param name="Platform">The image platform.</param>
/// <param name="PublishDirectory">That platform's publish folder.</param>
/// <param name="AppHost">The app host's relative path, if any: executable whatever its content, in its own layer.</param>
/// <param name="PublishedFiles">Item metadata of the published files.</param>
/// <param name="RuntimePackageIds">Package ids of the runtime packs.</param>
public sealed record PlatformInput(string RuntimeIdentifier, Platform Platform, string PublishDirectory, string? AppHost,
    IReadOnlyList<Layers.PublishedFile> PublishedFiles, IReadOnlyList<string> RuntimePackageIds);

/// <summary>One platform image of a build.</summary>
public sealed record PlatformResult(string RuntimeIdentifier, string Platform, Digest ManifestDigest, byte[] Manifest, byte[] Config)
{
    /// <summary>The manifest's layers, base layers first.</summary>
    public IReadOnlyList<LayerResult> Layers { get; init; } = [];
}

/// <summary>One layer of a built image, for the result file.</summary>
/// <param name="Digest">The blob digest.</param>
/// <param name="Size">The blob (compressed) size.</param>
/// <param name="Name">"base" for the base image's layers, else the planned layer's name (app, app host, packages, …).</param>
/// <param name="Source">How it was made: <see cref="FromBase"/>, <see cref="Built"/> or <see cref="FromCache"/>.</param>
public sealed record LayerResult(Digest Digest, long Size, string Name, string Source)
{
    /// <summary>A layer of the base image.</summary>
    public const string FromBase = "base";
    /// <summary>Written by this build.</summary>
    public const string Built = "built";
    /// <summary>Taken from the layer cache: the same content was built before.</summary>
    public const string FromCache = "cache";
}

/// <summary>What a build produced.</summary>
public sealed record ContainerBuildResult
{
    /// <summary>The image's manifest digest.</summary>
    public required Digest ManifestDigest { get; init; }

    /// <summary>The manifest.</summary>
    public required byte[] Manifest { get; init; }

    /// <summary>The config.</summary>
    public required byte[] Config { get; init; }

    /// <summary>The manifest media type.</summary>
    public required string MediaType { get; init; }

    /// <summary>The registry pushed to, if any.</summary>
    public string? Registry { get; init; }

    /// <summary>The repository.</summary>
    public required string Repository { get; init; }

    /// <summary>The tags.</summary>
    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>Full names: <c>registry/repository:tag</c>, or <c>repository:tag</c> without a registry.</summary>
    public required IReadOnlyList<string> Names { get; init; }

    /// <summary>The archive written, if any.</summary>
    public string? ArchivePath { get; init; }

    /// <summary>Where the image went, for messages: "pushed to …", "written to …", "loaded into …".</summary>
    public required string Destination { get; init; }

    /// <summary>The image in one line: <c>name@digest (layers, destination)</c>.</summary>
    public string Summary { get; init; } = "";

    /// <summary>The base image's manifest digest (of the first platform).</summary>
    public required Digest BaseDigest { get; init; }

    /// <summary>Every platform image (one for a single-platform build).</summary>
    public IReadOnlyList<PlatformResult> Platforms { get; init; } = [];

    /// <summary>The index JSON, for a multi-platform build.</summary>
    public byte[]? Index { get; init; }
}

/// <summary>
/// Where a build reports progress: steps (base, layers, credential sources, retries), details for diagnostics, coded
/// warnings. The one-line result is <see cref="ContainerBuildResult.Summary"/>, for the caller to print.
/// </summary>
public interface IContainerBuildLog
{
    /// <summary>A step a user sees at normal verbosity (-v:n), never a secret.</summary>
    void Progress(string message);

    /// <summary>A line for detailed logs.</summary>
    void Detail(string message);

    /// <summary>A line a user sees at normal verbosity, not at minimal: a retry and its cause, a certificate accepted unchecked.</summary>
    void Notice(string message) => Detail(message);

    /// <summary>A warning with a stable code.</summary>
    void Warning(string code, string message);
}
