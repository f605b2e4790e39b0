using ContainerTasks.Model;

namespace ContainerTasks.Registry.Referrers;

/// <summary>What attaching an artifact did.</summary>
/// <param name="Manifest">The artifact manifest's descriptor (as listed among the image's referrers).</param>
/// <param name="ThroughReferrersApi">True when the registry lists it itself (it answered the manifest PUT with <c>OCI-Subject</c>, or its referrers API lists it).</param>
/// <param name="Changed">False when everything was there already and nothing was written.</param>
internal sealed record AttachedReferrer(Descriptor Manifest, bool ThroughReferrersApi, bool Changed);

/// <summary>What <see cref="ReferrerAttacher.PrepareAsync"/> found and did for one image, for <see cref="ReferrerAttacher.CompleteAsync"/>.</summary>
/// <param name="Repository">The repository.</param>
/// <param name="Tag">The image's referrers tag (<c>sha256-HEX</c>).</param>
/// <param name="Manifests">The artifact manifests, in the order of the artifacts.</param>
/// <param name="Listed">The referrers listed already (by the API or the tag's index).</param>
/// <param name="InTag">Those of <paramref name="Listed"/> the tag's index lists.</param>
/// <param name="HasApi">True when the registry answered the referrers API.</param>
/// <param name="TagIndex">The tag's index as read (null when absent, or not read: a registry with the API).</param>
/// <param name="Contents">Each artifact's content, in the order of <paramref name="Manifests"/> (sent again when the registry lost it).</param>
internal sealed record AttachPlan(string Repository, string Tag, IReadOnlyList<ArtifactManifest> Manifests, IReadOnlySet<Digest> Listed, IReadOnlySet<Digest> InTag,
    bool HasApi, FetchedManifest? TagIndex, IReadOnlyList<byte[]> Contents);

/// <summary>
/// Attaches artifacts to an image pushed to a registry, as OCI 1.1 referrers: the blobs, then each artifact manifest by
/// digest. A registry with the referrers API lists them from there; for any other the <c>sha256-HEX</c> tag's index is
/// updated by read-modify-write, which keeps every other entry and is tried again (bounded, with jitter) until a re-read
/// shows our entries, so two builds attaching at once both end up listed. What is listed already is not sent again: a
/// build that changed nothing asks the referrers API and, on a registry without it (a 404), the tag's index.
/// </summary>
internal sealed class ReferrerAttacher(RegistryClient client)
{
    /// <summary>Read-modify-write rounds of the tag index before CT3019.</summary>
    public const int MaxIndexAttempts = 8;

    /// <summary>Attaches <paramref name="artifact"/> to <paramref name="subject"/> in <paramref name="repository"/>.</summary>
    public async Task<AttachedReferrer> AttachAsync(string repository, Descriptor subject, ReferrerArtifact artifact, CancellationToken cancellationToken)
        => (await AttachAllAsync(repository, subject, [artifact], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Attaches every artifact to <paramref name="subject"/>, with one update of the tag index for them all; results in the same order.</summary>
    public async Task<IReadOnlyList<AttachedReferrer>> AttachAllAsync(string repository, Descriptor subject, IReadOnlyList<ReferrerArtifact> artifacts,
        CancellationToken cancellationToken)
        => await CompleteAsync(await PrepareAsync(repository, subject, artifacts, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// What needs no image: what the image's referrers list holds already, and the blobs of those it lacks, uploaded. A
    /// publish runs this while it pushes the image, and <see cref="CompleteAsync"/> after.
    /// </summary>
    public async Task<AttachPlan> PrepareAsync(string repository, Descriptor subject, IReadOnlyList<ReferrerArtifact> artifacts, CancellationToken cancellationToken)
    {
        List<ArtifactManifest> manifests = artifacts.Select(a => ArtifactManifest.For(a, subject)).ToList();
        string tag = ReferrersTagIndex.TagFor(subject.Digest);
        // The API when the registry has it (the spec's order); else the tag's index, read once and kept as the first round's base.
        IReadOnlyList<Descriptor>? api = await ReferrerList.FromApiAsync(client, repository, subject.Digest, null, cancellationToken).ConfigureAwait(false);
        FetchedManifest? tagIndex = api is null ? await client.TryGetManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false) : null;
        HashSet<Digest> inTag = ListedIn(tagIndex, Where(repository, tag));
        HashSet<Digest> listed = [.. inTag, .. (api ?? []).Select(d => d.Digest)];
        var missing = manifests.Select((m, i) => (Manifest: m, Content: artifacts[i].Content)).Where(m => !listed.Contains(m.Manifest.Descriptor.Digest)).ToList();
        if (missing.Count > 0)
        {
            var blobs = missing.Select(m => (m.Manifest.Blob, m.Content)).Prepend((ArtifactManifest.EmptyDescriptor, ArtifactManifest.EmptyConfig)).DistinctBy(b => b.Item1.Digest);
            await Task.WhenAll(blobs.Select(b => UploadIfAbsentAsync(repository, b.Item1, b.Item2, cancellationToken))).ConfigureAwait(false);
        }
        return new AttachPlan(repository, tag, manifests, listed, inTag, api is not null, tagIndex, artifacts.Select(a => a.Content).ToList());
    }

    /// <summary>Puts the artifact manifests the plan found missing (side by side), then adds those the registry does not list itself to the tag's index at once.</summary>
    public async Task<IReadOnlyList<AttachedReferrer>> CompleteAsync(AttachPlan plan, CancellationToken cancellationToken)
    {
        var missing = plan.Manifests.Where(m => !plan.Listed.Contains(m.Descriptor.Digest)).ToList();
        var contents = plan.Manifests.Zip(plan.Contents).DistinctBy(p => p.First.Descriptor.Digest).ToDictionary(p => p.First.Descriptor.Digest, p => p.Second);
        ManifestPutResult[] puts = await Task.WhenAll(missing.Select(m => PutArtifactManifestAsync(plan.Repository, m, contents[m.Descriptor.Digest], cancellationToken)))
            .ConfigureAwait(false);
        var needTag = missing.Where((_, i) => puts[i].Subject is null).Select(m => m.ReferrerEntry).ToList();
        if (needTag.Count > 0)
        {
            await AddToTagIndexAsync(plan.Repository, plan.Tag, needTag, cancellationToken).ConfigureAwait(false);
        }
        return plan.Manifests.Select(m => missing.IndexOf(m) is var i and >= 0
            ? new AttachedReferrer(m.Descriptor, ThroughReferrersApi: puts[i].Subject is not null, Changed: true)
            : new AttachedReferrer(m.Descriptor, ThroughReferrersApi: !plan.InTag.Contains(m.Descriptor.Digest), Changed: false)).ToList();
    }

    private string Where(string repository, string tag) => $"The referrers tag {client.Registry}/{repository}:{tag}";

    private static HashSet<Digest> ListedIn(FetchedManifest? fetched, string where)
        => fetched is null ? [] : [.. ReferrersTagIndex.Parse(fetched, where).Manifests.Select(m => m.Digest)];

    private async Task UploadIfAbsentAsync(string repository, Descriptor blob, byte[] content, CancellationToken cancellationToken)
    {
        if (!await client.BlobExistsAsync(repository, blob.Digest, forPush: true, cancellationToken).ConfigureAwait(false))
        {
            await client.UploadBlobAsync(repository, blob, _ => Task.FromResult<Stream>(new MemoryStream(content, writable: false)), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Times a manifest is put when the registry says one of its blobs is unknown.</summary>
    internal const int MaxPutAttempts = 3;

    private async Task<ManifestPutResult> PutArtifactManifestAsync(string repository, ArtifactManifest manifest, byte[] content, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await client.PutManifestAsync(repository, manifest.Descriptor.Digest.ToString(), manifest.Bytes, MediaTypes.OciManifest, cancellationToken).ConfigureAwait(false);
            }
            catch (ContainerTasksException e) when (attempt < MaxPutAttempts && RegistryErrors.IsBlobUnknown(e))
            {
                // Another build uploading the same small blob at once makes the Distribution registry rewrite the blob's
                // link in the repository while this manifest is checked, which then reads it empty; an eventually
                // consistent store loses a blob for a moment. After a pause, the blobs are sent if absent, and the manifest again.
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt + Random.Shared.Next(100)), cancellationToken).ConfigureAwait(false);
                await UploadIfAbsentAsync(repository, ArtifactManifest.EmptyDescriptor, ArtifactManifest.EmptyConfig, cancellationToken).ConfigureAwait(false);
                await UploadIfAbsentAsync(repository, manifest.Blob, content, cancellationToken).ConfigureAwait(false);
            }
            catch (ContainerTasksException e) when (e.Code == ErrorCodes.RegistryError)
            {
                throw new ContainerTasksException(ErrorCodes.ReferrerRefused,
                    $"{client.Registry}/{repository} refused the {manifest.Manifest.ArtifactType} artifact attached to {manifest.Manifest.Subject!.Digest} (an OCI 1.1 manifest with a subject): {e.Message}", e);
            }
        }
    }

    /// <summary>Adds the entries to the tag's index, read again just before each write.</summary>
    private async Task AddToTagIndexAsync(string repository, string tag, IReadOnlyList<Descriptor> entries, CancellationToken cancellationToken)
    {
        string where = Where(repository, tag);
        for (int attempt = 1; attempt <= MaxIndexAttempts; attempt++)
        {
            // Read just before the write, every time: what was read before the manifests were put (blob uploads, a
            // retried manifest) is old by then, and a write on it would drop what another build added meanwhile.
            FetchedManifest? fetched = await client.TryGetManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false);
            ImageIndex current = fetched is null ? ReferrersTagIndex.Empty : ReferrersTagIndex.Parse(fetched, where);
            if (ReferrersTagIndex.With(current, entries) is not { } updated)
            {
                return;
            }
            ManifestPutResult put = await client.PutManifestAsync(repository, tag, updated.ToBytes(), MediaTypes.OciIndex, cancellationToken,
                ifMatch: fetched?.ETag).ConfigureAwait(false);
            // A registry that ignores If-Match (Distribution) lets a build that read before our PUT write after it: the
            // re-read waits a moment so such a write lands before it, and then shows our entries missing.
            if (!put.PreconditionFailed && await SettledTagListsAsync(repository, tag, where, entries, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
            client.Detail($"{where} changed while it was updated (another build attached at once); reading it again ({attempt}/{MaxIndexAttempts}).");
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(20, 120) * attempt), cancellationToken).ConfigureAwait(false);
        }
        throw new ContainerTasksException(ErrorCodes.ReferrersIndexUnusable,
            $"{where} could not be updated: after {MaxIndexAttempts} read-modify-write attempts it still did not list {string.Join(", ", entries.Select(e => e.Digest))} (other builds kept replacing it). Publish again.");
    }

    // Read twice after a pause each: a build that read before our write may write a little later still, and the
    // Distribution registry, which writes a tag's link in place, may answer a read made meanwhile as if there were no tag.
    private async Task<bool> SettledTagListsAsync(string repository, string tag, string where, IReadOnlyList<Descriptor> entries, CancellationToken cancellationToken)
    {
        foreach (var (from, to) in new[] { (50, 100), (150, 250) })
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(from, to)), cancellationToken).ConfigureAwait(false);
            FetchedManifest? reread = await client.TryGetManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false);
            if (reread is null || !entries.All(e => ReferrersTagIndex.Contains(ReferrersTagIndex.Parse(reread, where), e.Digest)))
            {
                return false;
            }
        }
        return true;
    }
}
