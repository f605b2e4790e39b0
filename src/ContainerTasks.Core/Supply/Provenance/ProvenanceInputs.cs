namespace ContainerTasks.Supply.Provenance;

/// <summary>
/// What a provenance document states, all of it known to the publish: the images it made, how the project was built,
/// the container properties that shaped the images, the base images and source it used, and the environment it ran
/// in (only the allow-listed CI variables of <see cref="BuildEnvironment"/> are read from it). Same inputs, same bytes.
/// </summary>
/// <param name="Subjects">The images the document is about: for a multi-platform publish the index, else the manifest.</param>
/// <param name="ProjectPath">The project file, as the build knows it; written relative to <see cref="SourceInfo.Root"/>, or by its file name alone.</param>
/// <param name="Configuration">The build configuration (<c>Release</c>).</param>
/// <param name="RuntimeIdentifiers">The runtime identifiers published for; empty for a framework-dependent, RID-less publish.</param>
/// <param name="ContainerParameters">
/// The container properties that shaped the image, as names and values (<c>ContainerBaseImage</c>, <c>ContainerPort</c>…),
/// written exactly as given. A name given more than once (an item type) keeps its values in the order given. Never
/// values that can hold secrets: environment variables are passed by name only.
/// </param>
/// <param name="SdkVersion">The .NET SDK version that built the app (<c>10.0.100</c>).</param>
/// <param name="ToolVersion">The ContainerTasks version.</param>
/// <param name="BaseImages">The base images by manifest digest (one per platform, or one index).</param>
/// <param name="Source">The source repository and commit; see <see cref="SourceInfo.Find"/>.</param>
/// <param name="Environment">A snapshot of the build's environment variables; only the CI allow-list is read.</param>
internal sealed record ProvenanceInputs(
    IReadOnlyList<ProvenanceSubject> Subjects,
    string ProjectPath,
    string Configuration,
    IReadOnlyList<string> RuntimeIdentifiers,
    IReadOnlyList<(string Name, string Value)> ContainerParameters,
    string SdkVersion,
    string ToolVersion,
    IReadOnlyList<SbomBaseImage> BaseImages,
    SourceInfo Source,
    IReadOnlyDictionary<string, string> Environment);

/// <summary>An image the provenance is about.</summary>
/// <param name="Name">The image's name without tag or digest (<c>registry.example.com/team/app</c>).</param>
/// <param name="Digest">The manifest or index digest, <c>sha256:</c> and 64 hex characters.</param>
internal sealed record ProvenanceSubject(string Name, string Digest);
