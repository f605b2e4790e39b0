using ContainerTasks.Building;

namespace ContainerTasks.Pipeline;

/// <summary>Where a build's image goes, chosen once from the request; a destination only writes, its steps change or follow.</summary>
internal abstract class ImageDestination
{
    /// <summary>The phase name in the detailed time line.</summary>
    public virtual string Phase => "output";

    /// <summary>Steps that change the image for this destination, run in order before <see cref="WriteAsync"/>.</summary>
    public virtual IReadOnlyList<IImageStep> StepsBefore => [];

    /// <summary>Steps run in order after <see cref="WriteAsync"/>.</summary>
    public virtual IReadOnlyList<IDeliveredImageStep> StepsAfter => [];

    /// <summary>Where a layer this build must compress is sent while it is compressed; null when it is only written when the image is.</summary>
    public virtual Layers.IBlobStreamTarget? LayerUploads => null;

    /// <summary>
    /// The images this destination holds now, whose layers a build may use by content instead of compressing its own;
    /// null for a destination that needs every layer's bytes from this build (then layers are not looked up elsewhere).
    /// </summary>
    public virtual Func<CancellationToken, Task<IReadOnlyList<CandidateImage>>>? CurrentImages => null;

    /// <summary>Writes the image.</summary>
    public abstract Task<Delivery> WriteAsync(ImageSet images, CancellationToken cancellationToken);

    /// <summary>True when this destination carries documents attached to the image (then they are made unless switched off).</summary>
    public virtual bool CarriesArtifacts => false;

    /// <summary>True when the documents go into what <see cref="WriteAsync"/> writes (an archive's or layout's <c>index.json</c>) rather than after it.</summary>
    public virtual bool HoldsArtifacts => false;

    /// <summary>Told the documents before <see cref="WriteAsync"/>, so that what needs no image (reading the referrers, uploading blobs) runs alongside it.</summary>
    public virtual void Expect(IReadOnlyList<ImageArtifact> documents, CancellationToken cancellationToken)
    {
    }

    /// <summary>
    /// Attaches documents about the written image (SBOMs, provenance) as OCI referrers; one result per artifact, in order,
    /// null for each this destination cannot carry.
    /// </summary>
    public virtual Task<IReadOnlyList<Registry.Referrers.AttachedReferrer?>> AttachAsync(IReadOnlyList<ImageArtifact> artifacts, CancellationToken cancellationToken)
        => Task.FromResult<IReadOnlyList<Registry.Referrers.AttachedReferrer?>>(new Registry.Referrers.AttachedReferrer?[artifacts.Count]);

    /// <summary>
    /// Signs each subject (with a statement: attests it) where this destination can carry signatures, once per key: one
    /// result per request, in order, null for each it cannot carry.
    /// </summary>
    public virtual Task<IReadOnlyList<Supply.Signing.SignedImage?>> SignAsync(Supply.Signing.SigningKey key, IReadOnlyList<SignatureRequest> requests,
        DateTimeOffset? created, CancellationToken cancellationToken)
        => Task.FromResult<IReadOnlyList<Supply.Signing.SignedImage?>>(new Supply.Signing.SignedImage?[requests.Count]);
}
