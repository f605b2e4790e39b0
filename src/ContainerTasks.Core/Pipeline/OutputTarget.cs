using ContainerTasks.Model;

namespace ContainerTasks.Pipeline;

/// <summary>An image written to a file or folder, named as skopeo names it, and the names it gets there.</summary>
/// <param name="Destination"><c>oci:DIR</c>, <c>oci-archive:FILE</c> or <c>docker-archive:FILE</c> (<c>.tar.gz</c> to compress).</param>
/// <param name="Names">The names (tags) the image gets in it; may be empty.</param>
public sealed record OutputTarget(string Destination, IReadOnlyList<ImageReference> Names);
