using System.Text.Json;

namespace ContainerTasks.Supply;

/// <summary>
/// The NuGet packages a publish put in the app, from its <c>&lt;app&gt;.deps.json</c>: the list the .NET host
/// loads by and image scanners read. The assets file's graph holds more: build-only packages (analyzers, code
/// generators, MSBuild tasks), <c>PrivateAssets="all"</c> references, and runtime packages of other platforms
/// whose only asset is a <c>_._</c> placeholder; the publish leaves their files out.
/// </summary>
internal static class DepsFile
{
    private const long MaxBytes = 64L * 1024 * 1024;

    /// <summary>The <c>Id/Version</c> keys of the <c>package</c> libraries, compared ignoring case as NuGet ids are.</summary>
    /// <exception cref="ContainerTasksException">CT5009 when the file cannot be read; CT5010 when it is not JSON.</exception>
    public static IReadOnlySet<string> Packages(string depsJsonPath)
        => PublishFile.Read(depsJsonPath, "The dependency file", MaxBytes, Parse);

    internal static IReadOnlySet<string> Parse(JsonElement root)
    {
        var packages = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (root.TryGetProperty("libraries", out var libraries) && libraries.ValueKind == JsonValueKind.Object)
        {
            packages.UnionWith(libraries.EnumerateObject()
                .Where(l => l.Value.TryGetProperty("type", out var type) && type.ValueEquals("package"))
                .Select(l => l.Name));
        }
        return packages;
    }
}
