using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using ContainerTasks.Content;
using ContainerTasks.Model;

namespace ContainerTasks.Sources;

/// <summary>
/// Reads an image archive (a tar, gzip-compressed or not) in one pass: JSON metadata files are kept in
/// memory, every other regular file goes into the content store. Files named <c>blobs/ALG/HEX</c> are
/// verified against their names.
/// </summary>
internal sealed class ArchiveReader
{
    /// <summary>The largest metadata file (JSON) read into memory, and the most all of them may add up to.</summary>
    public const long MetadataLimit = 16 * 1024 * 1024;
    private const long MetadataTotalLimit = 64 * 1024 * 1024;
    private long _metadataBytes;

    public Dictionary<string, byte[]> Metadata { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, (Digest Digest, long Size)> Files { get; } = new(StringComparer.Ordinal);

    public static async Task<ArchiveReader> ReadAsync(string path, ContentStore store, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new ContainerTasksException(ErrorCodes.SourceNotFound, $"The archive '{path}' does not exist.");
        }
        await using FileStream file = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 128 * 1024, FileOptions.SequentialScan);
        // What an archive may unpack to: its own size many times over (gzip of plain tars), never a disk's worth.
        long unpackedLimit = file.Length * 64 + MetadataTotalLimit;
        byte[] magic = new byte[2];
        int read = await file.ReadAtLeastAsync(magic, 2, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        file.Position = 0;
        Stream input = read == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
        await using (input.ConfigureAwait(false))
        {
            return await ReadAsync(input, path, unpackedLimit, store, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads a tar (not compressed) from <paramref name="tar"/> as it arrives, e.g. a local engine's export;
    /// <paramref name="name"/> names it in messages, <paramref name="unpackedLimit"/> bounds what it may unpack to.
    /// </summary>
    public static async Task<ArchiveReader> ReadAsync(Stream tar, string name, long unpackedLimit, ContentStore store, CancellationToken cancellationToken)
    {
        var result = new ArchiveReader(name, store) { _unpackedLimit = unpackedLimit };
        try
        {
            using var reader = new TarReader(tar, leaveOpen: true);
            TarEntry? entry;
            while ((entry = await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false)) is not null)
            {
                await result.AddAsync(entry, cancellationToken).ConfigureAwait(false);
            }
            result.ResolveLinks();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            result.Retain(new HashSet<Digest>());
            throw new ContainerTasksException(ErrorCodes.InvalidSource, $"'{name}' is not a readable tar archive: {e.Message}", e);
        }
        catch
        {
            result.Retain(new HashSet<Digest>());
            throw;
        }
        return result;
    }

    private ArchiveReader(string path, ContentStore store)
    {
        _path = path;
        _store = store;
    }

    private readonly string _path;
    private readonly ContentStore _store;

    /// <summary>The store the archive was unpacked into.</summary>
    public ContentStore Store => _store;

    private readonly HashSet<Digest> _writtenNow = [];
    private long _unpackedBytes;
    private long _unpackedLimit;

    private async Task AddAsync(TarEntry entry, CancellationToken cancellationToken)
    {
        string name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
        // Every entry counts, its header too: a bomb of skipped entries costs time as well.
        _unpackedBytes += 512 + Math.Max(0, entry.Length);
        if (entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink)
        {
            CheckUnpacked(name);
            AddLink(name, entry.EntryType, entry.LinkName);
            return;
        }
        if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
        {
            CheckUnpacked(name);
            return;
        }
        CheckUnpacked(name);
        Digest? expected = null;
        string[] parts = name.Split('/');
        if (parts.Length == 3 && parts[0] == "blobs" && Digest.TryParse($"{parts[1]}:{parts[2]}", out Digest named))
        {
            expected = named;
        }
        if (expected is null && (name.EndsWith(".json", StringComparison.Ordinal) || name is "oci-layout" or "repositories") && entry.Length <= MetadataLimit)
        {
            AddMetadata(name, entry.Length, _path);
            using var buffer = new MemoryStream();
            await entry.DataStream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            Metadata[name] = buffer.ToArray();
            return;
        }
        (Digest digest, long size, bool writtenNow) = await _store.PutAsync(entry.DataStream, expected, cancellationToken).ConfigureAwait(false);
        Files[name] = (digest, size);
        if (writtenNow)
        {
            _writtenNow.Add(digest);
        }
    }

    // Docker before 25 saves a layer that an earlier one already holds (e.g. a repeated empty layer) as a symlink to it,
    // "../<id>/layer.tar"; a hard link's target is named from the archive's root. Links are resolved once every entry is read
    // (a target may come after its link), and only to a file inside the archive: never an absolute path or one that climbs out.
    private const int MaxLinkHops = 8;
    private readonly Dictionary<string, string> _links = new(StringComparer.Ordinal);

    private void AddLink(string name, TarEntryType type, string target)
    {
        string folder = type == TarEntryType.SymbolicLink && name.LastIndexOf('/') is var slash and >= 0 ? name[..slash] : "";
        if (target.Length == 0 || target.StartsWith('/') || Resolve(folder, target) is not { } resolved)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidSource,
                $"'{_path}' holds the link '{Quoted(name)}' to '{Quoted(target)}', which is outside the archive; an image archive links only to its own files. Recreate the archive.");
        }
        _links[name] = resolved;
    }

    // An entry's name or link target in a message: control characters escaped (no fake log lines), and short.
    private static string Quoted(string text) => JsonEncodedText.Encode(text.Length > 200 ? text[..200] + "…" : text).ToString();

    // The target's path from the archive's root; null when it climbs above it.
    private static string? Resolve(string folder, string target)
    {
        var parts = new List<string>(folder.Split('/', StringSplitOptions.RemoveEmptyEntries));
        foreach (string part in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return null;
                }
                parts.RemoveAt(parts.Count - 1);
            }
            else if (part != ".")
            {
                parts.Add(part);
            }
        }
        return parts.Count == 0 ? null : string.Join('/', parts);
    }

    // Each link becomes another name of the file it leads to (through at most MaxLinkHops links); a link to nothing in the archive names nothing.
    private void ResolveLinks()
    {
        foreach ((string name, string first) in _links)
        {
            string target = first;
            for (int hops = 1; _links.TryGetValue(target, out string? next); hops++)
            {
                if (hops >= MaxLinkHops)
                {
                    throw new ContainerTasksException(ErrorCodes.InvalidSource,
                        $"'{_path}' holds the link '{Quoted(name)}', which leads through more than {MaxLinkHops} links (or round in a circle). Recreate the archive.");
                }
                target = next;
            }
            if (Files.TryGetValue(target, out var file))
            {
                Files[name] = file;
            }
            else if (Metadata.TryGetValue(target, out byte[]? bytes))
            {
                Metadata[name] = bytes;
            }
        }
    }

    private void CheckUnpacked(string name)
    {
        if (_unpackedBytes > _unpackedLimit)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidSource,
                $"'{_path}' unpacks to more than {_unpackedLimit / (1024 * 1024)} MiB (at '{name}'), far more than an image archive of its size holds. Recreate the archive.");
        }
    }

    /// <summary>
    /// Keeps in the store only the blobs this archive wrote that <paramref name="referenced"/> names: an entry nothing
    /// references (or any entry of an archive that turned out unreadable) leaves nothing behind. Blobs the store had
    /// before are never removed.
    /// </summary>
    public void Retain(IReadOnlySet<Digest> referenced)
    {
        foreach (Digest digest in _writtenNow.Where(d => !referenced.Contains(d)))
        {
            _store.Discard(digest);
        }
        foreach (string name in Files.Where(f => !referenced.Contains(f.Value.Digest)).Select(f => f.Key).ToList())
        {
            Files.Remove(name);
        }
    }

    /// <summary>Keeps what <paramref name="reachable"/> finds; when finding it fails (a damaged index), keeps nothing this archive wrote.</summary>
    public void RetainReachable(Func<IReadOnlySet<Digest>> reachable)
    {
        try
        {
            Retain(reachable());
        }
        catch
        {
            Retain(new HashSet<Digest>());
            throw;
        }
    }

    /// <summary>
    /// Every blob reachable from an OCI index (this archive's <c>index.json</c>): the manifests and indexes it lists,
    /// and their configs, layers and manifests in turn, read from the store as this archive unpacked them.
    /// </summary>
    public IReadOnlySet<Digest> ReachableFrom(byte[] indexJson)
    {
        var reached = new HashSet<Digest>();
        var pending = new Stack<JsonElement>();
        using JsonDocument root = ContainerTasks.Json.JsonFormat.Parse(indexJson, "archive's index.json");
        pending.Push(root.RootElement);
        var documents = new List<JsonDocument>();
        try
        {
            while (pending.Count > 0)
            {
                foreach (JsonElement descriptor in Descriptors(pending.Pop()))
                {
                    if (!descriptor.TryGetProperty("digest", out var d) || d.ValueKind != JsonValueKind.String || !Digest.TryParse(d.GetString()!, out Digest digest) || !reached.Add(digest))
                    {
                        continue;
                    }
                    if (ReadManifest(descriptor, digest) is { } document)
                    {
                        documents.Add(document);
                        pending.Push(document.RootElement);
                    }
                }
            }
        }
        finally
        {
            documents.ForEach(d => d.Dispose());
        }
        return reached;
    }

    private static IEnumerable<JsonElement> Descriptors(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }
        foreach (string list in new[] { "manifests", "layers" })
        {
            if (json.TryGetProperty(list, out var items) && items.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement item in items.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.Object))
                {
                    yield return item;
                }
            }
        }
        if (json.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object)
        {
            yield return config;
        }
    }

    // A manifest or index this archive holds, parsed; null for anything else (layers, configs, blobs it lacks).
    private JsonDocument? ReadManifest(JsonElement descriptor, Digest digest)
    {
        string mediaType = descriptor.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
        bool manifest = mediaType.Contains("manifest", StringComparison.Ordinal) || mediaType.Contains("index", StringComparison.Ordinal);
        var file = Files.Values.FirstOrDefault(f => f.Digest == digest);
        if (!manifest || file.Size is 0 or > MetadataLimit || !_store.Contains(digest))
        {
            return null;
        }
        try
        {
            using Stream stream = _store.OpenRead(digest);
            return JsonDocument.Parse(stream);
        }
        catch (JsonException)
        {
            return null; // Not JSON: the resolver reports it if the image needs it.
        }
    }

    /// <summary>The blobs the archive itself holds: only these are served from the store for it (a warm cache must not hide a missing blob).</summary>
    public IReadOnlySet<Digest> Contained => Files.Values.Select(f => f.Digest).ToHashSet();

    // Each JSON file is capped on its own; together too, so many small ones cannot fill the memory.
    private void AddMetadata(string name, long length, string path)
    {
        _metadataBytes += length;
        if (_metadataBytes > MetadataTotalLimit)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidSource,
                $"'{path}' holds more than {MetadataTotalLimit / (1024 * 1024)} MiB of JSON metadata (at '{name}'); no image archive needs that much. Recreate the archive.");
        }
    }
}
