using ContainerTasks.Building;
using ContainerTasks.DotNet;
using ContainerTasks.Layers;
using ContainerTasks.Model;

namespace ContainerTasks.Pipeline;

/// <summary>
/// Everything one container build needs, as plain data: the base, the publish output, the config
/// changes and where the image goes. The MSBuild task fills it from properties and items; nothing
/// else in the core knows about MSBuild.
/// </summary>
public sealed record ContainerBuildRequest
{
    /// <summary>The base image: a reference (<c>mcr.microsoft.com/dotnet/runtime:8.0</c>), <c>docker://</c> and a reference, <c>scratch</c>,
    /// <c>oci:DIR[:TAG]</c>, <c>oci-archive:FILE</c>, <c>docker-archive:FILE</c>, or <c>docker-daemon:NAME</c>: an image of the local
    /// engine (Docker or Podman, found as for <see cref="LocalRegistry"/>), by the name the engine knows it by.</summary>
    public required string BaseImage { get; init; }

    /// <summary>
    /// The platforms to build, one publish output each: one image for one platform, and an index over
    /// the images when there are several.
    /// </summary>
    public required IReadOnlyList<PlatformInput> Platforms { get; init; }

    /// <summary>Where the publish output goes in the image, and the working directory.</summary>
    public string WorkingDirectory { get; init; } = "/app/";

    /// <summary>
    /// The settings the project left to defaults that differ between Linux and Windows; each platform gets its
    /// system's (<see cref="WorkingDirectory"/>, the app command and the user are then only the first platform's). Null: as given.
    /// </summary>
    public ProjectDefaults? Defaults { get; init; }

    /// <summary>Split into layers, or one layer.</summary>
    public LayeringMode Layering { get; init; } = LayeringMode.Split;

    /// <summary>Layers the project adds on top.</summary>
    public IReadOnlyList<ExtraLayer> ExtraLayers { get; init; } = [];

    /// <summary>
    /// Images whose layers go on top of the base and below the app's, in order (<c>ContainerLayerImage</c> items); each
    /// of the platform being built.
    /// </summary>
    public IReadOnlyList<LayerImageInput> LayerImages { get; init; } = [];

    /// <summary>Leave out <c>runtimes/&lt;rid&gt;/</c> assets that cannot run on the image's platform.</summary>
    public bool TrimForeignRuntimeAssets { get; init; }

    /// <summary>Also tag each platform image <c>&lt;tag&gt;-&lt;rid&gt;</c> (multi-platform pushes only).</summary>
    public bool PublishPlatformTags { get; init; }

    /// <summary>
    /// The config changes as given, for a caller that states them whole (the command line): when set, the .NET rules
    /// (entrypoint, inferred ports, the base's APP_UID as user, base image labels, variable name checks) are not applied.
    /// </summary>
    public ConfigChanges? Config { get; init; }

    /// <summary>Manifest annotations (OCI format only).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Annotations { get; init; } = [];

    /// <summary>How new layers are compressed.</summary>
    public LayerCompression Compression { get; init; } = LayerCompression.Default;

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

    /// <summary>An output in skopeo's form (<c>oci:DIR</c>, <c>oci-archive:FILE</c>, <c>docker-archive:FILE</c>) with the
    /// names the image gets there; takes precedence over every other destination (the command line's <c>--to</c>).</summary>
    public OutputTarget? Output { get; init; }

    /// <summary>An archive file, or a folder for <c>&lt;repository&gt;.tar.gz</c>; takes precedence over everything else.</summary>
    public string? ArchiveOutputPath { get; init; }

    /// <summary>Docker or Podman to load into, or null to detect one (only when there is no archive path and no registry).</summary>
    public string? LocalRegistry { get; init; }

    /// <summary>Where the image is written when there is no destination at all (with a warning).</summary>
    public required string FallbackArchiveDirectory { get; init; }

    /// <summary><c>SOURCE_DATE_EPOCH</c>: file, history and config time stamps.</summary>
    public DateTimeOffset? SourceDateEpoch { get; init; }

    /// <summary>
    /// Images whose layers may be reused by content when pushing (<c>ContainerCacheFrom</c>), asked in order after the
    /// images the destination tags point at; <c>CONTAINERTASKS_CACHE_FROM</c> in the environment adds more after these.
    /// </summary>
    public IReadOnlyList<string> CacheFrom { get; init; } = [];

    /// <summary>Check that a layer found in another image inflates to the diff_id its config claims before using it (<c>ContainerCacheVerify</c>).</summary>
    public bool CacheVerify { get; init; }

    /// <summary>The documents attached to the image (SBOM); null for none.</summary>
    public SupplyChainRequest? Supply { get; init; }

    /// <summary>The content store folder.</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>The content store's size limit; least recently used blobs beyond it are deleted after the build.</summary>
    public long CacheMaxBytes { get; init; } = 5L * 1024 * 1024 * 1024;

    /// <summary>The build's environment (credentials, proxies, registry settings) as a snapshot.</summary>
    public required IReadOnlyDictionary<string, string> EnvironmentSnapshot { get; init; }

    /// <summary>What to do when a file going into the image looks like a credential store (<c>ContainerCredentialFileCheck</c>).</summary>
    public CredentialFileCheck CredentialFileCheck { get; init; } = CredentialFileCheck.Warning;
}
