using ContainerTasks.Model;

namespace ContainerTasks.Sources;

/// <summary>The empty base image: no layers, a minimal config for the requested platform.</summary>
internal sealed class ScratchSource : IImageSource, IBlobReader
{
    /// <inheritdoc />
    public Task<SourceImage> GetImageAsync(Platform? platform, CancellationToken cancellationToken = default)
    {
        byte[] config = ImageConfig.Empty(platform ?? Platform.LinuxAmd64).ToBytes();
        var manifest = new ImageManifest(MediaTypes.OciManifest, new Descriptor(MediaTypes.OciConfig, Digest.Sha256(config), config.Length), []);
        return Task.FromResult(new SourceImage("scratch", manifest.ToBytes(), manifest, config, this) { IsScratch = true });
    }

    /// <inheritdoc />
    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken = default)
        => throw new ContainerTasksException(ErrorCodes.ImageNotInSource, $"scratch has no blob {descriptor.Digest}.");
}
