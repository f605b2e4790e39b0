using ContainerTasks.Model;

namespace ContainerTasks.Registry.Referrers;

/// <summary>Lists what is attached to an image: the registry's referrers API, else the referrers tag schema's index.</summary>
internal static class ReferrerList
{
    /// <summary>
    /// The referrers of <paramref name="subject"/> in <paramref name="repository"/>, only those of
    /// <paramref name="artifactType"/> when given; empty when none are attached.
    /// </summary>
    public static async Task<IReadOnlyList<Descriptor>> ListReferrersAsync(RegistryClient client, string repository, Digest subject, string? artifactType,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<Descriptor> listed;
        if (await FromApiAsync(client, repository, subject, artifactType, cancellationToken).ConfigureAwait(false) is { } api)
        {
            listed = api;
        }
        else
        {
            string tag = ReferrersTagIndex.TagFor(subject);
            FetchedManifest? fetched = await client.TryGetManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false);
            listed = fetched is null ? [] : ReferrersTagIndex.Parse(fetched, $"The referrers tag {client.Registry}/{repository}:{tag}").Manifests;
        }
        // A registry may ignore the filter (it says so by omitting OCI-Filters-Applied): filter here in any case.
        return listed.Where(m => artifactType is null || m.ArtifactType == artifactType).ToList();
    }

    /// <summary>Every page of the referrers API's list; null when the registry has no such API.</summary>
    internal static async Task<IReadOnlyList<Descriptor>?> FromApiAsync(RegistryClient client, string repository, Digest subject, string? artifactType,
        CancellationToken cancellationToken)
    {
        var listed = new List<Descriptor>();
        string? next = null;
        for (int pages = 0; pages < MaxPages; pages++)
        {
            ReferrersPage? page = await client.TryGetReferrersAsync(repository, subject, artifactType, cancellationToken, next).ConfigureAwait(false);
            if (page is null)
            {
                return pages == 0 ? null : listed;
            }
            listed.AddRange(ParseApiAnswer(page.Bytes, client.Registry, repository).Manifests);
            if ((next = page.Next) is null)
            {
                return listed;
            }
        }
        return listed;
    }

    /// <summary>Pages of the referrers API read at most (a registry that links pages in a circle must not loop forever).</summary>
    private const int MaxPages = 100;

    /// <summary>Reads the referrers API's answer; CT3019 when it is not an OCI index.</summary>
    internal static ImageIndex ParseApiAnswer(byte[] bytes, string registry, string repository)
        => ReferrersTagIndex.Parse(new FetchedManifest(bytes, MediaTypes.OciIndex, null), $"The referrers API answer of {registry}/{repository}");
}
