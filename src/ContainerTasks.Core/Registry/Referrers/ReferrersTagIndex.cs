using ContainerTasks.Model;

namespace ContainerTasks.Registry.Referrers;

/// <summary>
/// The referrers tag schema (OCI distribution 1.1) for registries without the referrers API: the tag
/// <c>sha256-HEX</c> of the image's digest holds an OCI index whose entries are the image's referrers.
/// </summary>
internal static class ReferrersTagIndex
{
    /// <summary>The tag that lists the referrers of <paramref name="subject"/>: <c>ALGORITHM-HEX</c>.</summary>
    public static string TagFor(Digest subject) => $"{subject.Algorithm}-{subject.Hex}";

    /// <summary>An index with no entries.</summary>
    public static ImageIndex Empty => new(MediaTypes.OciIndex, []);

    /// <summary>Reads a referrers list; CT3019 naming <paramref name="where"/> ("the referrers tag REF") when it is not an OCI index.</summary>
    public static ImageIndex Parse(FetchedManifest fetched, string where)
    {
        ImageIndex index;
        try
        {
            index = ImageIndex.Parse(fetched.Bytes, fetched.ContentType);
        }
        catch (ContainerTasksException e)
        {
            throw NotAnIndex(where, e.Message, e);
        }
        return index.MediaType == MediaTypes.OciIndex ? index : throw NotAnIndex(where, $"it is a {index.MediaType}", null);
    }

    /// <summary>
    /// <paramref name="index"/> with <paramref name="entry"/> added after the entries it has, all of which are kept;
    /// null when an entry with the same digest is there already (nothing to write).
    /// </summary>
    public static ImageIndex? With(ImageIndex index, Descriptor entry) => With(index, [entry]);

    /// <summary>
    /// <paramref name="index"/> with those of <paramref name="entries"/> it does not list added after the entries it has,
    /// all of which are kept; null when it lists them all (nothing to write).
    /// </summary>
    public static ImageIndex? With(ImageIndex index, IReadOnlyList<Descriptor> entries)
    {
        List<Descriptor> missing = entries.Where(e => !Contains(index, e.Digest)).DistinctBy(e => e.Digest).ToList();
        return missing.Count == 0 ? null : index with { Manifests = [.. index.Manifests, .. missing] };
    }

    /// <summary>True when the index lists <paramref name="digest"/>.</summary>
    public static bool Contains(ImageIndex index, Digest digest) => index.Manifests.Any(m => m.Digest == digest);

    private static ContainerTasksException NotAnIndex(string where, string why, Exception? inner)
        => new(ErrorCodes.ReferrersIndexUnusable,
            $"{where} is not an OCI image index ({why}), so the image's referrers cannot be listed there. Delete the tag or push an OCI index to it, then publish again.",
            inner);
}
