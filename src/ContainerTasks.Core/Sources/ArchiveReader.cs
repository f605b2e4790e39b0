using System.Formats.Tar;
using System.IO.Compression;
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
        var result = new ArchiveReader();
        try
        {
            await using FileStream file = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 128 * 1024, FileOptions.SequentialScan);
            Stream input = file;
            byte[] magic = new byte[2];
            int read = await file.ReadAtLeastAsync(magic, 2, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            file.Position = 0;
            if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            {
                input = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
            }
            await using (input.ConfigureAwait(false))
            {
                using var reader = new TarReader(input, leaveOpen: true);
                TarEntry? entry;
                while ((entry = await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false)) is not null)
                {
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                    {
                        continue;
                    }
                    string name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                    Digest? expected = null;
                    string[] parts = name.Split('/');
                    if (parts.Length == 3 && parts[0] == "blobs" && Digest.TryParse($"{parts[1]}:{parts[2]}", out Digest named))
                    {
                        expected = named;
                    }
                    if (expected is null && (name.EndsWith(".json", StringComparison.Ordinal) || name is "oci-layout" or "repositories") && entry.Length <= MetadataLimit)
                    {
                        result.AddMetadata(name, entry.Length, path);
                        using var buffer = new MemoryStream();
                        await entry.DataStream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
                        result.Metadata[name] = buffer.ToArray();
                        continue;
                    }
                    result.Files[name] = await store.PutAsync(entry.DataStream, expected, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidSource, $"'{path}' is not a readable tar archive: {e.Message}", e);
        }
        return result;
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

/// <summary>Reads blobs of an unpacked archive from the content store.</summary>
internal sealed class StoreBlobReader : IBlobReader
{
    private readonly ContentStore _store;
    private readonly string _name;
    private readonly IReadOnlySet<Digest> _contained;

    public StoreBlobReader(ContentStore store, string name, IReadOnlySet<Digest> contained)
    {
        _store = store;
        _name = name;
        _contained = contained;
    }

    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken = default)
    {
        if (!_contained.Contains(descriptor.Digest) || !_store.Contains(descriptor.Digest))
        {
            throw new ContainerTasksException(ErrorCodes.ImageNotInSource,
                $"{_name} lacks the blob {descriptor.Digest} ({descriptor.MediaType}). The archive is incomplete; recreate it.");
        }
        return Task.FromResult(_store.OpenRead(descriptor.Digest));
    }
}
