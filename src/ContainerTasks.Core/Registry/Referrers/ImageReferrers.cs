using ContainerTasks.Model;
using ContainerTasks.Registry.Auth;

namespace ContainerTasks.Registry.Referrers;

/// <summary>What is attached to an image in a registry, for front ends (<c>ctimage referrers</c>).</summary>
public static class ImageReferrers
{
    /// <summary>
    /// The referrers of the image <paramref name="reference"/> (a tag is resolved to its digest first), only those of
    /// <paramref name="artifactType"/> when given. Credentials and registry settings come from <paramref name="environment"/>.
    /// </summary>
    public static async Task<IReadOnlyList<Descriptor>> ListAsync(string reference, string? artifactType, IReadOnlyDictionary<string, string> environment,
        Action<string>? log, CancellationToken cancellationToken)
    {
        ImageReference image = ImageReference.Parse(reference);
        using var session = new RegistrySession(environment, image.Registry, null, log);
        RegistryClient client = session.Client(image.Registry, image.Repository, RegistryRole.Pull);
        Digest subject = image.Digest ?? await ResolveAsync(client, image, cancellationToken).ConfigureAwait(false);
        return await ReferrerList.ListReferrersAsync(client, image.Repository, subject, artifactType, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The digest <paramref name="image"/> names now: its tag resolved by the registry; CT3xxx when it does not exist.</summary>
    internal static async Task<Digest> ResolveAsync(RegistryClient client, ImageReference image, CancellationToken cancellationToken)
    {
        Descriptor? head = await client.HeadManifestAsync(image.Repository, image.ManifestReference, cancellationToken).ConfigureAwait(false);
        if (head is { Digest.IsEmpty: false })
        {
            return head.Digest;
        }
        if (head is null)
        {
            throw new ContainerTasksException(ErrorCodes.ImageNotFound, $"{image} does not exist. Check the name and tag (case-sensitive).");
        }
        // No Docker-Content-Digest on the HEAD: the digest of the bytes.
        var (bytes, _) = await client.GetManifestAsync(image.Repository, image.ManifestReference, cancellationToken).ConfigureAwait(false);
        return Digest.Sha256(bytes);
    }
}
