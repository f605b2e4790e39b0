using System.Text.Json;

namespace ContainerTasks.Tests.Infrastructure;

/// <summary>One tar entry of a layer, as Python's <c>tarfile</c> reads it (build/testimages/dump-layer.py).</summary>
/// <param name="Name">tarfile's name (a directory's trailing '/' dropped).</param>
/// <param name="Stored">The name exactly as stored (PAX <c>path</c>, else ustar prefix + name): trailing '/' and '//' show.</param>
/// <param name="Type"><c>file</c>, <c>dir</c>, <c>symlink</c>, <c>hardlink</c> or <c>other</c>.</param>
/// <param name="Mode">The permission bits in octal, e.g. <c>0755</c>.</param>
/// <param name="Uid">The owner id.</param>
/// <param name="Gid">The group id.</param>
/// <param name="Pax">Every PAX record of the entry (<c>tarinfo.pax_headers</c>).</param>
/// <param name="Sha256">The hex SHA-256 of a regular file's bytes; null for other types.</param>
public sealed record DumpedEntry(string Name, string Stored, string Type, string Mode, int Uid, int Gid, IReadOnlyDictionary<string, string> Pax, string? Sha256)
{
    /// <summary>The name with any trailing '/' dropped and runs of '/' collapsed to one.</summary>
    public string NormalizedName => string.Join('/', Stored.Split('/', StringSplitOptions.RemoveEmptyEntries));
}

/// <summary>A layer of an image in an OCI layout: its descriptor and, when the layout holds its blob, its entries.</summary>
public sealed record DumpedLayer(string MediaType, string Digest, IReadOnlyList<DumpedEntry>? Entries);

/// <summary>An image read from an OCI layout: the whole config document (not only its <c>config</c> part) and its layers.</summary>
public sealed record DumpedImage(JsonElement Config, IReadOnlyList<DumpedLayer> Layers);

/// <summary>
/// Reads layers with Python's <c>tarfile</c> (build/testimages/dump-layer.py), a reader independent of our code.
/// </summary>
public static class LayerDump
{
    /// <summary>The entries of the layer blob (tar or gzip tar) at <paramref name="blob"/>, in tar order.</summary>
    public static IReadOnlyList<DumpedEntry> Read(string blob)
    {
        string json = Run.Process("python3", [Path.Combine(Repo.Root, "build", "testimages", "dump-layer.py"), blob])
            .EnsureSuccess($"dump-layer.py {blob}").StandardOutput;
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(e => new DumpedEntry(
            e.GetProperty("name").GetString()!,
            e.GetProperty("stored").GetString()!,
            e.GetProperty("type").GetString()!,
            e.GetProperty("mode").GetString()!,
            e.GetProperty("uid").GetInt32(),
            e.GetProperty("gid").GetInt32(),
            e.GetProperty("pax").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
            e.GetProperty("sha256").GetString())).ToList();
    }

    /// <summary>
    /// The image <paramref name="tag"/> of the OCI layout <paramref name="layout"/> (a single manifest): its config and every
    /// layer (entries null for a layer whose blob the layout lacks, as a foreign layer's).
    /// </summary>
    public static DumpedImage ReadImage(string layout, string tag)
    {
        using JsonDocument index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json")));
        string manifestDigest = index.RootElement.GetProperty("manifests").EnumerateArray()
            .Single(m => m.TryGetProperty("annotations", out var a) && a.TryGetProperty("org.opencontainers.image.ref.name", out var n) && n.GetString() == tag)
            .GetProperty("digest").GetString()!;
        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllBytes(BlobPath(layout, manifestDigest)));
        using JsonDocument config = JsonDocument.Parse(File.ReadAllBytes(BlobPath(layout, manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!)));
        var layers = manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l =>
        {
            string digest = l.GetProperty("digest").GetString()!;
            string blob = BlobPath(layout, digest);
            return new DumpedLayer(l.GetProperty("mediaType").GetString()!, digest, File.Exists(blob) ? Read(blob) : null);
        }).ToList();
        return new DumpedImage(config.RootElement.Clone(), layers);
    }

    private static string BlobPath(string layout, string digest) => Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..]);
}
