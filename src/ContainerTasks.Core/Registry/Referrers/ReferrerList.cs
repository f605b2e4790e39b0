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
        ImageIndex index;
        byte[]? api = await client.TryGetReferrersAsync(repository, subject, artifactType, cancellationToken).ConfigureAwait(false);
        if (api is not null)
        {
            index = ParseApiAnswer(api, client.Registry, repository);
        }
        else
        {
            string tag = ReferrersTagIndex.TagFor(subject);
            FetchedManifest? fetched = await client.TryGetManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false);
            index = fetched is null ? ReferrersTagIndex.Empty : ReferrersTagIndex.Parse(fetched, $"The referrers tag {client.Registry}/{repository}:{tag}");
        }
        // A registry may ignore the filter (it says so by omitting OCI-Filters-Applied): filter here in any case.
        return index.Manifests.Where(m => artifactType is null || m.ArtifactType == artifactType).ToList();
    }

    /// <summary>Reads the referrers API's answer; CT3019 when it is not an OCI index.</summary>
    internal static ImageIndex ParseApiAnswer(byte[] bytes, string registry, string repository)
        => ReferrersTagIndex.Parse(new FetchedManifest(bytes, MediaTypes.OciIndex, null), $"The referrers API answer of {registry}/{repository}");
}
