using ContainerTasks.Model;

namespace ContainerTasks.MSBuild;

/// <summary>Where one project of a build sends its image: what <see cref="ProjectDestinations.ThrowOnClash"/> compares.</summary>
/// <param name="Project">The project file, as the build names it.</param>
/// <param name="ProjectDirectory">The project's folder: a relative archive path is resolved against it.</param>
/// <param name="Repository">ContainerRepository as set (normalised here as for the image itself).</param>
/// <param name="ImageTag">ContainerImageTag.</param>
/// <param name="ImageTags">ContainerImageTags.</param>
/// <param name="Registry">ContainerRegistry.</param>
/// <param name="ArchiveOutputPath">ContainerArchiveOutputPath.</param>
public sealed record ProjectDestination(string Project, string ProjectDirectory, string Repository, string? ImageTag, string? ImageTags,
    string? Registry, string? ArchiveOutputPath);
