namespace ContainerTasks;

/// <summary>Stable error codes. Numbers are never reused; docs/errors.md explains each.</summary>
public static class ErrorCodes
{
    // 1xxx: references, digests, manifests, configs.
    /// <summary>A digest string is malformed or uses an unsupported algorithm.</summary>
    public const string InvalidDigest = "CT1001";
    /// <summary>An image reference does not follow the reference grammar.</summary>
    public const string InvalidReference = "CT1002";
    /// <summary>A manifest, index or config is not valid JSON of the expected shape.</summary>
    public const string InvalidManifest = "CT1003";
    /// <summary>A media type is not one this tool can read.</summary>
    public const string UnsupportedMediaType = "CT1004";
    /// <summary>Docker schema 1 manifests are deprecated and not supported.</summary>
    public const string SchemaOneManifest = "CT1005";
    /// <summary>No manifest in an index matches the requested platform.</summary>
    public const string NoMatchingPlatform = "CT1006";
    /// <summary>Content does not match the digest it was addressed by.</summary>
    public const string DigestMismatch = "CT1007";
    /// <summary>An image cannot be converted to the requested format.</summary>
    public const string FormatConversion = "CT1008";
    /// <summary>An image config value given by the user is invalid.</summary>
    public const string InvalidConfigValue = "CT1009";
    /// <summary>An image named by <c>ContainerLayerImage</c> has no image for the platform being built.</summary>
    public const string LayerImagePlatformMissing = "CT1010";

    // 2xxx: layers.
    /// <summary>A path inside the image is not acceptable (empty, absolute escape, '..').</summary>
    public const string InvalidLayerPath = "CT2001";
    /// <summary>Two entries of one layer have the same path.</summary>
    public const string DuplicateLayerPath = "CT2002";
    /// <summary>A file to put in a layer could not be read.</summary>
    public const string LayerSourceUnreadable = "CT2003";
    /// <summary>A symbolic link points outside the layer or was not expected.</summary>
    public const string InvalidLink = "CT2004";
    /// <summary>A source folder holds something other than files and folders (FIFO, socket, device), or is nested too deep.</summary>
    public const string UnsupportedSourceFile = "CT2005";

    // 3xxx: registries.
    /// <summary>The registry could not be reached (DNS, connection, TLS handshake), even after retries.</summary>
    public const string RegistryUnreachable = "CT3001";
    /// <summary>The registry asked for credentials and none (or wrong ones) were found.</summary>
    public const string RegistryUnauthorized = "CT3002";
    /// <summary>The credentials are valid but lack the permission (e.g. push to a repository).</summary>
    public const string RegistryDenied = "CT3003";
    /// <summary>The repository, tag or manifest does not exist.</summary>
    public const string ImageNotFound = "CT3004";
    /// <summary>The registry kept answering 429 (rate limit) beyond the retry budget.</summary>
    public const string RegistryRateLimited = "CT3005";
    /// <summary>The registry answered with an unexpected status or an error the client cannot act on.</summary>
    public const string RegistryError = "CT3006";
    /// <summary>The token service answered with an error or an unusable token.</summary>
    public const string TokenServiceError = "CT3007";
    /// <summary>A credential source (auth file, credential helper) failed or is malformed.</summary>
    public const string CredentialSourceError = "CT3008";
    /// <summary>Credentials would have gone over plain HTTP; refused.</summary>
    public const string InsecureCredentials = "CT3009";
    /// <summary>A registry request timed out beyond the retry budget.</summary>
    public const string RegistryTimeout = "CT3010";
    /// <summary>The registry's TLS certificate is not trusted.</summary>
    public const string RegistryCertificate = "CT3011";
    /// <summary>A registry setting from the environment is invalid.</summary>
    public const string InvalidRegistrySetting = "CT3012";
    /// <summary>The HTTP proxy refused the request (e.g. 407: proxy credentials needed).</summary>
    public const string ProxyError = "CT3013";
    /// <summary>The registry served content that does not match its digest.</summary>
    public const string RegistryDigestMismatch = "CT3014";
    /// <summary>A layer blob reused from the image a tag pointed at disappeared from the registry during the push.</summary>
    public const string ReusedBlobMissing = "CT3015";
    /// <summary>A cache image's layer does not inflate to the diff_id its config claims (ContainerCacheVerify); it is not used (warning).</summary>
    public const string CacheLayerMismatch = "CT3016";
    /// <summary>A ContainerCacheFrom image could not be read (other than not existing yet); its layers are not reused (warning).</summary>
    public const string CacheImageUnreadable = "CT3017";
    /// <summary>A registry refused an artifact attached to an image as a referrer (e.g. a manifest with a subject).</summary>
    public const string ReferrerRefused = "CT3018";
    /// <summary>The referrers tag schema index is not a valid OCI index, or could not be updated after retries.</summary>
    public const string ReferrersIndexUnusable = "CT3019";
    /// <summary>A registry or token service answered with more than such an answer can be (a manifest over 4 MiB, a token answer over 1 MiB).</summary>
    public const string RegistryResponseTooLarge = "CT3020";
    /// <summary>A cloud registry (ACR, ECR, Google) and no credential configured: the build's cloud identity was not found.</summary>
    public const string CloudIdentityNotFound = "CT3021";
    /// <summary>A cloud's token service (Entra ID, ACR's exchange, STS, ECR's API, Google's token endpoint or metadata server) failed, refused the identity, or cannot be reached.</summary>
    public const string CloudTokenServiceError = "CT3022";
    /// <summary>The cloud identity libraries shipped with the package (the folder cloud/ next to the tasks) are missing or cannot be loaded.</summary>
    public const string CloudLibrariesMissing = "CT3023";

    // 4xxx: project settings.
    /// <summary>ContainerRepository (or the AssemblyName it defaults to) was changed to a valid repository name (warning).</summary>
    public const string RepositoryNameNormalized = "CT4001";
    /// <summary>The obsolete ContainerImageName property was used instead of ContainerRepository (warning).</summary>
    public const string ContainerImageNameObsolete = "CT4002";
    /// <summary>ContainerRepository cannot be made into a valid repository name.</summary>
    public const string InvalidRepositoryName = "CT4003";
    /// <summary>A ContainerImageTag or ContainerImageTags entry is not a valid tag.</summary>
    public const string InvalidImageTag = "CT4004";
    /// <summary>Both ContainerImageTag and ContainerImageTags are set.</summary>
    public const string ConflictingImageTags = "CT4005";
    /// <summary>The target framework has no .NET container images to infer a base image from (below .NET 8, or not .NET).</summary>
    public const string UnsupportedTargetFramework = "CT4006";
    /// <summary>The .NET SDK version is not a version the base image tag can be derived from.</summary>
    public const string InvalidSdkVersion = "CT4007";
    /// <summary>ContainerFamily cannot be part of an image tag.</summary>
    public const string InvalidContainerFamily = "CT4008";

    // 41xx: entrypoint, command and destination settings of a project.
    /// <summary>ContainerAppCommandInstruction is not Entrypoint, DefaultArgs or None.</summary>
    public const string UnknownAppCommandInstruction = "CT4101";
    /// <summary>The entrypoint and command items contradict each other.</summary>
    public const string ConflictingEntrypoint = "CT4102";
    /// <summary>A deprecated entrypoint item was used (warning).</summary>
    public const string DeprecatedEntrypointItems = "CT4103";
    /// <summary>The base image's ENTRYPOINT is replaced (warning).</summary>
    public const string BaseEntrypointReplaced = "CT4104";
    /// <summary>The publish folder does not exist or is empty.</summary>
    public const string PublishDirectoryMissing = "CT4105";
    /// <summary>The archive path is inside the publish folder.</summary>
    public const string ArchiveInsidePublishDirectory = "CT4106";
    /// <summary>No registry, archive or daemon was given: the image was written as an archive (warning).</summary>
    public const string NoDestination = "CT4107";
    /// <summary>The local engine (Docker/Podman) refused the image, or an engine asked for (LocalRegistry, DOCKER_HOST, CONTAINER_HOST) does not answer.</summary>
    public const string DaemonLoadFailed = "CT4108";
    /// <summary>ContainerImageFormat is not OCI or Docker.</summary>
    public const string UnknownImageFormat = "CT4109";
    /// <summary>LocalRegistry is not Docker or Podman.</summary>
    public const string UnknownLocalRegistry = "CT4110";
    /// <summary>The target platform is not Linux.</summary>
    public const string UnsupportedPlatform = "CT4111";
    // CT4112 (multi-platform not supported) is retired: multi-platform images are built. Codes are never reused.
    /// <summary>An environment variable name given to the image is invalid (warning; it is skipped).</summary>
    public const string InvalidEnvironmentVariableName = "CT4113";
    /// <summary>A ContainerPort item is invalid.</summary>
    public const string InvalidPort = "CT4114";
    /// <summary>The tasks ran under .NET Framework MSBuild.</summary>
    public const string UnsupportedMSBuildRuntime = "CT4115";
    /// <summary>PublishContainer was called on the outer build of a multi-targeted project.</summary>
    public const string MultiTargetingOuterBuild = "CT4116";
    /// <summary>The build was cancelled (Ctrl+C).</summary>
    public const string Cancelled = "CT4117";
    /// <summary>Two projects of one build write the same image name or archive.</summary>
    public const string SameDestination = "CT4118";
    /// <summary>Both ContainerRegistry and ContainerArchiveOutputPath are set: only the archive is written (warning).</summary>
    public const string RegistryAndArchive = "CT4119";
    /// <summary>ContainerRegistry is a URL (with a scheme) rather than a registry host.</summary>
    public const string RegistryWithScheme = "CT4120";
    /// <summary>A file going into the image looks like a credential store (warning, or error with ContainerCredentialFileCheck=Error).</summary>
    public const string CredentialFileInImage = "CT4121";
    /// <summary>ContainerCredentialFileCheck is not Warning, Error or None.</summary>
    public const string UnknownCredentialFileCheck = "CT4122";
    /// <summary>Of a multi-platform publish, some platforms are self-contained and others not: one app command and base cannot serve both.</summary>
    public const string MixedSelfContainedPlatforms = "CT4123";
    /// <summary>A ContainerCacheFrom item (or CONTAINERTASKS_CACHE_FROM entry) is not an image reference.</summary>
    public const string InvalidCacheFrom = "CT4124";
    /// <summary>The signing key (ContainerSigningKey: a file, or env:NAME) is not there: no such file, or the variable is unset or empty.</summary>
    public const string SigningKeyNotFound = "CT4125";
    /// <summary>A signing or verification key is not an ECDSA P-256 key in PEM, is malformed, or cannot be decrypted with the password given.</summary>
    public const string InvalidSigningKey = "CT4126";
    /// <summary>SourceRevisionId or RepositoryUrl, given for the provenance, is not a commit id or not a remote repository's URL.</summary>
    public const string InvalidProvenanceSource = "CT4127";
    /// <summary>A local engine's socket is there but refuses this user (permission denied).</summary>
    public const string EngineSocketDenied = "CT4128";
    /// <summary>DOCKER_HOST or CONTAINER_HOST is not an engine's address (unix:///path, tcp://host:port, ssh://, npipe://).</summary>
    public const string InvalidEngineAddress = "CT4129";
    /// <summary>ContainerBaseImageSource is local, and the local engine has no image of that name.</summary>
    public const string BaseNotInEngine = "CT4130";
    /// <summary>ContainerBaseImageSource is not registry or local, or is local with no usable ContainerBaseImage.</summary>
    public const string InvalidBaseImageSource = "CT4131";
    /// <summary>The local engine did not give the base image: its export failed, broke off, or is not a readable image archive.</summary>
    public const string EngineExportFailed = "CT4132";
    /// <summary>A <c>ContainerLayerImage</c> item is not valid: its reference is not a registry image reference, or its metadata is not true/false.</summary>
    public const string InvalidLayerImage = "CT4133";
    /// <summary>The image a <c>ContainerLayerImage</c> item names has layers that cannot be added (foreign or non-distributable, or not a filesystem layer).</summary>
    public const string UnusableLayerImage = "CT4134";
    /// <summary>Two projects of one compose file would be one service (same service name) or publish the same host port.</summary>
    public const string ComposeServiceClash = "CT4135";
    /// <summary>A compose setting is invalid (ContainerComposeService, ContainerComposePorts), or the compose file or its service records cannot be written or read.</summary>
    public const string ComposeFileFailed = "CT4136";
    /// <summary>DOCKER_TLS_VERIFY or DOCKER_TLS is set and a PEM file in DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) cannot be read or used.</summary>
    public const string EngineTlsFiles = "CT4137";
    /// <summary>The local engine runs containers of another system than the image's (a Windows image and a Linux engine).</summary>
    public const string EngineSystemMismatch = "CT4138";
    /// <summary>An unexpected failure: a bug to report.</summary>
    public const string Unexpected = "CT9999";

    // 5xxx: image sources and outputs that need no registry.
    /// <summary>An image source (layout, archive) is missing or unreadable.</summary>
    public const string SourceNotFound = "CT5001";
    /// <summary>An image source is not a valid OCI layout, OCI archive or docker archive.</summary>
    public const string InvalidSource = "CT5002";
    /// <summary>The requested tag or digest is not in the image source.</summary>
    public const string ImageNotInSource = "CT5003";
    /// <summary>An output could not be written.</summary>
    public const string OutputFailed = "CT5004";
    /// <summary>A transport prefix (oci:, oci-archive:, docker-archive:) is unknown.</summary>
    public const string UnknownTransport = "CT5005";
    /// <summary>The content cache folder belongs to another user.</summary>
    public const string CacheNotPrivate = "CT5008";
    /// <summary>The NuGet assets file (obj/project.assets.json) for the SBOM is missing, unreadable or over its size limit.</summary>
    public const string AssetsFileNotFound = "CT5009";
    /// <summary>The NuGet assets file for the SBOM is not valid JSON or lacks the target framework's section.</summary>
    public const string InvalidAssetsFile = "CT5010";
    /// <summary>Warning: a signing key was given, but the image went where signatures cannot be attached (an archive, a layout, a local engine).</summary>
    public const string NothingSigned = "CT5006";
    /// <summary>Warning: the SBOM and provenance made by default could not be attached to the pushed image (the registry refused them).</summary>
    public const string DocumentsNotAttached = "CT5007";
    /// <summary>A Sigstore bundle is not a v0.3 bundle of a shape this tool reads (JSON, media type, one signature).</summary>
    public const string InvalidSignatureBundle = "CT5011";
    /// <summary>No signature of the image verifies with the key given (none attached, another key, another image).</summary>
    public const string SignatureNotVerified = "CT5012";
    /// <summary>The provenance cannot be written from its inputs: no subject, a digest that is not sha256, a parameter without a name.</summary>
    public const string InvalidProvenanceInputs = "CT5013";
}
