namespace ContainerTasks.Layers;

/// <summary>
/// Classifies every file of the publish folder (the listing on disk is the truth: some published files,
/// like <c>wwwroot</c> and <c>web.config</c>, are not MSBuild items) and builds one entry list per layer.
/// Each path lands in exactly one layer; empty layers are left out.
/// </summary>
internal static class LayerPlanner
{
    /// <summary>Plans the layers.</summary>
    /// <param name="publishDirectory">The publish folder.</param>
    /// <param name="workingDirectory">Where it goes in the image.</param>
    /// <param name="files">Item metadata for published files (others go to the app layer).</param>
    /// <param name="runtimePackageIds">Package ids of the runtime packs (self-contained apps).</param>
    /// <param name="appHost">The app host's relative path, if any.</param>
    /// <param name="mode">Split or single.</param>
    /// <param name="extraLayers">Layers the project adds on top.</param>
    /// <param name="trimForeignRuntimeAssets">Drop <c>runtimes/&lt;rid&gt;/</c> folders that cannot run on <paramref name="runtimeIdentifier"/>.</param>
    /// <param name="runtimeIdentifier">The image's runtime identifier.</param>
    public static List<PlannedLayer> Plan(string publishDirectory, string workingDirectory, IEnumerable<PublishedFile> files,
        IEnumerable<string> runtimePackageIds, string? appHost, LayeringMode mode, IEnumerable<ExtraLayer>? extraLayers = null,
        bool trimForeignRuntimeAssets = false, string? runtimeIdentifier = null)
    {
        string? appHostPath = appHost?.Replace('\\', '/');
        // Publish itself may link files in (CreateSymbolicLinksForPublishFilesIfPossible): links to what it published are build inputs.
        var sources = new Lazy<HashSet<string>>(() => PublishSources(files));
        List<LayerEntry> all = DirectoryEntries.FromDirectory(publishDirectory, workingDirectory,
            relative => relative == appHostPath ? LayerWriter.ExecutableMode : null, target => sources.Value.Contains(target));
        string prefix = LayerPath.Normalize(workingDirectory) + "/";
        if (trimForeignRuntimeAssets && runtimeIdentifier is not null)
        {
            all = all.Where(e => !e.Path.StartsWith(prefix, StringComparison.Ordinal) || !IsForeignRuntimeAsset(e.Path[prefix.Length..], runtimeIdentifier)).ToList();
        }
        List<PlannedLayer> layers = mode == LayeringMode.Single
            ? [new PlannedLayer(LayerKind.App, "app", all)]
            : SplitByKind(all, prefix, files, runtimePackageIds, appHostPath);
        layers.AddRange((extraLayers ?? []).Select(ExtraLayerOf));
        return layers;
    }

    // One layer per kind, in the enum's order (the least often changed first), each non-empty.
    private static List<PlannedLayer> SplitByKind(List<LayerEntry> all, string prefix, IEnumerable<PublishedFile> files, IEnumerable<string> runtimePackageIds, string? appHostPath)
    {
        var metadata = new Dictionary<string, PublishedFile>(StringComparer.Ordinal);
        foreach (PublishedFile file in files)
        {
            metadata[file.RelativePath.Replace('\\', '/')] = file;
        }
        var runtimeIds = new HashSet<string>(runtimePackageIds, StringComparer.OrdinalIgnoreCase);
        var byKind = new Dictionary<LayerKind, List<LayerEntry>>();
        foreach (LayerEntry entry in all)
        {
            string relative = entry.Path.Length > prefix.Length - 1 && entry.Path.StartsWith(prefix, StringComparison.Ordinal) ? entry.Path[prefix.Length..] : "";
            LayerKind kind = entry.Kind == LayerEntryKind.Directory
                ? LayerKind.App
                : Classify(relative, metadata.GetValueOrDefault(relative), runtimeIds, appHostPath);
            if (!byKind.TryGetValue(kind, out var list))
            {
                byKind[kind] = list = new List<LayerEntry>();
            }
            list.Add(entry);
        }
        if (byKind.TryGetValue(LayerKind.App, out var appEntries))
        {
            byKind[LayerKind.App] = WithoutParentDirectories(appEntries, byKind.Values.SelectMany(l => l));
        }
        return Enum.GetValues<LayerKind>()
            .Where(kind => byKind.TryGetValue(kind, out var entries) && entries.Count > 0)
            .Select(kind => new PlannedLayer(kind, Name(kind), byKind[kind]))
            .ToList();
    }

    // Directories go with the app layer only when empty; the others are re-created by each layer's parents.
    private static List<LayerEntry> WithoutParentDirectories(List<LayerEntry> appEntries, IEnumerable<LayerEntry> allEntries)
    {
        var parents = new HashSet<string>(StringComparer.Ordinal);
        foreach (LayerEntry entry in allEntries.Where(e => e.Kind != LayerEntryKind.Directory))
        {
            // Up the path until a folder already seen: its own parents were added with it.
            int slash = entry.Path.LastIndexOf('/');
            while (slash > 0 && parents.Add(entry.Path[..slash]))
            {
                slash = entry.Path.LastIndexOf('/', slash - 1);
            }
        }
        return appEntries.Where(e => e.Kind != LayerEntryKind.Directory || !parents.Contains(e.Path)).ToList();
    }

    private static PlannedLayer ExtraLayerOf(ExtraLayer extra)
    {
        var entries = Directory.Exists(extra.Source)
            ? DirectoryEntries.FromDirectory(extra.Source, extra.Destination, _ => extra.Mode)
            : File.Exists(extra.Source)
                ? [LayerEntry.File(extra.Source, extra.Destination, extra.Mode)]
                : throw new ContainerTasksException(ErrorCodes.LayerSourceUnreadable,
                    $"The ContainerLayer '{extra.Source}' does not exist. Point it at a file or folder of the project.");
        return new PlannedLayer(LayerKind.Extra, $"extra {LayerPath.Normalize(extra.Destination)}", entries);
    }

    private static HashSet<string> PublishSources(IEnumerable<PublishedFile> files)
    {
        var sources = new HashSet<string>(StringComparer.Ordinal);
        foreach (string path in files.Select(f => f.SourcePath).OfType<string>())
        {
            try
            {
                sources.Add(FileSystem.CanonicalPath.Resolve(path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone since publish: nothing links to it then.
            }
        }
        return sources;
    }

    /// <summary>The layer of one published file.</summary>
    public static LayerKind Classify(string relativePath, PublishedFile? file, IReadOnlySet<string> runtimePackageIds, string? appHost)
    {
        if (appHost is not null && relativePath == appHost)
        {
            return LayerKind.AppHost;
        }
        if (file?.PackageId is { Length: > 0 } package)
        {
            if (runtimePackageIds.Contains(package))
            {
                return LayerKind.Runtime;
            }
            // "1.0.0+build" is stable: only a '-' before any '+' marks a prerelease.
            string version = file.PackageVersion ?? "";
            int plus = version.IndexOf('+');
            return (plus < 0 ? version : version[..plus]).Contains('-') ? LayerKind.PrereleasePackages : LayerKind.Packages;
        }
        if (file?.FromProjectReference == true)
        {
            return LayerKind.ProjectReferences;
        }
        if (relativePath.StartsWith("wwwroot/", StringComparison.Ordinal))
        {
            return LayerKind.StaticWebAssets;
        }
        return LayerKind.App;
    }

    private static string Name(LayerKind kind) => kind switch
    {
        LayerKind.Runtime => ".NET runtime",
        LayerKind.AppHost => "app host",
        LayerKind.Packages => "NuGet packages",
        LayerKind.PrereleasePackages => "prerelease NuGet packages",
        LayerKind.ProjectReferences => "project references",
        LayerKind.StaticWebAssets => "static web assets",
        LayerKind.App => "app",
        _ => "extra",
    };

    // runtimes/<rid>/... assets for other operating systems or architectures cannot run in an image of this RID.
    private static bool IsForeignRuntimeAsset(string relative, string runtimeIdentifier)
    {
        if (!relative.StartsWith("runtimes/", StringComparison.Ordinal))
        {
            return false;
        }
        // "runtimes/<rid>" itself and everything below it.
        string[] parts = relative.Split('/');
        if (parts.Length < 2)
        {
            return false;
        }
        string rid = parts[1].ToLowerInvariant();
        string target = runtimeIdentifier.ToLowerInvariant();
        string arch = target[(target.LastIndexOf('-') + 1)..];
        if (target.StartsWith("win", StringComparison.Ordinal))
        {
            // win-x64 also runs the assets of versioned identifiers (win10-x64, win7-x64) of its architecture.
            return !(rid == target || rid == "any" || rid == "win" || (rid.StartsWith("win", StringComparison.Ordinal) && rid.EndsWith($"-{arch}", StringComparison.Ordinal)));
        }
        bool musl = target.Contains("musl", StringComparison.Ordinal);
        bool compatible = rid == target || rid == "unix" || rid == "any"
            || (rid == $"linux-{arch}" && !musl) || (musl && rid == $"linux-musl-{arch}") || (rid == "linux" || (musl && rid == $"linux-{arch}"));
        return !compatible;
    }
}
