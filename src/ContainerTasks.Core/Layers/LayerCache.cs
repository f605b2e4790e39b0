using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ContainerTasks.Content;
using ContainerTasks.FileSystem;
using ContainerTasks.Model;

namespace ContainerTasks.Layers;

/// <summary>
/// Remembers built layers by what they contain: the key is every entry's path in the image, kind, mode and
/// the SHA-256 of the bytes actually published (not package ids: ReadyToRun and trimming rewrite package
/// files), plus the writer's options. A layer seen before is not tarred or compressed again; its blob is
/// taken from the content store. Entries live in the cache's <see cref="CacheLayout.Layers"/> folder, written atomically.
/// </summary>
internal sealed class LayerCache
{
    // Bump whenever the bytes a layer is written as change (tar format, gzip framing, pieces).
    private const string FormatVersion = "containertasks-layer-v2";
    private readonly ContentStore _store;

    /// <summary>A cache over <paramref name="store"/>.</summary>
    public LayerCache(ContentStore store)
    {
        _store = store;
    }

    /// <summary>The layer for <paramref name="entries"/>: from the cache when its content was built before, else written now.</summary>
    public async Task<(BuiltLayer Layer, bool Reused)> GetOrWriteAsync(IReadOnlyList<LayerEntry> entries, LayerOptions options, CancellationToken cancellationToken = default)
    {
        LayerLookup lookup = await LookupAsync(entries, options, cancellationToken).ConfigureAwait(false);
        return lookup.Cached is { } cached ? (cached, true) : (await WriteAsync(lookup, options, null, cancellationToken).ConfigureAwait(false), false);
    }

    /// <summary>
    /// Computes the layer's content key (hashing the files the stat cache does not know) and finds the layer in the
    /// cache: <see cref="LayerLookup.Cached"/> is null when its content was not built before, or its blob is gone.
    /// </summary>
    internal async Task<LayerLookup> LookupAsync(IReadOnlyList<LayerEntry> entries, LayerOptions options, CancellationToken cancellationToken = default)
    {
        (string key, List<LayerEntry> planned) = await Task.Run(() => ComputeKey(entries, options, _store.Layout.Stat, cancellationToken), cancellationToken).ConfigureAwait(false);
        string indexPath = _store.Layout.LayerEntryPath(key);
        if (TryRead(indexPath) is { } cached && _store.Contains(cached.Descriptor.Digest))
        {
            // Recently used, for pruning: the entry and its blob.
            ContentStore.Touch(indexPath);
            ContentStore.Touch(_store.PathOf(cached.Descriptor.Digest));
            return new LayerLookup(key, planned, cached);
        }
        return new LayerLookup(key, planned, null);
    }

    /// <summary>Writes the layer a lookup missed into the content store (and to <paramref name="sendTo"/> as it is written), and remembers it.</summary>
    internal async Task<BuiltLayer> WriteAsync(LayerLookup lookup, LayerOptions options, IBlobStreamTarget? sendTo, CancellationToken cancellationToken = default)
    {
        // The planned entries carry the identity each file had when it was hashed: the writer checks the bytes it writes are those.
        BuiltLayer layer = await new LayerWriter(options).WriteAsync(lookup.Planned, _store, cancellationToken, sendTo).ConfigureAwait(false);
        try
        {
            Write(_store.Layout.LayerEntryPath(lookup.Key), layer);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another build is reading or replacing the same entry: the next build simply misses the cache once.
        }
        return layer;
    }

    /// <summary>
    /// The diff_id and size of the tar a lookup missed, without compressing or storing it (a tenth of the cost of
    /// writing it): what a layer is looked up by in other images.
    /// </summary>
    internal static Task<(Digest DiffId, long Size)> ComputeDiffIdAsync(LayerLookup lookup, LayerOptions options, CancellationToken cancellationToken = default)
        => Task.Run(() =>
        {
            BuiltLayer tar = new LayerWriter(options with { Compression = LayerCompression.None }).Write(lookup.Planned, Stream.Null, cancellationToken);
            return (tar.DiffId, tar.UncompressedSize);
        }, cancellationToken);

    /// <summary>The content key of a layer: stable across machines, checkouts and time stamps.</summary>
    public static string ComputeKey(IReadOnlyList<LayerEntry> entries, LayerOptions options, CancellationToken cancellationToken = default)
        => ComputeKey(entries, options, null, cancellationToken).Key;

    private static (string Key, List<LayerEntry> Planned) ComputeKey(IReadOnlyList<LayerEntry> entries, LayerOptions options, string? statDirectory, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text) => hash.AppendData(Encoding.UTF8.GetBytes(text + "\n"));
        Add(FormatVersion);
        Add($"uid={options.Uid} gid={options.Gid}{(options.OwnedPath is null || (options.Uid == 0 && options.Gid == 0) ? "" : " owned=" + options.OwnedPath)} mtime={options.ModificationTime.ToUnixTimeSeconds()} gzip={options.Compression.IsGzip} level={options.Compression.Level}{(options.Windows ? " format=windows" : "")}");
        // The compressed bytes come from the runtime's zlib: a cached blob is only reused by the same runtime.
        Add($"runtime={System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription} os={System.Runtime.InteropServices.RuntimeInformation.OSDescription.Split(' ')[0]} pieces={GzipWriteStream.ChunkSize}/{LayerWriter.ParallelThreshold}");
        // Files the stat cache does not know are hashed first, several at once (a cold build hashes every file).
        List<LayerEntry> planned = LayerWriter.Plan(entries).ToList();
        var lines = new string?[planned.Count];
        var toHash = new List<int>();
        for (int i = 0; i < planned.Count; i++)
        {
            if (planned[i].Kind != LayerEntryKind.File)
            {
                continue;
            }
            // The identity recorded when the folder was listed (or now, for entries made by hand): the hash and the bytes written must be of that file.
            planned[i] = planned[i] with { Identity = planned[i].Identity ?? LayerSource.Identify(planned[i]) };
            if (!StatCache.TryGet(statDirectory, planned[i], planned[i].Identity!.Value, out lines[i]))
            {
                toHash.Add(i);
            }
        }
        try
        {
            Parallel.ForEach(toHash, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
                () => new byte[128 * 1024],
                (i, _, buffer) =>
                {
                    lines[i] = HashFile(planned[i], buffer, cancellationToken);
                    StatCache.Put(statDirectory, planned[i], planned[i].Identity!.Value, lines[i]!);
                    return buffer;
                },
                _ => { });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // The first failure as itself (a coded CT error stays coded), not wrapped.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        for (int i = 0; i < planned.Count; i++)
        {
            LayerEntry entry = planned[i];
            switch (entry.Kind)
            {
                case LayerEntryKind.Directory:
                    Add($"d {entry.Path} {entry.Mode ?? LayerWriter.ExecutableMode}");
                    break;
                case LayerEntryKind.Symlink:
                    Add($"l {entry.Path} {entry.LinkTarget}");
                    break;
                default:
                    Add(lines[i]!);
                    break;
            }
        }
        return (Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(), planned);
    }

    // The hash belongs to the identity the entry carries: a file changed while it was read is an error, not a wrong key.
    private static string HashFile(LayerEntry entry, byte[] buffer, CancellationToken cancellationToken)
    {
        using FileStream file = LayerSource.Open(entry, "since it was listed");
        string line = HashContent(entry, file, buffer, cancellationToken);
        LayerSource.Check(entry, file, "while it was read");
        return line;
    }

    private static string HashContent(LayerEntry entry, FileStream file, byte[] buffer, CancellationToken cancellationToken)
    {
        using var content = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> magic = stackalloc byte[4];
        int magicLength = -1;
        int read;
        while ((read = file.Read(buffer)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (magicLength < 0)
            {
                magicLength = Math.Min(4, read);
                buffer.AsSpan(0, magicLength).CopyTo(magic);
            }
            content.AppendData(buffer, 0, read);
        }
        int mode = LayerWriter.ModeFor(entry, magic[..Math.Max(magicLength, 0)]);
        return $"f {entry.Path} {mode} {file.Length} {Convert.ToHexString(content.GetHashAndReset())}";
    }

    private static BuiltLayer? TryRead(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            JsonElement root = json.RootElement;
            var descriptor = new Descriptor(root.GetProperty("mediaType").GetString()!, Digest.Parse(root.GetProperty("digest").GetString()!), root.GetProperty("size").GetInt64());
            return new BuiltLayer(descriptor, Digest.Parse(root.GetProperty("diffId").GetString()!), root.GetProperty("uncompressedSize").GetInt64());
        }
        catch (Exception e) when (e is JsonException or IOException or KeyNotFoundException or InvalidOperationException or ContainerTasksException)
        {
            return null; // A damaged entry is a miss; it is rewritten.
        }
    }

    private static void Write(string path, BuiltLayer layer)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = CacheLayout.NewTempPath(path);
        using (var stream = File.Create(temp))
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("mediaType", layer.Descriptor.MediaType);
            writer.WriteString("digest", layer.Descriptor.Digest.ToString());
            writer.WriteNumber("size", layer.Descriptor.Size);
            writer.WriteString("diffId", layer.DiffId.ToString());
            writer.WriteNumber("uncompressedSize", layer.UncompressedSize);
            writer.WriteEndObject();
        }
        File.Move(temp, path, overwrite: true);
    }
}
