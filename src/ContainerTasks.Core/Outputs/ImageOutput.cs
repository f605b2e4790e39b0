using ContainerTasks.Building;
using ContainerTasks.Model;

namespace ContainerTasks.Outputs;

/// <summary>Where a built image is written without a registry.</summary>
public enum OutputKind
{
    /// <summary>An OCI image layout folder.</summary>
    OciLayout,
    /// <summary>A tar of an OCI image layout.</summary>
    OciArchive,
    /// <summary>A tar that <c>docker load</c>, <c>podman load</c> and OCI tools all read: an OCI layout plus <c>manifest.json</c>.</summary>
    DockerArchive,
}

/// <summary>Writes built images to a folder or an archive file.</summary>
public static class ImageOutput
{
    /// <summary>
    /// Writes <paramref name="image"/> named <paramref name="names"/> to <c>oci:DIR</c>, <c>oci-archive:FILE</c> or
    /// <c>docker-archive:FILE</c>. Archive names ending in <c>.gz</c>/<c>.tgz</c> are gzip-compressed; others are plain tar.
    /// Returns the path written.
    /// </summary>
    public static Task<string> WriteAsync(string destination, BuiltImage image, IReadOnlyList<ImageReference> names, DateTimeOffset? timestamp = null, CancellationToken cancellationToken = default)
        => WriteAsync(destination, ImageSet.Single(image), names, timestamp, cancellationToken);

    /// <summary>Writes one image or a multi-platform set (its index and every platform, each blob once).</summary>
    public static Task<string> WriteAsync(string destination, ImageSet images, IReadOnlyList<ImageReference> names, DateTimeOffset? timestamp = null, CancellationToken cancellationToken = default)
    {
        var (kind, path) = Parse(destination);
        return WriteAsync(kind, path, images, names, timestamp, cancellationToken);
    }

    /// <summary>Writes to an output of the given kind at <paramref name="path"/>.</summary>
    public static Task<string> WriteAsync(OutputKind kind, string path, BuiltImage image, IReadOnlyList<ImageReference> names, DateTimeOffset? timestamp = null, CancellationToken cancellationToken = default)
        => WriteAsync(kind, path, ImageSet.Single(image), names, timestamp, cancellationToken);

    /// <summary>Writes a set to an output of the given kind at <paramref name="path"/>.</summary>
    public static async Task<string> WriteAsync(OutputKind kind, string path, ImageSet images, IReadOnlyList<ImageReference> names, DateTimeOffset? timestamp = null, CancellationToken cancellationToken = default)
    {
        path = Path.GetFullPath(path);
        switch (kind)
        {
            case OutputKind.OciLayout:
                await OciLayoutWriter.WriteAsync(path, images, names, cancellationToken).ConfigureAwait(false);
                break;
            default:
                await ArchiveWriter.WriteAsync(path, kind == OutputKind.DockerArchive, images, names, timestamp ?? Timestamps.Default, cancellationToken).ConfigureAwait(false);
                break;
        }
        return path;
    }

    /// <summary>Splits <c>transport:path</c>; CT5005 for an unknown transport.</summary>
    public static (OutputKind Kind, string Path) Parse(string destination)
    {
        int colon = destination.IndexOf(':');
        string transport = colon < 0 ? "" : destination[..colon];
        string path = colon < 0 ? "" : destination[(colon + 1)..];
        OutputKind? kind = transport switch
        {
            "oci" => OutputKind.OciLayout,
            "oci-archive" => OutputKind.OciArchive,
            "docker-archive" => OutputKind.DockerArchive,
            _ => null,
        };
        if (kind is null || path.Length == 0)
        {
            throw new ContainerTasksException(ErrorCodes.UnknownTransport,
                $"'{destination}' is not an output this tool writes. Use oci:DIR, oci-archive:FILE.tar or docker-archive:FILE.tar (.tar.gz to compress).");
        }
        return (kind.Value, path);
    }

    /// <summary>The index.json entries for an image: one per name, each with the tag as ref.name and the full name.</summary>
    internal static List<Descriptor> IndexEntries(ImageSet images, IReadOnlyList<ImageReference> names)
    {
        var entries = new List<Descriptor>();
        foreach (ImageReference name in names.Count == 0 ? [null!] : names)
        {
            var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
            if (name is not null)
            {
                annotations[Sources.LayoutResolver.ImageNameAnnotation] = name.ToString();
                if (name.Tag is not null)
                {
                    annotations[Sources.LayoutResolver.RefNameAnnotation] = name.Tag;
                }
            }
            entries.Add(images.Root with { Annotations = annotations.Count == 0 ? null : annotations });
        }
        return entries;
    }

    /// <summary>The blobs an output holds, each once, in digest order.</summary>
    internal static List<Descriptor> Blobs(ImageSet images)
        => images.Blobs.OrderBy(d => d.Digest.ToString(), StringComparer.Ordinal).ToList();

    internal const string OciLayoutFile = """{"imageLayoutVersion":"1.0.0"}""";
}
