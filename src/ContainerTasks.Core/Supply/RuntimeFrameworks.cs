using System.Text.Json;

namespace ContainerTasks.Supply;

/// <summary>
/// The .NET shared frameworks of a published app, from its <c>*.runtimeconfig.json</c>: <c>framework</c> or
/// <c>frameworks</c> for a framework-dependent app (the base image provides them), <c>includedFrameworks</c>
/// for a self-contained one (runtime packs in the app).
/// </summary>
internal static class RuntimeFrameworks
{
    private const long MaxBytes = 1024 * 1024;

    /// <exception cref="ContainerTasksException">CT5009 when the file cannot be read; CT5010 when it is not JSON.</exception>
    public static IReadOnlyList<SbomFramework> Read(string runtimeConfigPath)
        => PublishFile.Read(runtimeConfigPath, "The runtime configuration", MaxBytes, Parse);

    internal static IReadOnlyList<SbomFramework> Parse(JsonElement root)
    {
        if (!root.TryGetProperty("runtimeOptions", out var options))
        {
            return [];
        }
        var frameworks = new List<SbomFramework>();
        if (options.TryGetProperty("framework", out var single))
        {
            Add(frameworks, single, selfContained: false);
        }
        foreach (var (name, selfContained) in new[] { ("frameworks", false), ("includedFrameworks", true) })
        {
            if (options.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in list.EnumerateArray())
                {
                    Add(frameworks, item, selfContained);
                }
            }
        }
        return frameworks.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
    }

    private static void Add(List<SbomFramework> frameworks, JsonElement item, bool selfContained)
    {
        if (item.TryGetProperty("name", out var name) && item.TryGetProperty("version", out var version)
            && name.GetString() is { Length: > 0 } n && version.GetString() is { Length: > 0 } v)
        {
            frameworks.Add(new SbomFramework(n, v, selfContained));
        }
    }
}
