using System.Text.Json;

namespace ContainerTasks.Supply;

/// <summary>The NuGet graph of one target of a restored project, read from its <c>obj/project.assets.json</c>.</summary>
internal sealed record AssetsGraph(IReadOnlyList<SbomPackage> Packages, IReadOnlyList<SbomPackage> ProjectReferences)
{
    /// <summary>
    /// The graph of what is in the image: only the packages the publish put in the app (<see cref="DepsFile.Packages"/>),
    /// so build-only and <c>PrivateAssets="all"</c> packages, whose files the image lacks, are not listed.
    /// </summary>
    public AssetsGraph Published(IReadOnlySet<string> publishedPackages)
        => this with { Packages = Packages.Where(p => publishedPackages.Contains($"{p.Id}/{p.Version}")).ToList() };
}

/// <summary>
/// Reads <c>obj/project.assets.json</c>: the packages and projects of <c>targets["net10.0"]</c> (or
/// <c>["net10.0/linux-x64"]</c>), their SHA-512 from <c>libraries</c>, and which ones the project names itself
/// (<c>project.frameworks[tfm].dependencies</c>, <c>project.restore.frameworks[tfm].projectReferences</c>).
/// </summary>
internal static class AssetsFile
{
    /// <summary>A large solution's assets file is a few MiB; past this the file is refused rather than read into memory.</summary>
    public const long MaxBytes = 256L * 1024 * 1024;

    /// <summary>The graph of <paramref name="targetFramework"/> (and <paramref name="runtimeIdentifier"/>, when the app has one).</summary>
    /// <exception cref="ContainerTasksException">CT5009 when the file is missing, unreadable or too large; CT5010 when it is malformed.</exception>
    public static AssetsGraph Read(string path, string targetFramework, string? runtimeIdentifier = null)
        => ReadAll(path, targetFramework, [runtimeIdentifier])[0];

    /// <summary>The graph of each runtime identifier's target, from one read of the file (a multi-platform publish has one target per platform).</summary>
    /// <exception cref="ContainerTasksException">CT5009 when the file is missing, unreadable or too large; CT5010 when it is malformed.</exception>
    public static IReadOnlyList<AssetsGraph> ReadAll(string path, string targetFramework, IReadOnlyList<string?> runtimeIdentifiers)
    {
        byte[] bytes = ReadBounded(path);
        try
        {
            using var document = JsonDocument.Parse(bytes);
            return runtimeIdentifiers.Select(rid => ReadGraph(document.RootElement, path, targetFramework, rid)).ToList();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw Malformed(path, e.Message, e);
        }
    }

    private static byte[] ReadBounded(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxBytes)
            {
                throw new ContainerTasksException(ErrorCodes.AssetsFileNotFound,
                    $"The NuGet assets file '{path}' is {Sizes.Format(stream.Length)}, over the SBOM's limit of {Sizes.Format(MaxBytes)}. Check that it is the project's obj/project.assets.json.");
            }
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContainerTasksException(ErrorCodes.AssetsFileNotFound,
                $"The NuGet assets file '{path}' could not be read: {e.Message} Restore the project (dotnet restore) before the publish.", e);
        }
    }

    private static AssetsGraph ReadGraph(JsonElement root, string path, string targetFramework, string? runtimeIdentifier)
    {
        string targetKey = runtimeIdentifier is null ? targetFramework : $"{targetFramework}/{runtimeIdentifier}";
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("targets", out var targets)
            || !TryGetIgnoreCase(targets, targetKey, out var target) || target.ValueKind != JsonValueKind.Object)
        {
            throw Malformed(path, $"it has no targets[\"{targetKey}\"] section", null);
        }
        var libraries = root.TryGetProperty("libraries", out var l) ? l : default;
        var (directPackages, directProjects) = DirectReferences(root, targetFramework);
        var packages = new List<SbomPackage>();
        var projects = new List<SbomPackage>();
        foreach (var entry in target.EnumerateObject())
        {
            int slash = entry.Name.IndexOf('/');
            if (slash <= 0 || slash == entry.Name.Length - 1)
            {
                throw Malformed(path, $"the library '{entry.Name}' has no version", null);
            }
            string id = entry.Name[..slash];
            string version = entry.Name[(slash + 1)..];
            string type = entry.Value.TryGetProperty("type", out var t) ? t.GetString() ?? "package" : "package";
            var dependsOn = entry.Value.TryGetProperty("dependencies", out var deps) && deps.ValueKind == JsonValueKind.Object
                ? deps.EnumerateObject().Select(d => d.Name).Order(StringComparer.OrdinalIgnoreCase).ToList()
                : [];
            if (type == "project")
            {
                projects.Add(new SbomPackage(id, version, null, directProjects.Contains(id), dependsOn, IsProject: true));
            }
            else
            {
                packages.Add(new SbomPackage(id, version, Sha512Hex(libraries, entry.Name), directPackages.Contains(id), dependsOn));
            }
        }
        return new AssetsGraph(packages, projects);
    }

    // The ids the project names itself: package references, and project references by file name without extension.
    private static (HashSet<string> Packages, HashSet<string> Projects) DirectReferences(JsonElement root, string targetFramework)
    {
        var packages = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var projects = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (!root.TryGetProperty("project", out var project))
        {
            return (packages, projects);
        }
        if (project.TryGetProperty("frameworks", out var frameworks) && TryGetIgnoreCase(frameworks, targetFramework, out var framework)
            && framework.TryGetProperty("dependencies", out var dependencies) && dependencies.ValueKind == JsonValueKind.Object)
        {
            packages.UnionWith(dependencies.EnumerateObject().Select(d => d.Name));
        }
        if (project.TryGetProperty("restore", out var restore) && restore.TryGetProperty("frameworks", out var restoreFrameworks)
            && TryGetIgnoreCase(restoreFrameworks, targetFramework, out var restoreFramework)
            && restoreFramework.TryGetProperty("projectReferences", out var references) && references.ValueKind == JsonValueKind.Object)
        {
            projects.UnionWith(references.EnumerateObject().Select(r => Path.GetFileNameWithoutExtension(r.Name)));
        }
        return (packages, projects);
    }

    private static string? Sha512Hex(JsonElement libraries, string key)
    {
        if (libraries.ValueKind != JsonValueKind.Object || !libraries.TryGetProperty(key, out var library)
            || !library.TryGetProperty("sha512", out var sha) || sha.GetString() is not { Length: > 0 } base64)
        {
            return null;
        }
        return Convert.ToHexString(Convert.FromBase64String(base64)).ToLowerInvariant();
    }

    private static bool TryGetIgnoreCase(JsonElement element, string name, out JsonElement value)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = property.Value;
                    return true;
                }
            }
        }
        value = default;
        return false;
    }

    private static ContainerTasksException Malformed(string path, string why, Exception? inner)
        => new(ErrorCodes.InvalidAssetsFile,
            $"The NuGet assets file '{path}' cannot be read for the SBOM: {why}. Restore the project again for this target framework and runtime identifier.", inner);
}
