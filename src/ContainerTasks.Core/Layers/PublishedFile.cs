namespace ContainerTasks.Layers;

/// <summary>What the build knows about one published file (from MSBuild item metadata); used only to classify.</summary>
/// <param name="RelativePath">The path under the publish folder ('/' separators).</param>
/// <param name="PackageId">The NuGet package it comes from, if any.</param>
/// <param name="PackageVersion">That package's version.</param>
/// <param name="FromProjectReference">True for outputs of project references.</param>
/// <param name="SourcePath">The file publish copied (or linked) from: a link in the publish folder may point at it.</param>
public sealed record PublishedFile(string RelativePath, string? PackageId, string? PackageVersion, bool FromProjectReference, string? SourcePath = null);
