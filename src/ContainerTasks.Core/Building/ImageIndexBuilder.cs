using ContainerTasks.Model;

namespace ContainerTasks.Building;

/// <summary>Combines per-platform images into one index: a Docker manifest list when every image is Docker-format, else an OCI index.</summary>
internal static class ImageIndexBuilder
{
    /// <summary>Builds the index; two images of one platform, or a mix of formats, are CT1008.</summary>
    public static BuiltIndex Build(IReadOnlyList<IImage> images, IReadOnlyDictionary<string, string>? annotations = null)
    {
        if (images.Count == 0)
        {
            throw new ArgumentException("An index needs at least one image.", nameof(images));
        }
        var duplicate = images.GroupBy(i => i.Platform.ToString()).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ContainerTasksException(ErrorCodes.FormatConversion,
                $"Two images are for the same platform ({duplicate.Key}); an index holds one image per platform. Remove the duplicate runtime identifier.");
        }
        bool docker = images.All(i => i.Manifest.IsDocker);
        if (!docker && images.Any(i => i.Manifest.IsDocker))
        {
            throw new ContainerTasksException(ErrorCodes.FormatConversion,
                "The platform images mix Docker and OCI manifests, which one index cannot hold. Set ContainerImageFormat to OCI or Docker.");
        }
        var index = new ImageIndex(docker ? MediaTypes.DockerManifestList : MediaTypes.OciIndex,
            images.Select(i => i.Descriptor with { Platform = new Platform(i.Platform.Os, i.Platform.Architecture, i.Platform.Variant, i.Platform.OsVersion, i.Platform.OsFeatures) }).ToList())
        {
            Annotations = docker || annotations is null || annotations.Count == 0 ? null : annotations,
        };
        return new BuiltIndex(index, index.ToBytes());
    }
}
