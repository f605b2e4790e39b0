using ContainerTasks.Model;

namespace ContainerTasks.Registry.Referrers;

/// <summary>What attaching an artifact did.</summary>
/// <param name="Manifest">The artifact manifest's descriptor (as listed among the image's referrers).</param>
/// <param name="ThroughReferrersApi">True when the registry lists it itself (it answered the manifest PUT with <c>OCI-Subject</c>, or its referrers API lists it).</param>
/// <param name="Changed">False when everything was there already and nothing was written.</param>
internal sealed record AttachedReferrer(Descriptor Manifest, bool ThroughReferrersApi, bool Changed);

/// <summary>
/// Attaches an artifact to an image pushed to a registry, as an OCI 1.1 referrer: the blobs, then the artifact manifest by
/// digest. A registry with the referrers API lists it from there; for any other the <c>sha256-HEX</c> tag's index is
/// updated by read-modify-write, which keeps every other entry and is tried again (bounded, with jitter) until a re-read
/// shows our entry, so two builds attaching at once both end up listed. What is there already is not sent again.
/// </summary>
internal sealed class ReferrerAttacher(RegistryClient client)
{
    /// <summary>Read-modify-write rounds of the tag index before CT3019.</summary>
    public const int MaxIndexAttempts = 8;

    /// <summary>Attaches <paramref name="artifact"/> to <paramref name="subject"/> in <paramref name="repository"/>.</summary>
    public async Task<AttachedReferrer> AttachAsync(string repository, Descriptor subject, ReferrerArtifact artifact, CancellationToken cancellationToken)
    {
        ArtifactManifest manifest = ArtifactManifest.For(artifact, subject);
        bool uploaded = await UploadIfAbsentAsync(repository, ArtifactManifest.EmptyDescriptor, ArtifactManifest.EmptyConfig, cancellationToken).ConfigureAwait(false);
        uploaded |= await UploadIfAbsentAsync(repository, manifest.Blob, artifact.Content, cancellationToken).ConfigureAwait(false);
        string digest = manifest.Descriptor.Digest.ToString();
        if (await client.HeadManifestAsync(repository, digest, cancellationToken).ConfigureAwait(false) is null)
        {
            ManifestPutResult put = await PutArtifactManifestAsync(repository, manifest, cancellationToken).ConfigureAwait(false);
            if (put.Subject is not null)
            {
                return new AttachedReferrer(manifest.Descriptor, ThroughReferrersApi: true, Changed: true);
            }
            uploaded = true;
        }
        else if (await ApiListsAsync(repository, subject.Digest, manifest.Descriptor.Digest, cancellationToken).ConfigureAwait(false))
        {
            return new AttachedReferrer(manifest.Descriptor, ThroughReferrersApi: true, Changed: uploaded);
        }
        bool indexChanged = await AddToTagIndexAsync(repository, subject.Digest, manifest.ReferrerEntry, cancellationToken).ConfigureAwait(false);
        return new AttachedReferrer(manifest.Descriptor, ThroughReferrersApi: false, Changed: uploaded || indexChanged);
    }

    private async Task<bool> UploadIfAbsentAsync(string repository, Descriptor blob, byte[] content, CancellationToken cancellationToken)
    {
        if (await client.BlobExistsAsync(repository, blob.Digest, forPush: true, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        await client.UploadBlobAsync(repository, blob, _ => Task.FromResult<Stream>(new MemoryStream(content, writable: false)), cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task<ManifestPutResult> PutArtifactManifestAsync(string repository, ArtifactManifest manifest, CancellationToken cancellationToken)
    {
        try
        {
            return await client.PutManifestAsync(repository, manifest.Descriptor.Digest.ToString(), manifest.Bytes, MediaTypes.OciManifest, cancellationToken).ConfigureAwait(false);
        }
        catch (ContainerTasksException e) when (e.Code == ErrorCodes.RegistryError)
        {
            throw new ContainerTasksException(ErrorCodes.ReferrerRefused,
                $"{client.Registry}/{repository} refused the {manifest.Manifest.ArtifactType} artifact attached to {manifest.Manifest.Subject!.Digest} (an OCI 1.1 manifest with a subject): {e.Message}", e);
        }
    }

    /// <summary>True when the registry's referrers API lists <paramref name="referrer"/> (false when it has no such API).</summary>
    private async Task<bool> ApiListsAsync(string repository, Digest subject, Digest referrer, CancellationToken cancellationToken)
    {
        IReadOnlyList<Descriptor>? listed = await ReferrerList.FromApiAsync(client, repository, subject, null, cancellationToken).ConfigureAwait(false);
        return listed is not null && listed.Any(d => d.Digest == referrer);
    }

    /// <summary>Adds the entry to the tag's index; false when it was listed already (nothing written).</summary>
    private async Task<bool> AddToTagIndexAsync(string repository, Digest subject, Descriptor entry, CancellationToken cancellationToken)
    {
        string tag = ReferrersTagIndex.TagFor(subject);
        string where = $"The referrers tag {client.Registry}/{repository}:{tag}";
        for (int attempt = 1; attempt <= MaxIndexAttempts; attempt++)
        {
            FetchedManifest? fetched = await client.TryGetManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false);
            ImageIndex current = fetched is null ? ReferrersTagIndex.Empty : ReferrersTagIndex.Parse(fetched, where);
            if (ReferrersTagIndex.With(current, entry) is not { } updated)
            {
                return attempt > 1;
            }
            ManifestPutResult put = await client.PutManifestAsync(repository, tag, updated.ToBytes(), MediaTypes.OciIndex, cancellationToken,
                ifMatch: fetched?.ETag).ConfigureAwait(false);
            // A registry that ignores If-Match (Distribution) lets a build that read before our PUT write after it: the
            // re-read waits a moment so such a write lands before it, and then shows our entry missing.
            if (!put.PreconditionFailed && await SettledTagListsAsync(repository, tag, where, entry.Digest, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
            client.Detail($"{where} changed while it was updated (another build attached at once); reading it again ({attempt}/{MaxIndexAttempts}).");
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(20, 120) * attempt), cancellationToken).ConfigureAwait(false);
        }
        throw new ContainerTasksException(ErrorCodes.ReferrersIndexUnusable,
            $"{where} could not be updated: after {MaxIndexAttempts} read-modify-write attempts it still did not list {entry.Digest} (other builds kept replacing it). Publish again.");
    }

    private async Task<bool> SettledTagListsAsync(string repository, string tag, string where, Digest digest, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(100, 200)), cancellationToken).ConfigureAwait(false);
        FetchedManifest? reread = await client.TryGetManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false);
        return reread is not null && ReferrersTagIndex.Contains(ReferrersTagIndex.Parse(reread, where), digest);
    }
}
