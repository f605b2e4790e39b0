using ContainerTasks.Model;

namespace ContainerTasks.Registry.Referrers;

/// <summary>
/// The OCI 1.1 image manifest that carries an artifact: <c>artifactType</c>, the empty config, the artifact as its one
/// layer, and the image as its <c>subject</c>. Same artifact and subject, same bytes.
/// </summary>
internal sealed class ArtifactManifest
{
    /// <summary>The empty JSON object the config points to (OCI image spec 1.1, "guidance for an empty descriptor").</summary>
    public static readonly byte[] EmptyConfig = "{}"u8.ToArray();

    /// <summary>The descriptor of <see cref="EmptyConfig"/>.</summary>
    public static readonly Descriptor EmptyDescriptor = new(MediaTypes.OciEmpty, Digest.Sha256(EmptyConfig), EmptyConfig.Length);

    private ArtifactManifest(ImageManifest manifest, Descriptor blob)
    {
        Manifest = manifest;
        Blob = blob;
        Bytes = manifest.ToBytes();
        Descriptor = new Descriptor(MediaTypes.OciManifest, Digest.Sha256(Bytes), Bytes.Length);
    }

    /// <summary>The manifest.</summary>
    public ImageManifest Manifest { get; }

    /// <summary>The artifact blob's descriptor.</summary>
    public Descriptor Blob { get; }

    /// <summary>The manifest's bytes.</summary>
    public byte[] Bytes { get; }

    /// <summary>The manifest's descriptor.</summary>
    public Descriptor Descriptor { get; }

    /// <summary>The entry of a referrers list for this manifest: its descriptor with the artifact type and manifest annotations.</summary>
    public Descriptor ReferrerEntry => Descriptor with { ArtifactType = Manifest.ArtifactType, Annotations = Manifest.Annotations };

    /// <summary>Builds the manifest that attaches <paramref name="artifact"/> to the image <paramref name="subject"/>.</summary>
    public static ArtifactManifest For(ReferrerArtifact artifact, Descriptor subject)
    {
        var blob = new Descriptor(artifact.MediaType, Digest.Sha256(artifact.Content), artifact.Content.Length)
        {
            Annotations = artifact.BlobAnnotations is { Count: > 0 } blobAnnotations ? blobAnnotations : null,
        };
        // Only what identifies the image: a subject with a platform or annotations would be another manifest for the same image.
        var manifest = new ImageManifest(MediaTypes.OciManifest, EmptyDescriptor, [blob])
        {
            ArtifactType = artifact.ArtifactType,
            Subject = new Descriptor(subject.MediaType, subject.Digest, subject.Size),
            Annotations = artifact.Annotations is { Count: > 0 } annotations ? annotations : null,
        };
        return new ArtifactManifest(manifest, blob);
    }
}
