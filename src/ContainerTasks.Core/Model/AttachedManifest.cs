namespace ContainerTasks.Model;

/// <summary>
/// A manifest about an image (an SBOM's, a provenance's) that an archive or layout holds next to it: listed in its
/// <c>index.json</c> as <see cref="Entry"/>, with every blob it needs stored.
/// </summary>
/// <param name="Entry">Its <c>index.json</c> entry: the manifest's descriptor with its artifact type.</param>
/// <param name="Blobs">The manifest itself, its config and its layers, with their bytes.</param>
internal sealed record AttachedManifest(Descriptor Entry, IReadOnlyList<AttachedBlob> Blobs);

/// <summary>A small blob held in memory.</summary>
internal sealed record AttachedBlob(Descriptor Descriptor, byte[] Bytes);
