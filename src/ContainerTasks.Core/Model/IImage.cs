namespace ContainerTasks.Model;

/// <summary>
/// One platform image: its manifest and config (bytes as written), its layers, and a reader for every blob it
/// references. A single image is also the set of itself, so it goes to any writer as it is.
/// </summary>
internal interface IImage : IImageSet
{
    /// <summary>The manifest.</summary>
    ImageManifest Manifest { get; }

    /// <summary>The manifest's bytes, as pushed or written.</summary>
    byte[] ManifestBytes { get; }

    /// <summary>The manifest digest: the image's identity.</summary>
    Digest ManifestDigest { get; }

    /// <summary>The config's bytes.</summary>
    byte[] ConfigBytes { get; }

    /// <summary>The image platform, from its config.</summary>
    Platform Platform { get; }

    /// <summary>The manifest's layers, bottom first, with what a writer needs to know of each.</summary>
    IReadOnlyList<ImageLayer> Layers { get; }

    /// <summary>The manifest's descriptor, with platform, for an index.</summary>
    Descriptor Descriptor => new(Manifest.MediaType, ManifestDigest, ManifestBytes.Length) { Platform = Platform };

    /// <summary>Forgets a damaged local copy of <paramref name="digest"/>, so the next build makes it again.</summary>
    /// <returns>True when the blob was a local copy of one of this image's new layers.</returns>
    bool DiscardLocalBlob(Digest digest) => false;

    /// <inheritdoc />
    IReadOnlyList<IImage> IImageSet.Images => [this];

    /// <inheritdoc />
    BuiltIndex? IImageSet.Index => null;
}
