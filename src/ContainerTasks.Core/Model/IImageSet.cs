namespace ContainerTasks.Model;

/// <summary>
/// What a tag points at: one image, or several platform images under an index. Every writer (registry, archive,
/// OCI layout, local engine) takes one, so any image, built or read, can be written anywhere.
/// </summary>
internal interface IImageSet : IBlobReader
{
    /// <summary>The platform images (one for a single-platform image).</summary>
    IReadOnlyList<IImage> Images { get; }

    /// <summary>The index over <see cref="Images"/>; null for a single image.</summary>
    BuiltIndex? Index { get; }

    /// <summary>What a tag points at: the index, or the single image (with its platform).</summary>
    Descriptor Root => Index?.Descriptor ?? Images[0].Descriptor;

    /// <summary>Manifests about the images that an archive or layout holds next to them (SBOMs, provenance); none unless attached.</summary>
    IReadOnlyList<AttachedManifest> Attached => [];

    /// <summary>The layers and configs of every image, each once: what a push uploads before the manifests.
    /// Foreign (non-distributable) base layers are left out: they are never copied or uploaded.</summary>
    IEnumerable<Descriptor> ContentBlobs
        => Images.SelectMany(image => image.Layers
                .Where(l => !MediaTypes.IsNonDistributable(l.Descriptor.MediaType) || l.IsNew)
                .Select(l => l.Descriptor)
                .Append(image.Manifest.Config))
            .DistinctBy(d => d.Digest);

    /// <summary>Every blob an output holds: the content blobs, each image's manifest, the index, then what is attached; each once.</summary>
    IEnumerable<Descriptor> AllBlobs
    {
        get
        {
            var all = ContentBlobs.Concat(Images.Select(i => i.Descriptor));
            if (Index is not null)
            {
                all = all.Append(Index.Descriptor);
            }
            return all.Concat(Attached.SelectMany(a => a.Blobs).Select(b => b.Descriptor)).DistinctBy(d => d.Digest);
        }
    }

    /// <summary>The layer with <paramref name="digest"/>, in whichever image has it; null when none does.</summary>
    ImageLayer? FindLayer(Digest digest)
        => Images.SelectMany(i => i.Layers).FirstOrDefault(l => l.Descriptor.Digest == digest);
}
