using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Referrers;

namespace ContainerTasks.Supply.Signing;

/// <summary>What signing an image in a registry did.</summary>
/// <param name="Referrer">The digest of the referrer manifest that holds the signature (new, or there already).</param>
/// <param name="Changed">False when a bundle that verifies with the key was attached already and nothing was written.</param>
internal sealed record SignedImage(Digest Referrer, bool Changed);

/// <summary>
/// Signs an image pushed to a registry, once: the publish step and <c>ctimage sign</c>. What is attached already and
/// verifies with the key is kept and nothing is signed, so an unchanged image gets no new (randomized) signature.
/// </summary>
internal static class ImageSigner
{
    /// <summary>
    /// Signs <paramref name="subject"/> as <c>cosign sign</c> does (DSSE over the <c>https://sigstore.dev/cosign/sign/v1</c>
    /// statement of its digest) and attaches the bundle, unless such a bundle verifying with <paramref name="key"/> is there.
    /// </summary>
    public static Task<SignedImage> SignOnceAsync(RegistryClient client, string repository, Descriptor subject, SigningKey key, DateTimeOffset? created,
        CancellationToken cancellationToken)
        => AttachOnceAsync(client, repository, subject, key, InTotoStatement.CosignSign(subject.Digest), created, cancellationToken);

    /// <summary>
    /// Signs the in-toto statement <paramref name="statement"/> about <paramref name="subject"/> (e.g. its provenance) and
    /// attaches the DSSE bundle, unless a bundle of the same statement verifying with <paramref name="key"/> is there.
    /// The statement must name the subject's digest (the verifier checks it).
    /// </summary>
    public static Task<SignedImage> AttestOnceAsync(RegistryClient client, string repository, Descriptor subject, SigningKey key, byte[] statement,
        DateTimeOffset? created, CancellationToken cancellationToken)
        => AttachOnceAsync(client, repository, subject, key, statement, created, cancellationToken);

    private static async Task<SignedImage> AttachOnceAsync(RegistryClient client, string repository, Descriptor subject, SigningKey key, byte[] statement,
        DateTimeOffset? created, CancellationToken cancellationToken)
    {
        using VerificationKey publicKey = key.VerificationKey;
        AttachedBundle? there = await SignatureReferrers.FindVerifiedAsync(client, repository, subject.Digest, new BundleVerifier(publicKey),
            b => b.Content is DsseEnvelope d && d.Payload.AsSpan().SequenceEqual(statement), InTotoStatement.PredicateType(statement), cancellationToken).ConfigureAwait(false);
        if (there is not null)
        {
            return new SignedImage(there.Referrer, Changed: false);
        }
        ReferrerArtifact artifact = BundleSigner.ToReferrer(new BundleSigner(key).SignStatement(statement), created);
        AttachedReferrer attached = await new ReferrerAttacher(client).AttachAsync(repository, subject, artifact, cancellationToken).ConfigureAwait(false);
        return new SignedImage(attached.Manifest.Digest, Changed: true);
    }
}
