using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Referrers;

namespace ContainerTasks.Supply.Signing;

/// <summary>One Sigstore bundle attached to an image, and what checking it found.</summary>
/// <param name="Referrer">The referrer manifest's digest.</param>
/// <param name="Check">Whether it verified, and why not.</param>
/// <param name="Bundle">The bundle; null when it could not be read.</param>
internal sealed record AttachedBundle(Digest Referrer, BundleCheck Check, SigstoreBundle? Bundle);

/// <summary>The Sigstore bundles attached to an image in a registry (OCI 1.1 referrers), fetched and checked.</summary>
internal static class SignatureReferrers
{
    /// <summary>What every bundle media type starts with (v0.1 to v0.3, both spellings): cosign looks for the same.</summary>
    public const string BundleMediaTypePrefix = "application/vnd.dev.sigstore.bundle";

    /// <summary>A bundle larger than this is not read (a referrer is anyone's to push).</summary>
    public const long MaxBundleBytes = 4 * 1024 * 1024;

    /// <summary>Bundles checked at most for one image: anyone who can push can attach more, and each is fetched.</summary>
    public const int MaxBundlesChecked = 64;

    /// <summary>
    /// Each bundle attached to <paramref name="subject"/> (the last <see cref="MaxBundlesChecked"/>), checked with
    /// <paramref name="verifier"/>; with <paramref name="predicateType"/>, only those annotated with it are fetched.
    /// </summary>
    public static async Task<IReadOnlyList<AttachedBundle>> CheckAllAsync(RegistryClient client, string repository, Digest subject, BundleVerifier verifier,
        CancellationToken cancellationToken, string? predicateType = null)
    {
        var checks = new List<AttachedBundle>();
        IReadOnlyList<Descriptor> referrers = await ReferrerList.ListReferrersAsync(client, repository, subject, null, cancellationToken).ConfigureAwait(false);
        var bundles = referrers.Where(r => r.ArtifactType?.StartsWith(BundleMediaTypePrefix, StringComparison.Ordinal) == true
            && (predicateType is null || r.Annotations?.GetValueOrDefault(BundleSigner.PredicateTypeAnnotation) == predicateType)).TakeLast(MaxBundlesChecked);
        foreach (Descriptor referrer in bundles)
        {
            checks.Add(await CheckAsync(client, repository, referrer.Digest, subject, verifier, cancellationToken).ConfigureAwait(false));
        }
        return checks;
    }

    /// <summary>
    /// The first bundle attached to <paramref name="subject"/> that verifies with <paramref name="verifier"/>'s key and
    /// is the one wanted (e.g. DSSE over the same statement); null when none is. A publish asks this before signing,
    /// so an image that is signed already is not signed again (ECDSA signatures differ each time).
    /// </summary>
    public static async Task<AttachedBundle?> FindVerifiedAsync(RegistryClient client, string repository, Digest subject, BundleVerifier verifier,
        Func<SigstoreBundle, bool> wanted, string? predicateType, CancellationToken cancellationToken)
    {
        IReadOnlyList<AttachedBundle> all = await CheckAllAsync(client, repository, subject, verifier, cancellationToken, predicateType).ConfigureAwait(false);
        return all.FirstOrDefault(b => b.Check.Verified && wanted(b.Bundle!));
    }

    // A referrer is anyone's to push: one that cannot be read is reported with its reason, and the others are still checked.
    private static async Task<AttachedBundle> CheckAsync(RegistryClient client, string repository, Digest referrer, Digest subject, BundleVerifier verifier,
        CancellationToken cancellationToken)
    {
        try
        {
            byte[]? json = await FetchBundleAsync(client, repository, referrer, cancellationToken).ConfigureAwait(false);
            if (json is null)
            {
                return new AttachedBundle(referrer, BundleCheck.Invalid("its manifest has no Sigstore bundle layer of at most 4 MiB"), null);
            }
            SigstoreBundle bundle = SigstoreBundle.Parse(json);
            return new AttachedBundle(referrer, verifier.Check(bundle, subject), bundle);
        }
        catch (ContainerTasksException e)
        {
            return new AttachedBundle(referrer, BundleCheck.Invalid($"{e.Code}: {e.Message}"), null);
        }
    }

    /// <summary>The bundle blob of the referrer manifest <paramref name="referrer"/>; null when it has none.</summary>
    private static async Task<byte[]?> FetchBundleAsync(RegistryClient client, string repository, Digest referrer, CancellationToken cancellationToken)
    {
        var (bytes, contentType) = await client.GetManifestAsync(repository, referrer.ToString(), cancellationToken).ConfigureAwait(false);
        Descriptor? layer = ImageManifest.Parse(bytes, contentType).Layers
            .FirstOrDefault(l => l.MediaType.StartsWith(BundleMediaTypePrefix, StringComparison.Ordinal) && l.Size <= MaxBundleBytes);
        if (layer is null)
        {
            return null;
        }
        using var content = new MemoryStream();
        await using (Stream blob = await client.OpenBlobAsync(repository, layer, cancellationToken).ConfigureAwait(false))
        {
            await blob.CopyToAsync(content, cancellationToken).ConfigureAwait(false);
        }
        byte[] read = content.ToArray();
        return Digest.Sha256(read) == layer.Digest ? read
            : throw new ContainerTasksException(ErrorCodes.RegistryDigestMismatch, $"{client.Registry}/{repository} sent a signature bundle that does not match its digest {layer.Digest}.");
    }
}
