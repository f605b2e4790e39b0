using System.Text.Json;
using ContainerTasks.Content;
using ContainerTasks.Json;
using ContainerTasks.Model;

namespace ContainerTasks.Sources;

/// <summary>
/// A base image in a <c>docker save</c> archive: <c>manifest.json</c> listing each image's config, tags and
/// layer files. Docker 25+ archives are also OCI layouts and are read as such; older ones get a
/// Docker v2 schema 2 manifest made from <c>manifest.json</c>, with their layers as stored.
/// </summary>
internal sealed class DockerArchiveSource : IImageSource
{
    private readonly string _name;
    private readonly ArchiveReader _archive;
    private readonly string? _reference;
    private readonly ContentStore _store;

    private DockerArchiveSource(string name, ArchiveReader archive, string? reference, ContentStore store)
    {
        _name = name;
        _archive = archive;
        _reference = reference;
        _store = store;
    }

    /// <summary>Unpacks the archive into <paramref name="store"/> and opens it; <paramref name="reference"/> picks an image by tag.</summary>
    public static async Task<DockerArchiveSource> OpenAsync(string path, string? reference, ContentStore store, CancellationToken cancellationToken = default)
        => Open(await ArchiveReader.ReadAsync(path, store, cancellationToken).ConfigureAwait(false), $"'{path}'", $"docker-archive:{path}", reference);

    /// <summary>
    /// Unpacks an archive as it arrives (a local engine's export, <c>docker save</c>'s format) into <paramref name="store"/>
    /// and opens it; <paramref name="name"/> names it in messages and names its image.
    /// </summary>
    public static async Task<DockerArchiveSource> OpenAsync(Stream tar, string name, long unpackedLimit, ContentStore store, CancellationToken cancellationToken = default)
        => Open(await ArchiveReader.ReadAsync(tar, name, unpackedLimit, store, cancellationToken).ConfigureAwait(false), name, name, null);

    private static DockerArchiveSource Open(ArchiveReader archive, string described, string name, string? reference)
    {
        if (!archive.Metadata.ContainsKey("manifest.json"))
        {
            archive.Retain(new HashSet<Digest>());
            throw new ContainerTasksException(ErrorCodes.InvalidSource,
                $"{described} is not a docker archive: it has no manifest.json. (An OCI archive is read with oci-archive:.)");
        }
        archive.RetainReachable(() => Referenced(archive));
        return new DockerArchiveSource(name, archive, reference, archive.Store);
    }

    // What manifest.json names (configs, layers) and, in Docker 25+ archives, what index.json reaches.
    private static IReadOnlySet<Digest> Referenced(ArchiveReader archive)
    {
        var referenced = archive.Metadata.TryGetValue("index.json", out byte[]? index) ? archive.ReachableFrom(index).ToHashSet() : [];
        using JsonDocument document = JsonFormat.Parse(archive.Metadata["manifest.json"], "docker archive manifest.json");
        var names = document.RootElement.ValueKind != JsonValueKind.Array ? [] : document.RootElement.EnumerateArray()
            .Where(image => image.ValueKind == JsonValueKind.Object)
            .SelectMany(image => new[] { image.TryGetProperty("Config", out var c) ? c : default }
                .Concat(image.TryGetProperty("Layers", out var l) && l.ValueKind == JsonValueKind.Array ? l.EnumerateArray() : []))
            .Where(name => name.ValueKind == JsonValueKind.String).Select(name => Normalize(name.GetString()!));
        foreach (string name in names)
        {
            if (archive.Files.TryGetValue(name, out var file))
            {
                referenced.Add(file.Digest);
            }
        }
        return referenced;
    }

    /// <summary>
    /// In a Docker 25+ archive, the digest <c>index.json</c> lists the image read last under: its manifest's, or an index's
    /// over it (Docker's containerd store names an image by it); null when the image came from <c>manifest.json</c> alone.
    /// </summary>
    public Digest? ListedAs { get; private set; }

    /// <inheritdoc />
    public async Task<SourceImage> GetImageAsync(Platform? platform, CancellationToken cancellationToken = default)
    {
        var blobs = new StoreBlobReader(_store, _name, _archive.Contained);
        (string config, string[] tags, string[] layers) = SelectImage();
        byte[] configBytes = ReadFile(config);
        Digest configDigest = Digest.Sha256(configBytes);

        // Docker 25+: the same image is in the OCI layout part; use its manifest, which has the real blob media types.
        if (_archive.Metadata.TryGetValue("index.json", out byte[]? index))
        {
            var viaLayout = await TryFromLayoutAsync(index, configDigest, platform, blobs, cancellationToken).ConfigureAwait(false);
            if (viaLayout is not null)
            {
                return viaLayout;
            }
        }

        var layerDescriptors = new List<Descriptor>();
        foreach (string layer in layers)
        {
            if (!_archive.Files.TryGetValue(Normalize(layer), out var blob))
            {
                throw new ContainerTasksException(ErrorCodes.InvalidSource, $"{_name}: manifest.json names the layer '{layer}', which the archive lacks.");
            }
            string mediaType = IsGzip(blob.Digest) ? MediaTypes.DockerLayerGzip : MediaTypes.DockerLayer;
            layerDescriptors.Add(new Descriptor(mediaType, blob.Digest, blob.Size));
        }
        _store.Put(configBytes);
        string label0 = tags.Length > 0 ? $"{_name}:{tags[0]}" : _name;
        LayoutResolver.CheckPlatform(ImageConfig.Parse(configBytes).Platform, platform, label0);
        var manifest = new ImageManifest(MediaTypes.DockerManifest, new Descriptor(MediaTypes.DockerConfig, configDigest, configBytes.Length), layerDescriptors);
        string label = tags.Length > 0 ? $"{_name}:{tags[0]}" : _name;
        return new SourceImage(label, manifest.ToBytes(), manifest, configBytes, blobs);
    }

    private async Task<SourceImage?> TryFromLayoutAsync(byte[] index, Digest configDigest, Platform? platform, IBlobReader blobs, CancellationToken cancellationToken)
    {
        ImageIndex parsed;
        try
        {
            parsed = ImageIndex.Parse(index, MediaTypes.OciIndex);
        }
        catch (ContainerTasksException)
        {
            return null;
        }
        foreach (Descriptor entry in parsed.Manifests)
        {
            if (!_store.Contains(entry.Digest))
            {
                continue;
            }
            SourceImage image = await new LayoutResolver(_name, blobs).ResolveAsync(new ImageIndex(MediaTypes.OciIndex, [entry]).ToBytes(), null, platform, cancellationToken).ConfigureAwait(false);
            if (image.Manifest.Config.Digest == configDigest)
            {
                ListedAs = entry.Digest;
                return image;
            }
        }
        return null;
    }

    private (string Config, string[] Tags, string[] Layers) SelectImage()
    {
        var images = new List<(string Config, string[] Tags, string[] Layers)>();
        try
        {
            using JsonDocument document = JsonFormat.Parse(_archive.Metadata["manifest.json"], "docker archive manifest.json");
            foreach (JsonElement image in document.RootElement.EnumerateArray())
            {
                string config = image.GetProperty("Config").GetString()!;
                string[] tags = image.TryGetProperty("RepoTags", out var t) && t.ValueKind == JsonValueKind.Array
                    ? t.EnumerateArray().Select(x => x.GetString()!).ToArray()
                    : [];
                string[] layers = image.GetProperty("Layers").EnumerateArray().Select(x => x.GetString()!).ToArray();
                images.Add((config, tags, layers));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or NullReferenceException)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidSource, $"{_name}: manifest.json is not a list of {{Config, RepoTags, Layers}}.", e);
        }
        if (images.Count == 0)
        {
            throw new ContainerTasksException(ErrorCodes.ImageNotInSource, $"{_name} holds no image.");
        }
        if (_reference is null)
        {
            if (images.Count == 1)
            {
                return images[0];
            }
            throw new ContainerTasksException(ErrorCodes.ImageNotInSource,
                $"{_name} holds {images.Count} images; name one by tag ({string.Join(", ", images.SelectMany(i => i.Tags))}).");
        }
        string wanted = ImageReference.TryParse(_reference, out var parsed) ? parsed!.ToString() : _reference;
        foreach (var image in images)
        {
            if (image.Tags.Any(tag => tag == _reference || (ImageReference.TryParse(tag, out var r) && r!.ToString() == wanted)))
            {
                return image;
            }
        }
        throw new ContainerTasksException(ErrorCodes.ImageNotInSource,
            $"{_name} has no image tagged '{_reference}'. It has: {string.Join(", ", images.SelectMany(i => i.Tags))}.");
    }

    private byte[] ReadFile(string name)
    {
        string normalized = Normalize(name);
        if (_archive.Metadata.TryGetValue(normalized, out byte[]? bytes))
        {
            return bytes;
        }
        if (_archive.Files.TryGetValue(normalized, out var blob))
        {
            if (blob.Size > ArchiveReader.MetadataLimit)
            {
                throw new ContainerTasksException(ErrorCodes.InvalidSource, $"{_name}: '{name}' is {blob.Size} bytes, too large for an image config. Recreate the archive.");
            }
            using Stream stream = _store.OpenRead(blob.Digest);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return buffer.ToArray();
        }
        throw new ContainerTasksException(ErrorCodes.InvalidSource, $"{_name}: manifest.json names '{name}', which the archive lacks.");
    }

    private bool IsGzip(Digest digest)
    {
        using Stream stream = _store.OpenRead(digest);
        return stream.ReadByte() == 0x1f && stream.ReadByte() == 0x8b;
    }

    private static string Normalize(string name) => name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name;
}
