using ContainerTasks.Model;

namespace ContainerTasks.Content;

/// <summary>
/// Every path under the cache folder, and how long each kind of entry is kept. Nothing else joins paths under the
/// root: the store, the layer and stat caches and the "pushed here" markers ask for them here; the registry transport
/// is given its folder (<see cref="Registries"/>) and names the files in it (<c>&lt;host&gt;.scheme</c>).
/// <list type="table">
/// <item><term><c>blobs/&lt;algorithm&gt;/&lt;hex&gt;</c></term><description>content by digest; least recently used deleted beyond the size limit, none used within the last hour.</description></item>
/// <item><term><c>tmp/&lt;guid&gt;.partial</c></term><description>blobs being written; a leftover not written for an hour is deleted.</description></item>
/// <item><term><c>locks/&lt;algorithm&gt;-&lt;hex&gt;.lock</c></term><description>one download at a time per blob; deleted when not held and an hour old.</description></item>
/// <item><term><c>layers/&lt;key&gt;.json</c></term><description>built layers by content; deleted with their blob, or an hour after their blob is gone.</description></item>
/// <item><term><c>stat/&lt;hash&gt;</c></term><description>file hashes by path and identity; deleted when not used for 7 days.</description></item>
/// <item><term><c>pushed/&lt;hex&gt;</c></term><description>images this machine pushed; deleted when not used for 30 days.</description></item>
/// <item><term><c>engine-images/&lt;hex&gt;</c></term><description>base images exported from a local engine: its image id → the manifest made of the export; deleted when not used for 30 days.</description></item>
/// <item><term><c>registries/&lt;host&gt;.scheme</c></term><description>registries that speak plain HTTP; deleted when the registry stops doing so, or 30 days after it was written.</description></item>
/// </list>
/// Temporary files of the index folders (<c>*.&lt;guid&gt;.tmp</c>) are deleted once an hour old. The folders ruled by
/// age are swept at most once an hour (the time of the last sweep is that of the file <c>swept</c>); every prune
/// lists the blobs.
/// </summary>
public sealed class CacheLayout
{
    /// <summary>How long a blob, a lock, a partial write or any temporary file is kept after it was last written.</summary>
    internal static readonly TimeSpan InFlightAge = TimeSpan.FromHours(1);

    /// <summary>How long a stat entry is kept unused: a CI checkout at a new path adds one per published file.</summary>
    internal static readonly TimeSpan StatAge = TimeSpan.FromDays(7);

    /// <summary>How long a "pushed here" marker is kept unused: losing one only loses layer reuse for that tag once.</summary>
    internal static readonly TimeSpan PushedAge = TimeSpan.FromDays(30);

    /// <summary>How long a registry is remembered as plain HTTP: after that one build tries TLS first again.</summary>
    internal static readonly TimeSpan SchemeAge = TimeSpan.FromDays(30);

    /// <summary>How often an entry in use is marked used again: once a day is enough for rules counted in days.</summary>
    internal static readonly TimeSpan UseMarkInterval = TimeSpan.FromDays(1);

    /// <summary>How often the folders ruled by age are listed: their rules count in hours and days.</summary>
    internal static readonly TimeSpan SweepInterval = TimeSpan.FromHours(1);

    /// <summary>The folders of indexes (not content): forgotten when others could have written them.</summary>
    internal static readonly IReadOnlyList<string> IndexFolders = ["layers", "stat", "pushed", "registries", "verified", "engine-images"];

    /// <summary>A layout rooted at <paramref name="root"/> (made absolute).</summary>
    public CacheLayout(string root)
    {
        Root = Path.GetFullPath(root);
    }

    /// <summary>The cache folder.</summary>
    public string Root { get; }

    /// <summary>The content-addressed blobs, one folder per digest algorithm.</summary>
    public string Blobs => Path.Combine(Root, "blobs");

    /// <summary>Blobs being written, renamed into <see cref="Blobs"/> when complete.</summary>
    public string Temp => Path.Combine(Root, "tmp");

    /// <summary>Lock files, one per blob being downloaded.</summary>
    public string Locks => Path.Combine(Root, "locks");

    /// <summary>The layer cache's entries.</summary>
    public string Layers => Path.Combine(Root, "layers");

    /// <summary>The stat cache's entries.</summary>
    public string Stat => Path.Combine(Root, "stat");

    /// <summary>The markers of images this machine pushed.</summary>
    public string Pushed => Path.Combine(Root, "pushed");

    /// <summary>What the registry client remembers about registries (which speak plain HTTP).</summary>
    public string Registries => Path.Combine(Root, "registries");

    /// <summary>Layers whose diff_id this machine checked against their blob (ContainerCacheVerify): one file per blob, holding the diff_id.</summary>
    public string Verified => Path.Combine(Root, "verified");

    /// <summary>Base images exported from a local engine: one file per engine image id, holding the digest of the manifest made of the export.</summary>
    public string EngineImages => Path.Combine(Root, "engine-images");

    /// <summary>An empty file whose modification time is when the folders ruled by age were last swept.</summary>
    public string SweepStamp => Path.Combine(Root, "swept");

    /// <summary>Where the blob with <paramref name="digest"/> lives.</summary>
    public string BlobPath(Digest digest) => Path.Combine(Blobs, digest.Algorithm, digest.Hex);

    /// <summary>A new name for a blob being written.</summary>
    internal string NewPartialPath() => Path.Combine(Temp, $"{Guid.NewGuid():N}.partial");

    /// <summary>The lock file of the blob with <paramref name="digest"/>.</summary>
    public string LockPath(Digest digest) => Path.Combine(Locks, $"{digest.Algorithm}-{digest.Hex}.lock");

    /// <summary>The layer cache's entry for the layer with content key <paramref name="key"/>.</summary>
    public string LayerEntryPath(string key) => Path.Combine(Layers, key + ".json");

    /// <summary>The marker saying this machine pushed the image (or index) <paramref name="digest"/>.</summary>
    public string PushedMarker(Digest digest) => Path.Combine(Pushed, digest.Hex);

    /// <summary>The record of the diff_id checked for the blob <paramref name="blob"/>.</summary>
    public string VerifiedEntry(Digest blob) => Path.Combine(Verified, blob.Hex);

    /// <summary>The record of the manifest made of the local engine's image <paramref name="imageId"/>.</summary>
    public string EngineImageEntry(Digest imageId) => Path.Combine(EngineImages, imageId.Hex);

    /// <summary>A temporary name next to <paramref name="path"/>, renamed over it when written.</summary>
    internal static string NewTempPath(string path) => $"{path}.{Guid.NewGuid():N}.tmp";

    /// <summary>
    /// The default cache folder, from the build's <paramref name="environment"/>: <c>CONTAINERTASKS_CACHE</c>,
    /// else <c>$XDG_CACHE_HOME/containertasks</c>, else <c>$HOME/.cache/containertasks</c>
    /// (<c>%LOCALAPPDATA%\containertasks</c> on Windows).
    /// </summary>
    public static string DefaultRoot(IReadOnlyDictionary<string, string> environment)
    {
        if (Value(environment, "CONTAINERTASKS_CACHE") is { } explicitRoot)
        {
            return explicitRoot;
        }
        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "containertasks");
        }
        string home = Value(environment, "HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(Value(environment, "XDG_CACHE_HOME") ?? Path.Combine(home, ".cache"), "containertasks");
    }

    private static string? Value(IReadOnlyDictionary<string, string> environment, string name)
        => environment.TryGetValue(name, out string? value) && value.Length > 0 ? value : null;

    /// <summary>The rules by age, one per folder: each folder is listed once and each name judged once.</summary>
    internal IReadOnlyList<CacheRetention> AgeRules() =>
    [
        new(Temp, name => IsPartialName(name) ? InFlightAge : null),
        new(Locks, name => IsLockName(name) ? InFlightAge : null, HeldByLock: true),
        new(Stat, name => IsHex(name, 40) ? StatAge : IsTempName(name) ? InFlightAge : null),
        new(Pushed, name => IsHex(name, 64) || IsHex(name, 128) ? PushedAge : IsTempName(name) ? InFlightAge : null),
        new(Verified, name => IsHex(name, 64) || IsHex(name, 128) ? PushedAge : IsTempName(name) ? InFlightAge : null),
        new(EngineImages, name => IsHex(name, 64) || IsHex(name, 128) ? PushedAge : IsTempName(name) ? InFlightAge : null),
        new(Layers, name => IsTempName(name) ? InFlightAge : null),
        new(Registries, name => IsSchemeName(name) ? SchemeAge : IsTempName(name) ? InFlightAge : null),
    ];

    /// <summary>The digest algorithms blobs are stored under.</summary>
    internal static IReadOnlyList<string> BlobAlgorithms { get; } = ["sha256", "sha512"];

    /// <summary>True for a name the store gives a blob of <paramref name="algorithm"/>.</summary>
    internal static bool IsBlobName(string algorithm, string name) => IsHex(name, algorithm == "sha512" ? 128 : 64);

    /// <summary>True for a layer cache entry's name.</summary>
    internal static bool IsLayerEntryName(string name) => name.EndsWith(".json", StringComparison.Ordinal);

    private static bool IsPartialName(string name) => name.EndsWith(".partial", StringComparison.Ordinal) && IsHex(name[..^".partial".Length], 32);

    private static bool IsLockName(string name)
        => name.EndsWith(".lock", StringComparison.Ordinal) && name.Split('-', 2) is [var algorithm, var rest]
            && BlobAlgorithms.Contains(algorithm) && IsBlobName(algorithm, rest[..^".lock".Length]);

    // What the registry transport writes: "<host with [a-z0-9.-], others as _>.scheme".
    private static bool IsSchemeName(string name)
        => name.Length > ".scheme".Length && name.EndsWith(".scheme", StringComparison.Ordinal)
            && name[..^".scheme".Length].All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-' or '_');

    // What NewTempPath makes: "<entry>.<32 hex>.tmp".
    private static bool IsTempName(string name)
        => name.EndsWith(".tmp", StringComparison.Ordinal) && name.Length > 38 && name[^37] == '.' && IsHex(name[^36..^4], 32);

    private static bool IsHex(string name, int length) => name.Length == length && name.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
