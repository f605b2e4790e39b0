using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Registry.Referrers;

namespace ContainerTasks.Supply.Signing;

/// <summary>One signature bundle attached to an image, as <c>ctimage verify</c> reports it.</summary>
/// <param name="Referrer">The digest of the referrer manifest that carries the bundle.</param>
/// <param name="Verified">True when it verifies with the key and signs the image.</param>
/// <param name="Reason">Why it does not; empty when it does.</param>
public sealed record SignatureResult(string Referrer, bool Verified, string Reason);

/// <summary>The signatures of an image checked against a key.</summary>
/// <param name="Image">The image's digest (a tag is resolved first).</param>
/// <param name="Signatures">Each Sigstore bundle attached to it, checked.</param>
public sealed record SignatureReport(string Image, IReadOnlyList<SignatureResult> Signatures)
{
    /// <summary>True when at least one signature verifies.</summary>
    public bool Verified => Signatures.Any(s => s.Verified);
}

/// <summary>Signing and verifying images in a registry with a key, for front ends (<c>ctimage sign</c>, <c>ctimage verify</c>).</summary>
public static class ImageSignatures
{
    /// <summary>
    /// Checks the Sigstore bundles attached to <paramref name="reference"/> (a tag is resolved to its digest; an index
    /// is checked as the index, not its images) against the <c>PUBLIC KEY</c> PEM <paramref name="publicKeyPem"/>.
    /// </summary>
    public static async Task<SignatureReport> VerifyAsync(string reference, string publicKeyPem, IReadOnlyDictionary<string, string> environment,
        Action<string>? log, CancellationToken cancellationToken, bool attestations = false)
    {
        using VerificationKey key = VerificationKey.FromPem(publicKeyPem);
        ImageReference image = ImageReference.Parse(reference);
        using var session = new RegistrySession(environment, image.Registry, null, log);
        RegistryClient client = session.Client(image.Registry, image.Repository, RegistryRole.Pull);
        Digest subject = image.Digest ?? await ImageReferrers.ResolveAsync(client, image, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<AttachedBundle> bundles = await SignatureReferrers.CheckAllAsync(client, image.Repository, subject,
            new BundleVerifier(key, attestations ? null : InTotoStatement.CosignSignPredicateType), cancellationToken)
            .ConfigureAwait(false);
        return new SignatureReport(subject.ToString(), bundles.Select(b => new SignatureResult(b.Referrer.ToString(), b.Check.Verified, b.Check.Reason)).ToList());
    }

    /// <summary>
    /// Signs <paramref name="reference"/> as <c>cosign sign</c> does (a DSSE bundle over the <c>https://sigstore.dev/cosign/sign/v1</c>
    /// statement of its digest) and attaches the bundle, unless a bundle that verifies with the key is attached already.
    /// <paramref name="keySpec"/> and <paramref name="passwordSpec"/> are read as <c>ContainerSigningKey</c> and
    /// <c>ContainerSigningKeyPassword</c> are. Returns the digest of the referrer that holds the signature.
    /// </summary>
    public static async Task<string> SignAsync(string reference, string keySpec, string? passwordSpec, IReadOnlyDictionary<string, string> environment,
        Action<string>? log, CancellationToken cancellationToken)
    {
        using SigningKey key = SigningKey.Load(keySpec, passwordSpec, environment);
        ImageReference image = ImageReference.Parse(reference);
        using var session = new RegistrySession(environment, image.Registry, null, log);
        RegistryClient client = session.Client(image.Registry, image.Repository, RegistryRole.Push);
        // What is signed is the digest of the bytes read, never a digest the registry names in a header.
        var (bytes, contentType) = await client.GetManifestAsync(image.Repository, image.ManifestReference, cancellationToken).ConfigureAwait(false);
        Digest digest = Digest.Sha256(bytes);
        if (image.Digest is { } asked && asked != digest)
        {
            throw new ContainerTasksException(ErrorCodes.RegistryDigestMismatch, $"{image.Registry}/{image.Repository} sent a manifest whose digest is {digest}, not {asked}; nothing was signed.");
        }
        var subject = new Descriptor(contentType is { Length: > 0 } type ? type : MediaTypes.OciManifest, digest, bytes.Length);
        SignedImage signed = await ImageSigner.SignOnceAsync(client, image.Repository, subject, key,
            Timestamps.FromSourceDateEpoch(environment.GetValueOrDefault("SOURCE_DATE_EPOCH")), cancellationToken).ConfigureAwait(false);
        if (!signed.Changed)
        {
            log?.Invoke($"{image.Registry}/{image.Repository}@{digest} is signed with this key already ({signed.Referrer}); nothing written.");
        }
        return signed.Referrer.ToString();
    }
}
