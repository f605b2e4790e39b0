using ContainerTasks.Model;
using ContainerTasks.Registry;

namespace ContainerTasks.Pipeline;

/// <summary>An image this build may take layers from by their content (diff_id), the client that reads it, and which kind of source named it.</summary>
/// <param name="Reference">The image: by digest for a destination tag's image, as given for <c>ContainerCacheFrom</c>.</param>
/// <param name="Source"><see cref="LayerSources.Destination"/> or <see cref="LayerSources.CacheFrom"/>.</param>
/// <param name="Client">A client that may read the image's repository.</param>
internal sealed record CandidateImage(ImageReference Reference, string Source, RegistryClient Client);
