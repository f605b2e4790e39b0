namespace ContainerTasks.Pipeline;

/// <summary>The SBOM's format (<c>ContainerSbomFormat</c>).</summary>
public enum SbomFormat
{
    /// <summary>SPDX 2.3 JSON (the default; what ko writes and trivy, grype and syft read).</summary>
    Spdx,

    /// <summary>CycloneDX 1.6 JSON.</summary>
    CycloneDx,
}

/// <summary>
/// What the build knows of the app for the documents attached to its image: the SBOM's inputs (the NuGet assets file, the
/// app's name and version) and the switches. Without it (the command line), no documents are made.
/// </summary>
public sealed record SupplyChainRequest
{
    /// <summary><c>ContainerSbom</c>: an SBOM per platform image; null for the default (on when pushing to a registry).</summary>
    public bool? Sbom { get; init; }

    /// <summary><c>ContainerSbomFormat</c>.</summary>
    public SbomFormat SbomFormat { get; init; } = SbomFormat.Spdx;

    /// <summary>The NuGet assets file (<c>$(ProjectAssetsFile)</c>); null when the project has none (then only the frameworks and base image are listed).</summary>
    public string? AssetsFile { get; init; }

    /// <summary>The target framework as the assets file names it (<c>$(TargetFramework)</c>, e.g. <c>net10.0</c>).</summary>
    public required string TargetFramework { get; init; }

    /// <summary>The app's assembly name: the SBOM's subject and the name of its <c>.runtimeconfig.json</c>.</summary>
    public required string AppName { get; init; }

    /// <summary>The app's version (<c>$(Version)</c>).</summary>
    public string AppVersion { get; init; } = "1.0.0";

    /// <summary><c>ContainerProvenance</c>: an SLSA provenance for the image (the index of several); null for the default (on when pushing to a registry).</summary>
    public bool? Provenance { get; init; }

    /// <summary>The project file (<c>$(MSBuildProjectFullPath)</c>): named in the provenance relative to the source root, and where the source is looked up.</summary>
    public string? ProjectPath { get; init; }

    /// <summary>The build configuration (<c>$(Configuration)</c>).</summary>
    public string Configuration { get; init; } = "";

    /// <summary>The .NET SDK version (<c>$(NETCoreSdkVersion)</c>).</summary>
    public string SdkVersion { get; init; } = "";

    /// <summary>The commit (<c>$(SourceRevisionId)</c>); null to read it from the project's git checkout.</summary>
    public string? SourceRevisionId { get; init; }

    /// <summary>The source repository (<c>$(PrivateRepositoryUrl)</c>, else <c>$(RepositoryUrl)</c>); null to read git's <c>origin</c>.</summary>
    public string? RepositoryUrl { get; init; }

    /// <summary>The branch (<c>$(RepositoryBranch)</c>); null to read the checkout's.</summary>
    public string? RepositoryBranch { get; init; }

    /// <summary><c>ContainerSigningKey</c>: an ECDSA P-256 private key's PEM file, or <c>env:NAME</c>; null for no signature.</summary>
    public string? SigningKey { get; init; }

    /// <summary><c>ContainerSigningKeyPassword</c>: <c>env:NAME</c> naming the variable that holds the encrypted key's password.</summary>
    public string? SigningKeyPassword { get; init; }
}
