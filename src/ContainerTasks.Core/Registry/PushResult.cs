using ContainerTasks.Model;

namespace ContainerTasks.Registry;

/// <summary>What a push did, counted by the client (tests count from the registry's own log).</summary>
internal sealed record PushResult(Digest ManifestDigest, IReadOnlyList<string> TagsPushed, int BlobsUploaded, long BytesUploaded, int BlobsMounted, int BlobsAlreadyPresent)
{
    /// <summary>True when every tag already pointed at this image, so nothing was sent.</summary>
    public bool UpToDate => TagsPushed.Count == 0;
}
