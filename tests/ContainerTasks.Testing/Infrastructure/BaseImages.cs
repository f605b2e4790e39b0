namespace ContainerTasks.Tests.Infrastructure;

/// <summary>
/// Test base images, built once per test run from this machine's files by build/testimages/make-base.sh
/// (no internet), into one OCI layout. The images are made by umoci, not by our code, so reading them
/// tests our readers against an independent writer.
/// </summary>
public sealed class BaseImages : IDisposable
{
    private readonly TempDirectory _directory = new("ct-bases-");
    private readonly object _gate = new();
    private readonly HashSet<string> _built = new();

    /// <summary>The OCI layout holding every base built so far.</summary>
    public string Layout => _directory["layout"];

    /// <summary>A folder for derived forms (archives) of the bases.</summary>
    public string Scratch => _directory.Path;

    /// <summary>Builds the base of <paramref name="kind"/> (busybox, dotnet, aspnet) if needed; returns <c>oci:LAYOUT:TAG</c>.</summary>
    public string Get(string kind)
    {
        lock (_gate)
        {
            if (_built.Add(kind))
            {
                Run.Process("bash", [Path.Combine(Repo.Root, "build", "testimages", "make-base.sh"), "--kind", kind, "--out", Layout, "--tag", kind],
                    timeout: TimeSpan.FromMinutes(5)).EnsureSuccess($"make-base.sh --kind {kind}");
            }
            return $"oci:{Layout}:{kind}";
        }
    }

    /// <summary>The name of the test collection that shares one set of base images.</summary>
    public const string CollectionName = "images";

    /// <summary>Deletes the images.</summary>
    public void Dispose() => _directory.Dispose();
}
