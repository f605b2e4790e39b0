using ContainerTasks.Model;

namespace ContainerTasks.Sources;

/// <summary>Reads blobs (layers, configs, manifests) by descriptor.</summary>
public interface IBlobReader
{
    /// <summary>Opens the blob; CT5003 when it is not there.</summary>
    Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken = default);
}

/// <summary>A place base images are read from: an OCI layout, an OCI or docker archive, scratch (later a registry).</summary>
public interface IImageSource
{
    /// <summary>Resolves the source's image for <paramref name="platform"/> (an index is narrowed to that platform).</summary>
    Task<SourceImage> GetImageAsync(Platform? platform, CancellationToken cancellationToken = default);
}

/// <summary>A resolved base image: its manifest and config (bytes as stored) and where its layers can be read.</summary>
public sealed record SourceImage(string Name, byte[] ManifestBytes, ImageManifest Manifest, byte[] ConfigBytes, IBlobReader Blobs)
{
    /// <summary>The digest of <see cref="ManifestBytes"/>.</summary>
    public Digest ManifestDigest { get; } = Digest.Sha256(ManifestBytes);

    /// <summary>True for the empty <c>scratch</c> image.</summary>
    public bool IsScratch { get; init; }

    /// <summary>For an image read from a registry: where (registry and repository), so a push to the same registry can mount its layers.</summary>
    public ImageReference? Origin { get; init; }
}

/// <summary>Opens image sources from transport-prefixed names, as skopeo writes them.</summary>
public static class ImageSources
{
    /// <summary>
    /// Opens <c>oci:DIR[:REF]</c>, <c>oci-archive:FILE[:REF]</c>, <c>docker-archive:FILE[:NAME:TAG]</c> or <c>scratch</c>.
    /// Archives are unpacked into <paramref name="store"/>.
    /// </summary>
    public static async Task<IImageSource> OpenAsync(string spec, Content.ContentStore store, CancellationToken cancellationToken = default)
        => await OpenAsync(spec, store, null, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// As <see cref="OpenAsync(string, Content.ContentStore, CancellationToken)"/>, plus <c>docker://REFERENCE</c>
    /// for an image in a registry, read through <paramref name="registries"/>.
    /// </summary>
    public static async Task<IImageSource> OpenAsync(string spec, Content.ContentStore store, Registry.RegistrySession? registries, CancellationToken cancellationToken = default)
    {
        if (spec == "scratch")
        {
            return new ScratchSource();
        }
        if (spec.StartsWith("docker://", StringComparison.Ordinal))
        {
            if (registries is null)
            {
                throw new ContainerTasksException(ErrorCodes.UnknownTransport, $"'{spec}' names a registry image, but no registry session was given.");
            }
            ImageReference reference = ImageReference.Parse(spec["docker://".Length..]);
            var client = registries.Client(reference.Registry, reference.Repository, Registry.Auth.RegistryRole.Pull);
            return new Registry.RegistryImageSource(reference, client, store);
        }
        int colon = spec.IndexOf(':');
        string transport = colon < 0 ? "" : spec[..colon];
        string rest = colon < 0 ? spec : spec[(colon + 1)..];
        switch (transport)
        {
            case "oci":
            {
                var (path, reference) = SplitPathAndReference(rest);
                return OciLayoutSource.Open(path, reference);
            }
            case "oci-archive":
            {
                var (path, reference) = SplitPathAndReference(rest);
                return await OciArchiveSource.OpenAsync(path, reference, store, cancellationToken).ConfigureAwait(false);
            }
            case "docker-archive":
            {
                var (path, reference) = SplitPathAndReference(rest, referenceMayHaveColon: true);
                return await DockerArchiveSource.OpenAsync(path, reference, store, cancellationToken).ConfigureAwait(false);
            }
            default:
                throw new ContainerTasksException(ErrorCodes.UnknownTransport,
                    $"'{spec}' does not name an image source this tool reads. Use docker://REGISTRY/REPOSITORY:TAG, oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE or scratch.");
        }
    }

    /// <summary>Splits <c>PATH[:REF]</c>: the reference is whatever follows a ':' that is not part of an existing path.</summary>
    internal static (string Path, string? Reference) SplitPathAndReference(string value, bool referenceMayHaveColon = false)
    {
        if (File.Exists(value) || Directory.Exists(value))
        {
            return (value, null);
        }
        int search = value.Length;
        while (true)
        {
            int colon = value.LastIndexOf(':', search - 1);
            if (colon <= 0)
            {
                return (value, null);
            }
            string path = value[..colon];
            if (File.Exists(path) || Directory.Exists(path))
            {
                string reference = value[(colon + 1)..];
                return (path, reference.Length == 0 ? null : reference);
            }
            if (!referenceMayHaveColon)
            {
                return (path, value[(colon + 1)..]);
            }
            search = colon;
        }
    }
}
