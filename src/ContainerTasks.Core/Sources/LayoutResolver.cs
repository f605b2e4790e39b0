using ContainerTasks.Model;

namespace ContainerTasks.Sources;

/// <summary>
/// Resolves an image in an OCI layout's <c>index.json</c> (wherever the layout's blobs are kept): by
/// <c>org.opencontainers.image.ref.name</c>, by full name, by digest, or the only entry; then through
/// nested indexes to the manifest for the platform.
/// </summary>
internal sealed class LayoutResolver
{
    /// <summary>The annotation OCI layouts name tags with.</summary>
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    /// <summary>The annotation containerd and Docker put the full image name in.</summary>
    public const string ImageNameAnnotation = "io.containerd.image.name";

    private readonly string _name;
    private readonly IBlobReader _blobs;

    public LayoutResolver(string name, IBlobReader blobs)
    {
        _name = name;
        _blobs = blobs;
    }

    public async Task<SourceImage> ResolveAsync(byte[] indexJson, string? reference, Platform? platform, CancellationToken cancellationToken)
    {
        ImageIndex index;
        try
        {
            index = ImageIndex.Parse(indexJson, MediaTypes.OciIndex);
        }
        catch (ContainerTasksException e)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidSource, $"{_name}: index.json is not an OCI image index. {e.Message}", e);
        }
        Descriptor entry = SelectEntry(index, reference);
        string label = reference is null ? _name : $"{_name}:{reference}";
        for (int depth = 0; depth < 4; depth++)
        {
            byte[] bytes = await ReadSmallBlobAsync(entry, cancellationToken).ConfigureAwait(false);
            if (MediaTypes.IsIndex(entry.MediaType) || (!MediaTypes.IsManifest(entry.MediaType) && IsIndexDocument(bytes)))
            {
                ImageIndex nested = ImageIndex.Parse(bytes, entry.MediaType);
                entry = nested.SelectPlatform(platform ?? Platform.LinuxAmd64, label);
                continue;
            }
            ImageManifest manifest = ImageManifest.Parse(bytes, entry.MediaType);
            byte[] config = await ReadSmallBlobAsync(manifest.Config, cancellationToken).ConfigureAwait(false);
            CheckPlatform(ImageConfig.Parse(config).Platform, platform, label);
            return new SourceImage(label, bytes, manifest, config, _blobs);
        }
        throw new ContainerTasksException(ErrorCodes.InvalidSource, $"{label}: indexes are nested more than four deep.");
    }

    /// <summary>A single-platform image must be of the platform asked for: an amd64 base never becomes an "arm64" image.</summary>
    internal static void CheckPlatform(Platform actual, Platform? wanted, string label)
    {
        if (wanted is not null && !actual.Satisfies(wanted))
        {
            throw new ContainerTasksException(ErrorCodes.NoMatchingPlatform,
                $"The image '{label}' is for {actual}, not {wanted}. Choose a base image for {wanted}, or a multi-platform base that includes it.");
        }
    }

    /// <summary>CT1006 when the config of the image an index entry names is for another system than the one asked for.</summary>
    internal static void CheckSystem(Platform actual, Platform wanted, string label)
    {
        if (!string.Equals(actual.Os, wanted.Os, StringComparison.OrdinalIgnoreCase))
        {
            throw new ContainerTasksException(ErrorCodes.NoMatchingPlatform,
                $"The image '{label}' lists an image for {wanted.Os} whose config says it is for {actual}. The index is inconsistent: choose another base image or rebuild its index.");
        }
    }

    private static bool IsIndexDocument(byte[] bytes)
    {
        try
        {
            ImageIndex.Parse(bytes);
            return true;
        }
        catch (ContainerTasksException)
        {
            return false;
        }
    }

    private Descriptor SelectEntry(ImageIndex index, string? reference)
    {
        if (index.Manifests.Count == 0)
        {
            throw new ContainerTasksException(ErrorCodes.ImageNotInSource, $"{_name} holds no image (index.json lists nothing).");
        }
        if (reference is null)
        {
            // Artifacts about an image (SBOMs, provenance) are listed beside it: they are not images to choose from.
            var images = index.Manifests.Where(m => m.ArtifactType is null).ToList();
            if (images.Count == 1)
            {
                return images[0];
            }
            throw new ContainerTasksException(ErrorCodes.ImageNotInSource,
                $"{_name} holds {images.Count} images; name one ({Names(index)}), e.g. {_name}:{FirstName(index)}.");
        }
        if (Digest.TryParse(reference, out Digest digest))
        {
            Descriptor? byDigest = index.Manifests.FirstOrDefault(m => m.Digest == digest);
            if (byDigest is not null)
            {
                return byDigest;
            }
        }
        Descriptor? match = index.Manifests.LastOrDefault(m => m.Annotations is { } a
            && ((a.TryGetValue(RefNameAnnotation, out string? refName) && refName == reference)
                || (a.TryGetValue(ImageNameAnnotation, out string? fullName) && NamesMatch(fullName, reference))));
        return match ?? throw new ContainerTasksException(ErrorCodes.ImageNotInSource,
            $"{_name} has no image '{reference}'. It has: {Names(index)}.");
    }

    private static bool NamesMatch(string fullName, string reference)
    {
        if (fullName == reference)
        {
            return true;
        }
        return ImageReference.TryParse(fullName, out var a) && ImageReference.TryParse(reference, out var b) && a!.ToString() == b!.ToString();
    }

    private static string Names(ImageIndex index)
    {
        var names = index.Manifests.Select(m => m.Annotations is { } a && a.TryGetValue(RefNameAnnotation, out string? n) ? n : m.Digest.ToString()).ToList();
        return string.Join(", ", names);
    }

    private static string FirstName(ImageIndex index)
        => index.Manifests[0].Annotations is { } a && a.TryGetValue(RefNameAnnotation, out string? n) ? n : index.Manifests[0].Digest.ToString();

    private async Task<byte[]> ReadSmallBlobAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        const long limit = 16 * 1024 * 1024;
        if (descriptor.Size > limit)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidSource, $"{_name}: {descriptor.Digest} claims {descriptor.Size} bytes, too large for a manifest or config.");
        }
        await using Stream stream = await _blobs.OpenBlobAsync(descriptor, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        byte[] bytes = buffer.ToArray();
        if (bytes.Length != descriptor.Size || !descriptor.Digest.IsDigestOf(bytes))
        {
            throw new ContainerTasksException(ErrorCodes.DigestMismatch,
                $"{_name}: the blob {descriptor.Digest} does not match its descriptor (size or digest differ). The layout is corrupt; recreate it.");
        }
        return bytes;
    }
}
