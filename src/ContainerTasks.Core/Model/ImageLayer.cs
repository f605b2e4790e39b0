namespace ContainerTasks.Model;

/// <summary>
/// One layer of an image as a writer sees it: its blob (media type, digest, size), the digest of its content,
/// and where a registry may already hold it.
/// </summary>
/// <param name="Descriptor">The blob, as the manifest lists it.</param>
/// <param name="DiffId">The digest of the uncompressed content (the config's <c>rootfs.diff_ids</c> entry).</param>
internal sealed record ImageLayer(Descriptor Descriptor, Digest DiffId)
{
    /// <summary>The repository the blob can be mounted from on its registry (the base image's); null when it has none.</summary>
    public ImageReference? MountFrom { get; init; }

    /// <summary>True for a layer the build added (not one of the base's).</summary>
    public bool IsNew { get; init; }

    /// <summary>True when this process has just written the blob, so reading it back needs no digest check.</summary>
    public bool WrittenNow { get; init; }
}
