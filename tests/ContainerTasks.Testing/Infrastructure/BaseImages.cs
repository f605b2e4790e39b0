namespace ContainerTasks.Tests.Infrastructure;

/// <summary>
/// Test base images, built once per test run from this machine's files by build/testimages/make-base.sh
/// (no internet), into one OCI layout. The images are made by umoci, not by our code, so reading them
/// tests our readers against an independent writer. The collections that run side by side
/// (<see cref="CollectionName"/>, <see cref="SecondCollectionName"/>) share one layout: each fixture is a handle on it,
/// and the last one disposed deletes it.
/// </summary>
public sealed class BaseImages : IDisposable
{
    private static readonly object Gate = new();
    private static Store? shared;
    private static int handles;
    private readonly Store _store;
    private int _disposed;

    /// <summary>Opens a handle on the run's shared layout.</summary>
    public BaseImages()
    {
        lock (Gate)
        {
            shared ??= new Store();
            handles++;
            _store = shared;
        }
    }

    /// <summary>The OCI layout holding every base built so far.</summary>
    public string Layout => _store.Directory["layout"];

    /// <summary>A folder for derived forms (archives) of the bases.</summary>
    public string Scratch => _store.Directory.Path;

    /// <summary>Builds the base of <paramref name="kind"/> (busybox, dotnet, aspnet) if needed; returns <c>oci:LAYOUT:TAG</c>.</summary>
    public string Get(string kind)
    {
        lock (_store.Built)
        {
            if (_store.Built.Add(kind))
            {
                Run.Process("bash", [Path.Combine(Repo.Root, "build", "testimages", "make-base.sh"), "--kind", kind, "--out", Layout, "--tag", kind],
                    timeout: TimeSpan.FromMinutes(5)).EnsureSuccess($"make-base.sh --kind {kind}");
            }
            return $"oci:{Layout}:{kind}";
        }
    }

    /// <summary>The name of the test collection that shares one set of base images.</summary>
    public const string CollectionName = "images";

    /// <summary>A second collection of image tests that runs beside <see cref="CollectionName"/> (the same images).</summary>
    public const string SecondCollectionName = "images-engines";

    /// <summary>Releases this handle; the last one deletes the images.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        lock (Gate)
        {
            if (--handles == 0)
            {
                shared = null;
                _store.Directory.Dispose();
            }
        }
    }

    private sealed class Store
    {
        public TempDirectory Directory { get; } = new("ct-bases-");

        public HashSet<string> Built { get; } = new();
    }
}
