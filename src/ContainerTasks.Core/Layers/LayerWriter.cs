using System.Text;
using ContainerTasks.Content;
using ContainerTasks.FileSystem;
using ContainerTasks.Model;

namespace ContainerTasks.Layers;

/// <summary>
/// Writes a layer (tar, optionally gzip) from entries in one streaming pass that computes the
/// diff_id, the blob digest and the size together, with memory bounded by its copy buffers.
/// The tar is reproducible: entries sorted by path (UTF-8 ordinal), parent directories added,
/// one mtime, uid/gid from the options, no user or group names, and modes chosen by role and content:
/// directories, ELF binaries and <c>#!</c> scripts 0755, other files 0644, unless an entry says otherwise.
/// </summary>
public sealed class LayerWriter
{
    /// <summary>The mode of directories and executables.</summary>
    public const int ExecutableMode = 0x1ED; // 0755

    /// <summary>The mode of other files.</summary>
    public const int RegularMode = 0x1A4; // 0644

    private readonly LayerOptions _options;

    /// <summary>Creates a writer with the given options.</summary>
    public LayerWriter(LayerOptions? options = null)
    {
        _options = options ?? new LayerOptions();
    }

    /// <summary>Writes the layer to <paramref name="output"/> (left open) and returns its descriptor.</summary>
    public BuiltLayer Write(IEnumerable<LayerEntry> entries, Stream output, CancellationToken cancellationToken = default)
    {
        List<LayerEntry> plan = Plan(_options.Windows ? WindowsLayerFormat.Wrap(entries) : entries);
        if (_options.Windows)
        {
            WindowsLayerFormat.CheckNames(plan);
        }
        // Without compression the blob is the tar: hash it once, not twice.
        using var blob = new DigestingWriteStream(output, leaveOpen: true);
        // Large layers deflate in parallel pieces; the choice depends only on the content, so it is the same everywhere.
        bool pieces = plan.Where(e => e.Kind == LayerEntryKind.File).Sum(e => SizeOf(e)) >= ParallelThreshold;
        GzipWriteStream? gzip = _options.Compression.IsGzip ? new GzipWriteStream(blob, _options.Compression.Level, leaveOpen: true, pieces) : null;
        Digest diffId;
        long tarSize;
        using (gzip)
        {
            using var tar = new DigestingWriteStream(gzip ?? output, leaveOpen: true);
            // Buffer the small header and padding writes so the compressor sees large chunks.
            // Not disposed: disposing a BufferedStream disposes the stream under it.
            var buffered = new BufferedStream(tar, 256 * 1024);
            WriteTar(plan, buffered, cancellationToken);
            buffered.Flush();
            diffId = tar.GetDigest();
            tarSize = tar.BytesWritten;
            gzip?.Finish();
        }
        Digest digest = _options.Compression.IsGzip ? blob.GetDigest() : diffId;
        long blobSize = _options.Compression.IsGzip ? blob.BytesWritten : tarSize;
        return new BuiltLayer(new Descriptor(_options.Compression.MediaType, digest, blobSize), diffId, tarSize);
    }

    /// <summary>
    /// Writes the layer into <paramref name="store"/> (atomically) and returns its descriptor; with
    /// <paramref name="sendTo"/>, the blob's bytes are also sent there as they are written, and the send is completed
    /// once the blob is in the store. A send that fails costs the layer nothing: it is written all the same, and sent
    /// later with the image.
    /// </summary>
    internal async Task<BuiltLayer> WriteAsync(IEnumerable<LayerEntry> entries, ContentStore store, CancellationToken cancellationToken = default, IBlobStreamTarget? sendTo = null)
    {
        var materialized = entries.ToList();
        IStreamedBlob? send = sendTo?.Begin(cancellationToken);
        try
        {
            bool sentWhole = false;
            BuiltLayer layer = await Task.Run(() =>
            {
                using ContentStore.PendingBlob pending = store.BeginWrite();
                var tee = send is null ? null : new TeeWriteStream(pending.Stream, send.Content);
                BuiltLayer written = Write(materialized, tee ?? (Stream)pending.Stream, cancellationToken);
                sentWhole = tee is { SideFailure: null };
                return written with { WrittenNow = pending.Commit(written.Descriptor.Digest) };
            }, cancellationToken).ConfigureAwait(false);
            if (sentWhole)
            {
                await CompleteSendAsync(send!, layer.Descriptor, cancellationToken).ConfigureAwait(false);
            }
            return layer;
        }
        finally
        {
            if (send is not null)
            {
                await EndSendAsync(send).ConfigureAwait(false);
            }
        }
    }

    // The send's result changes nothing here: a blob the target does not hold is uploaded with the image.
    private static async Task CompleteSendAsync(IStreamedBlob send, Descriptor blob, CancellationToken cancellationToken)
    {
        try
        {
            await send.CompleteAsync(blob, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The target logs why; the layer is in the store.
        }
    }

    // Abandons a send not completed (the write failed or was cancelled); a target that fails here changes nothing either.
    private static async Task EndSendAsync(IStreamedBlob send)
    {
        try
        {
            await send.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // As above: the target logs its own failures.
        }
    }

    /// <summary>
    /// The entries in the order they will be written, with missing parent directories added.
    /// Two entries with one path (CT2002) and a file used as a directory are errors.
    /// </summary>
    public static List<LayerEntry> Plan(IEnumerable<LayerEntry> entries)
    {
        var byPath = new Dictionary<string, LayerEntry>(StringComparer.Ordinal);
        foreach (LayerEntry entry in entries)
        {
            if (byPath.TryGetValue(entry.Path, out LayerEntry? existing))
            {
                if (existing.Kind == LayerEntryKind.Directory && entry.Kind == LayerEntryKind.Directory)
                {
                    if (entry.Mode is not null)
                    {
                        byPath[entry.Path] = entry;
                    }
                    continue;
                }
                throw new ContainerTasksException(ErrorCodes.DuplicateLayerPath,
                    $"Two entries of one layer have the path '/{entry.Path}' ({Describe(existing)} and {Describe(entry)}). Each path may appear once in a layer.");
            }
            byPath.Add(entry.Path, entry);
        }
        foreach (string path in byPath.Keys.ToList())
        {
            for (int slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
            {
                string parent = path[..slash];
                if (byPath.TryGetValue(parent, out LayerEntry? existing))
                {
                    if (existing.Kind != LayerEntryKind.Directory)
                    {
                        throw new ContainerTasksException(ErrorCodes.DuplicateLayerPath,
                            $"'/{parent}' is a {existing.Kind.ToString().ToLowerInvariant()} in the layer but '/{path}' needs it to be a directory.");
                    }
                    continue;
                }
                byPath.Add(parent, LayerEntry.Directory(parent));
            }
        }
        var plan = byPath.Values.ToList();
        plan.Sort(static (a, b) => CompareUtf8(a.Path, b.Path));
        foreach (LayerEntry entry in plan)
        {
            if (entry.Kind == LayerEntryKind.Symlink)
            {
                CheckLinkTarget(entry);
            }
        }
        return plan;
    }

    /// <summary>Layers with at least this many bytes of files are deflated in parallel pieces.</summary>
    public const long ParallelThreshold = 32L * 1024 * 1024;

    private static long SizeOf(LayerEntry entry)
    {
        try
        {
            return new FileInfo(entry.SourcePath!).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>The mode a file entry gets: its explicit mode, else 0755 for ELF binaries and scripts, else 0644.</summary>
    public static int ModeFor(LayerEntry entry, ReadOnlySpan<byte> firstBytes)
    {
        if (entry.Mode is int explicitMode)
        {
            return explicitMode;
        }
        if (entry.Kind != LayerEntryKind.File)
        {
            return ExecutableMode;
        }
        bool elf = firstBytes.Length >= 4 && firstBytes[..4].SequenceEqual("\u007fELF"u8);
        bool script = firstBytes.Length >= 2 && firstBytes[..2].SequenceEqual("#!"u8);
        return elf || script ? ExecutableMode : RegularMode;
    }

    private void WriteTar(List<LayerEntry> plan, Stream output, CancellationToken cancellationToken)
    {
        var tar = new TarStreamWriter(output, _options.ModificationTime.ToUnixTimeSeconds(), entryRecords: _options.Windows ? WindowsLayerFormat.EntryRecords : null);
        Span<byte> magic = stackalloc byte[4];
        foreach (LayerEntry entry in plan)
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (entry.Kind)
            {
                case LayerEntryKind.Directory:
                    (int dirUid, int dirGid) = _options.OwnerOf(entry.Path);
                    tar.WriteDirectory(entry.Path, _options.Windows ? ExecutableMode : entry.Mode ?? ExecutableMode, dirUid, dirGid);
                    break;
                case LayerEntryKind.Symlink:
                    (int linkUid, int linkGid) = _options.OwnerOf(entry.Path);
                    tar.WriteSymlink(entry.Path, entry.LinkTarget!, linkUid, linkGid);
                    break;
                default:
                    LayerEntry listed = entry.Identity is null ? entry with { Identity = LayerSource.Identify(entry) } : entry;
                    using (FileStream source = LayerSource.Open(listed, "since it was hashed"))
                    {
                        int read = source.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
                        int mode = _options.Windows ? ExecutableMode : ModeFor(entry, magic[..read]);
                        source.Position = 0;
                        (int uid, int gid) = _options.OwnerOf(entry.Path);
                        tar.WriteFile(entry.Path, mode, uid, gid, listed.Identity!.Value.Size, source, cancellationToken);
                        LayerSource.Check(listed, source, "while it was written");
                    }
                    break;
            }
        }
        tar.Finish();
    }

    private static void CheckLinkTarget(LayerEntry entry)
    {
        string target = entry.LinkTarget!;
        if (target.StartsWith('/'))
        {
            return;
        }
        // A relative target must not climb above the image root.
        int depth = entry.Path.Count(c => c == '/');
        foreach (string segment in target.Split('/'))
        {
            if (segment == "..")
            {
                depth--;
                if (depth < 0)
                {
                    throw new ContainerTasksException(ErrorCodes.InvalidLink,
                        $"The symbolic link '/{entry.Path}' -> '{target}' points above the image root. Use an absolute target or one inside the image.");
                }
            }
            else if (segment.Length > 0 && segment != ".")
            {
                depth++;
            }
        }
    }

    private static int CompareUtf8(string a, string b)
    {
        // Ordinal UTF-16 order differs from UTF-8 byte order for characters above U+FFFF; tar readers see bytes.
        if (Ascii(a) && Ascii(b))
        {
            return string.CompareOrdinal(a, b);
        }
        return Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));
    }

    private static bool Ascii(string s) => System.Text.Ascii.IsValid(s);

    private static string Describe(LayerEntry entry) => entry.Kind switch
    {
        LayerEntryKind.File => $"file '{entry.SourcePath}'",
        LayerEntryKind.Symlink => $"link to '{entry.LinkTarget}'",
        _ => "directory",
    };
}
