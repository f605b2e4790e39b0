using ContainerTasks.Model;
using ContainerTasks.Registry.Referrers;

namespace ContainerTasks.Supply.Signing;

/// <summary>
/// Signs with a key into Sigstore bundles v0.3, and makes the referrer that carries a bundle. ECDSA signatures are
/// randomized (the BCL has no RFC 6979), so signing twice gives two bundles: a caller that must not change an image
/// that has not changed signs through <see cref="ImageSigner"/>, which first looks for a signature that is there.
/// </summary>
internal sealed class BundleSigner(SigningKey key)
{
    /// <summary>The manifest annotation saying what a bundle holds (cosign: <c>dsse-envelope</c>).</summary>
    public const string ContentAnnotation = "dev.sigstore.bundle.content";

    /// <summary>The manifest annotation with the predicate type of a DSSE bundle's statement.</summary>
    public const string PredicateTypeAnnotation = "dev.sigstore.bundle.predicateType";

    /// <summary>
    /// What <c>cosign sign</c> (cosign 3, new bundle format) attaches to an image: a DSSE envelope over the in-toto
    /// statement whose one subject is <paramref name="manifest"/> and whose predicate type is <c>https://sigstore.dev/cosign/sign/v1</c>.
    /// </summary>
    public SigstoreBundle SignImage(Digest manifest) => SignStatement(InTotoStatement.CosignSign(manifest));

    /// <summary>A DSSE envelope (<c>application/vnd.in-toto+json</c>) over the in-toto statement <paramref name="statement"/> (e.g. provenance).</summary>
    public SigstoreBundle SignStatement(byte[] statement)
    {
        byte[] signature = key.SignData(Dsse.Pae(Dsse.InTotoPayloadType, statement));
        return new SigstoreBundle(key.Hint, new DsseEnvelope(statement, Dsse.InTotoPayloadType, signature, key.Hint));
    }

    /// <summary>
    /// A message signature over the bytes whose SHA-256 is <paramref name="digest"/> (what <c>cosign sign-blob</c>
    /// writes): signing the digest is signing the bytes, so a manifest is signed by its digest alone.
    /// </summary>
    public SigstoreBundle SignDigest(Digest digest)
    {
        byte[] sha256 = Convert.FromHexString(digest.Algorithm == "sha256" ? digest.Hex
            : throw new ArgumentException($"a message signature is over a sha256 digest, not {digest.Algorithm}", nameof(digest)));
        return new SigstoreBundle(key.Hint, new MessageSignature(sha256, key.SignHash(sha256)));
    }

    /// <summary>
    /// The referrer that carries <paramref name="bundle"/>, as cosign 3 attaches one: artifact type and blob media type
    /// <see cref="SigstoreBundle.MediaType"/>, annotations <c>dev.sigstore.bundle.content</c> and, for a DSSE bundle,
    /// <c>dev.sigstore.bundle.predicateType</c>; <c>org.opencontainers.image.created</c> only when <paramref name="created"/>
    /// is given (cosign writes the clock; a build passes SOURCE_DATE_EPOCH or nothing, so the manifest stays the same).
    /// </summary>
    public static ReferrerArtifact ToReferrer(SigstoreBundle bundle, DateTimeOffset? created = null)
    {
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (created is { } time)
        {
            annotations["org.opencontainers.image.created"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        }
        switch (bundle.Content)
        {
            case DsseEnvelope envelope:
                annotations[ContentAnnotation] = "dsse-envelope";
                if (InTotoStatement.PredicateType(envelope.Payload) is { } predicateType)
                {
                    annotations[PredicateTypeAnnotation] = predicateType;
                }
                break;
            case MessageSignature:
                annotations[ContentAnnotation] = "message-signature";
                break;
        }
        return new ReferrerArtifact(SigstoreBundle.MediaType, SigstoreBundle.MediaType, bundle.ToJson()) { Annotations = annotations };
    }
}
