using ContainerTasks.Building;
using ContainerTasks.Registry;

namespace ContainerTasks.Pipeline;

/// <summary>Where the image went: the image as written, the archive written, a phrase for messages.</summary>
/// <param name="Images">The image as the destination holds it (steps before it may have changed it).</param>
/// <param name="ArchivePath">The archive written, if any.</param>
/// <param name="Destination">"pushed to …", "written to …", "loaded into …".</param>
internal sealed record Delivery(ImageSet Images, string? ArchivePath, string Destination)
{
    /// <summary>What a push did; null for other destinations.</summary>
    public PushResult? Pushed { get; init; }
}
