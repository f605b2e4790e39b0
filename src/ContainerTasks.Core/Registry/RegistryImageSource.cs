using System.Text.Json;
using ContainerTasks.Content;
using ContainerTasks.Json;
using ContainerTasks.Model;
using ContainerTasks.Sources;

namespace ContainerTasks.Registry;

/// <summary>
/// A base image in a registry. A tag is resolved with one <c>HEAD</c> (registries count <c>GET</c>s of manifests
/// as pulls); manifests, indexes and configs are kept in the content store by digest and fetched only
/// when not there, so an image pinned by digest and seen before needs no request at all. Layers are
/// downloaded only when something reads them.
/// </summary>
internal sealed class RegistryImageSource : IImageSource
{
    private readonly ImageReference _reference;
    private readonly RegistryClient _client;
    private readonly ContentStore _store;
    private Descriptor? _resolvedTag; // one HEAD per build, however many platforms are read

    /// <summary>Creates a source for <paramref name="reference"/> read through <paramref name="client"/>.</summary>
    public RegistryImageSource(ImageReference reference, RegistryClient client, ContentStore store)
    {
        _reference = reference;
        _client = client;
        _store = store;
    }

    /// <inheritdoc />
    public async Task<SourceImage> GetImageAsync(Platform? platform, CancellationToken cancellationToken = default)
    {
        string repository = _reference.Repository;
        var (bytes, contentType) = await ReadRootAsync(cancellationToken).ConfigureAwait(false);

        string label = _reference.ToString();
        for (int depth = 0; depth < 4; depth++)
        {
            string? kind = DetectKind(bytes, contentType);
            if (MediaTypes.IsIndex(kind))
            {
                Descriptor entry = ImageIndex.Parse(bytes, contentType).SelectPlatform(platform ?? Platform.LinuxAmd64, label);
                (bytes, contentType) = await ReadManifestAsync(repository, entry.Digest, entry.MediaType, cancellationToken).ConfigureAwait(false);
                continue;
            }
            ImageManifest manifest = ImageManifest.Parse(bytes, contentType);
            byte[] config = await ReadConfigAsync(repository, manifest.Config, cancellationToken).ConfigureAwait(false);
            if (depth == 0 && platform is not null)
            {
                LayoutResolver.CheckPlatform(ImageConfig.Parse(config).Platform, platform, label);
            }
            else if (platform is not null)
            {
                // An index entry's platform is the index's word: the config must at least be of the same system.
                LayoutResolver.CheckSystem(ImageConfig.Parse(config).Platform, platform, label);
            }
            return new SourceImage(label, bytes, manifest, config, new RegistryBlobReader(_client, repository, _store))
            {
                Origin = _reference,
            };
        }
        throw new ContainerTasksException(ErrorCodes.InvalidManifest, $"{label}: indexes are nested more than four deep.");
    }

    /// <summary>
    /// The platforms the image offers: its index's entries (those with a platform), or its config's platform; for the
    /// message of an image that has none a build needs.
    /// </summary>
    public async Task<IReadOnlyList<Platform>> PlatformsAsync(CancellationToken cancellationToken = default)
    {
        var (bytes, contentType) = await ReadRootAsync(cancellationToken).ConfigureAwait(false);
        if (MediaTypes.IsIndex(DetectKind(bytes, contentType)))
        {
            return ImageIndex.Parse(bytes, contentType).Images.Where(d => d.Platform is not null).Select(d => d.Platform!).DistinctBy(p => p.ToString()).ToList();
        }
        byte[] config = await ReadConfigAsync(_reference.Repository, ImageManifest.Parse(bytes, contentType).Config, cancellationToken).ConfigureAwait(false);
        return [ImageConfig.Parse(config).Platform];
    }

    // The manifest or index the reference names: by digest from the store when it is there; a tag with one HEAD per build.
    private async Task<(byte[] Bytes, string? ContentType)> ReadRootAsync(CancellationToken cancellationToken)
    {
        string repository = _reference.Repository;
        if (_reference.Digest is { } pinned)
        {
            return await ReadManifestAsync(repository, pinned, null, cancellationToken).ConfigureAwait(false);
        }
        Descriptor head = _resolvedTag ?? await _client.HeadManifestAsync(repository, _reference.Tag!, cancellationToken).ConfigureAwait(false)
            ?? throw new ContainerTasksException(ErrorCodes.ImageNotFound,
                $"The image {_reference} does not exist: {_reference.Registry} has no tag '{_reference.Tag}' in '{repository}'. Check the name and tag.");
        _resolvedTag = head;
        if (head.Digest.IsEmpty)
        {
            var (bytes, contentType) = await _client.GetManifestAsync(repository, _reference.Tag!, cancellationToken).ConfigureAwait(false);
            _store.Put(bytes);
            return (bytes, contentType);
        }
        return await ReadManifestAsync(repository, head.Digest, head.MediaType, cancellationToken).ConfigureAwait(false);
    }

    private static string? DetectKind(byte[] bytes, string? contentType)
    {
        using JsonDocument document = JsonFormat.Parse(bytes, "manifest");
        string? kind = ManifestKind.Detect(document.RootElement, contentType);
        ManifestKind.ThrowIfSchema1(document.RootElement, kind);
        return kind;
    }

    private async Task<(byte[] Bytes, string? ContentType)> ReadManifestAsync(string repository, Digest digest, string? mediaType, CancellationToken cancellationToken)
    {
        if (_store.Contains(digest))
        {
            byte[] cached = await File.ReadAllBytesAsync(_store.PathOf(digest), cancellationToken).ConfigureAwait(false);
            if (digest.IsDigestOf(cached))
            {
                return (cached, mediaType);
            }
        }
        var (bytes, contentType) = await _client.GetManifestAsync(repository, digest.ToString(), cancellationToken).ConfigureAwait(false);
        await _store.PutAsync(new MemoryStream(bytes), digest, cancellationToken).ConfigureAwait(false);
        return (bytes, contentType ?? mediaType);
    }

    private async Task<byte[]> ReadConfigAsync(string repository, Descriptor config, CancellationToken cancellationToken)
    {
        if (config.Size > 64 * 1024 * 1024)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidManifest, $"The config of {_reference} claims {config.Size} bytes, too large for an image config.");
        }
        await using Stream stream = await new RegistryBlobReader(_client, repository, _store).OpenBlobAsync(config, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }
}
