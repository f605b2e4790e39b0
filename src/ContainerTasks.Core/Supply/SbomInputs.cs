using ContainerTasks.Model;

namespace ContainerTasks.Supply;

/// <summary>
/// What an SBOM lists, all of it known to the build: the app, its NuGet graph (from <c>project.assets.json</c>),
/// its project references, the .NET frameworks it runs on, and the base image by digest. Writers turn the same
/// inputs into the same bytes.
/// </summary>
internal sealed record SbomInputs(
    string AppName,
    string AppVersion,
    string TargetFramework,
    string? RuntimeIdentifier,
    Platform Platform,
    IReadOnlyList<SbomPackage> Packages,
    IReadOnlyList<SbomPackage> ProjectReferences,
    IReadOnlyList<SbomFramework> Frameworks,
    SbomBaseImage? BaseImage,
    DateTimeOffset Created,
    string ToolVersion)
{
    /// <summary>The creation time of a build: <c>SOURCE_DATE_EPOCH</c> when set, else <see cref="Timestamps.Default"/> (1970-01-01T00:00:00Z), so two builds of one commit write the same bytes.</summary>
    public static DateTimeOffset CreationTime(string? sourceDateEpoch)
        => Timestamps.FromSourceDateEpoch(sourceDateEpoch) ?? Timestamps.Default;

    /// <summary>The frameworks in the order the writers list them, whatever order the caller gave.</summary>
    internal IEnumerable<SbomFramework> SortedFrameworks()
        => Frameworks.OrderBy(f => f.Name, StringComparer.Ordinal).ThenBy(f => f.Version, StringComparer.Ordinal);

    /// <summary>The packages and project references, each once, in the order the writers list them.</summary>
    internal IEnumerable<SbomPackage> AllLibraries()
        => Packages.Concat(ProjectReferences).OrderBy(p => p.Id, StringComparer.OrdinalIgnoreCase)
            .ThenBy(p => p.Id, StringComparer.Ordinal).ThenBy(p => p.Version, StringComparer.Ordinal);
}

/// <summary>A NuGet package (or, with <see cref="IsProject"/>, a project reference) the app was built with.</summary>
/// <param name="Id">The package id as the assets file spells it (or the project's name).</param>
/// <param name="Version">The resolved version.</param>
/// <param name="Sha512Hex">The package's SHA-512 from the assets file, in lower-case hex; null for a project.</param>
/// <param name="Direct">Referenced by the app's project itself rather than through another package.</param>
/// <param name="DependsOn">The ids of the packages and projects this one depends on, as resolved in the same target.</param>
/// <param name="IsProject">A project reference rather than a NuGet package.</param>
internal sealed record SbomPackage(string Id, string Version, string? Sha512Hex, bool Direct, IReadOnlyList<string> DependsOn, bool IsProject = false);

/// <summary>A .NET shared framework the app runs on (<c>Microsoft.NETCore.App</c>, <c>Microsoft.AspNetCore.App</c>).</summary>
/// <param name="Name">The framework's name.</param>
/// <param name="Version">Its version.</param>
/// <param name="SelfContained">In the app as a runtime pack (exact version); otherwise from the base image, <see cref="Version"/> being the least it rolls forward from.</param>
internal sealed record SbomFramework(string Name, string Version, bool SelfContained)
{
    /// <summary>
    /// The name the SBOM lists it by: for a self-contained app the runtime pack's package id
    /// (<c>Microsoft.NETCore.App.Runtime.linux-x64</c>), the package whose files are in the app and the name its purl
    /// gives; otherwise the framework's name.
    /// </summary>
    public string PackageName(string? runtimeIdentifier)
        => SelfContained && runtimeIdentifier is not null ? $"{Name}.Runtime.{runtimeIdentifier}" : Name;
}

/// <summary>The base image the app's layers sit on, by manifest digest.</summary>
/// <param name="Registry">The registry host (<c>mcr.microsoft.com</c>); null for an image from a file.</param>
/// <param name="Repository">The repository (<c>dotnet/aspnet</c>).</param>
/// <param name="Tag">The tag it was named by, if any.</param>
/// <param name="ManifestDigest">The platform manifest's digest (<c>sha256:…</c>).</param>
internal sealed record SbomBaseImage(string? Registry, string Repository, string? Tag, string ManifestDigest);
