namespace ContainerTasks.Model;

/// <summary>
/// Where a layer of this build already exists as a blob, found by its content (diff_id) in another image: the
/// image it was found in, how to read its bytes, and which kind of source named that image.
/// </summary>
/// <param name="Image">The image (registry, repository and digest) whose layer it is; a push to the same registry can mount it from there.</param>
/// <param name="Blobs">Reads the blob (streamed from its registry), for a destination that does not have it.</param>
/// <param name="Source">The kind of source: <see cref="LayerSources.Destination"/>, <see cref="LayerSources.CacheFrom"/> or <see cref="LayerSources.Base"/>.</param>
internal sealed record LayerOrigin(ImageReference Image, IBlobReader Blobs, string Source);
