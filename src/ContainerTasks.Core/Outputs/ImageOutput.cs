using ContainerTasks.Model;

namespace ContainerTasks.Outputs;

/// <summary>Writes images to a folder or an archive file.</summary>
public static class ImageOutput
{
    /// <summary>
    /// Writes <paramref name="images"/> (one image, or a multi-platform set: its index and every platform, each blob once)
    /// named <paramref name="names"/> to <c>oci:DIR</c>, <c>oci-archive:FILE</c> or <c>docker-archive:FILE</c>. Archive
    /// names ending in <c>.gz</c>/<c>.tgz</c> are gzip-compressed; others are plain tar. Returns the path written.
    /// </summary>
    internal static Task<string> WriteAsync(string destination, IImageSet images, IReadOnlyList<ImageReference> names, DateTimeOffset? timestamp = null, CancellationToken cancellationToken = default)
    {
        var (kind, path) = Parse(destination);
        return WriteAsync(kind, path, images, names, timestamp, cancellationToken);
    }

    /// <summary>Writes one image or a set to an output of the given kind at <paramref name="path"/>.</summary>
    internal static async Task<string> WriteAsync(OutputKind kind, string path, IImageSet images, IReadOnlyList<ImageReference> names, DateTimeOffset? timestamp = null, CancellationToken cancellationToken = default)
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

    /// <summary>
    /// Writes one image or a set as an archive of the given kind (not compressed) into <paramref name="output"/>, which is
    /// left open: a request body that is sent while it is written.
    /// </summary>
    internal static Task WriteAsync(OutputKind kind, Stream output, IImageSet images, IReadOnlyList<ImageReference> names, DateTimeOffset? timestamp = null, CancellationToken cancellationToken = default)
        => kind == OutputKind.OciLayout
            ? throw new ArgumentException("An OCI layout is a folder, not a stream.", nameof(kind))
            : ArchiveWriter.WriteAsync(output, kind == OutputKind.DockerArchive, images, names, timestamp ?? Timestamps.Default, cancellationToken);

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

    /// <summary>The index.json entries for an image: one per name, each with the tag as ref.name and the full name; then what is attached.</summary>
    internal static List<Descriptor> IndexEntries(IImageSet images, IReadOnlyList<ImageReference> names)
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
        entries.AddRange(images.Attached.Select(a => a.Entry));
        return entries;
    }

    /// <summary>The blobs an output holds, each once, in digest order.</summary>
    internal static List<Descriptor> Blobs(IImageSet images)
        => images.AllBlobs.OrderBy(d => d.Digest.ToString(), StringComparer.Ordinal).ToList();

    internal const string OciLayoutFile = """{"imageLayoutVersion":"1.0.0"}""";
}
