namespace ContainerTasks.Model;

/// <summary>The manifest, config and layer media types of OCI and Docker v2 schema 2, and how they map.</summary>
internal static class MediaTypes
{
#pragma warning disable CS1591 // The names are the documentation.
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string OciNonDistributableLayer = "application/vnd.oci.image.layer.nondistributable.v1.tar";
    public const string OciNonDistributableLayerGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    public const string OciNonDistributableLayerZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";

    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    public const string DockerSchema1Manifest = "application/vnd.docker.distribution.manifest.v1+json";
    public const string DockerSchema1SignedManifest = "application/vnd.docker.distribution.manifest.v1+prettyjws";
#pragma warning restore CS1591

    /// <summary>True for a single-image manifest of either format.</summary>
    public static bool IsManifest(string? mediaType) => mediaType is OciManifest or DockerManifest;

    /// <summary>True for an OCI index or a Docker manifest list.</summary>
    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerManifestList;

    /// <summary>True for Docker's deprecated schema 1, which is refused.</summary>
    public static bool IsSchema1(string? mediaType) => mediaType is DockerSchema1Manifest or DockerSchema1SignedManifest;

    /// <summary>True for Docker media types (the image is "Docker format").</summary>
    public static bool IsDocker(string? mediaType) => mediaType is not null && mediaType.StartsWith("application/vnd.docker.", StringComparison.Ordinal);

    /// <summary>True when a layer must never be uploaded or mounted (foreign or non-distributable).</summary>
    public static bool IsNonDistributable(string mediaType)
        => mediaType is DockerForeignLayerGzip or OciNonDistributableLayer or OciNonDistributableLayerGzip or OciNonDistributableLayerZstd;

    /// <summary>The layer media type in the OCI format; zstd and unknown types stay as they are.</summary>
    public static string LayerToOci(string mediaType) => mediaType switch
    {
        DockerLayerGzip => OciLayerGzip,
        DockerLayer => OciLayer,
        DockerForeignLayerGzip => OciNonDistributableLayerGzip,
        _ => mediaType,
    };

    /// <summary>The layer media type in the Docker format, or null when Docker has no equivalent (e.g. zstd).</summary>
    public static string? LayerToDocker(string mediaType) => mediaType switch
    {
        OciLayerGzip or DockerLayerGzip => DockerLayerGzip,
        OciLayer or DockerLayer => DockerLayer,
        OciNonDistributableLayerGzip or DockerForeignLayerGzip => DockerForeignLayerGzip,
        _ => null,
    };
}
