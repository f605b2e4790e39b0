namespace ContainerTasks.Layers;

/// <summary>
/// The layers an app is split into, bottom to top: what changes least goes lowest, so a code change
/// rebuilds and uploads only the top layer.
/// </summary>
public enum LayerKind
{
    /// <summary>The .NET runtime of a self-contained app (files of the runtime packs).</summary>
    Runtime,
    /// <summary>The app host alone: byte-identical across code changes.</summary>
    AppHost,
    /// <summary>Assets of NuGet packages with stable versions.</summary>
    Packages,
    /// <summary>Assets of NuGet packages with prerelease versions (they change more often).</summary>
    PrereleasePackages,
    /// <summary>Outputs of project references.</summary>
    ProjectReferences,
    /// <summary>Static web assets (<c>wwwroot</c>).</summary>
    StaticWebAssets,
    /// <summary>The app's own files and everything else.</summary>
    App,
    /// <summary>A layer the project adds with <c>ContainerLayer</c> items.</summary>
    Extra,
}
