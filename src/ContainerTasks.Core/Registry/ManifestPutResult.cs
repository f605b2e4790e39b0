using ContainerTasks.Model;

namespace ContainerTasks.Registry;

/// <summary>What a registry answered to a manifest <c>PUT</c>.</summary>
/// <param name="Digest">The <c>Docker-Content-Digest</c> it gave, if any.</param>
/// <param name="Subject">The <c>OCI-Subject</c> it gave: the registry keeps a referrers list for that digest (OCI distribution 1.1).</param>
internal sealed record ManifestPutResult(Digest? Digest, string? Subject)
{
    /// <summary>An <c>If-Match</c> was refused (412): the content changed meanwhile and nothing was written.</summary>
    public bool PreconditionFailed { get; init; }
}

/// <summary>A manifest or index as read, with the ETag a conditional write can name.</summary>
/// <param name="Bytes">The bytes.</param>
/// <param name="ContentType">The media type of the answer.</param>
/// <param name="ETag">The ETag, if the registry gave one.</param>
internal sealed record FetchedManifest(byte[] Bytes, string? ContentType, string? ETag);

/// <summary>One page of a referrers API answer.</summary>
/// <param name="Bytes">The OCI index of this page.</param>
/// <param name="Next">The address of the next page, if any.</param>
internal sealed record ReferrersPage(byte[] Bytes, string? Next);
