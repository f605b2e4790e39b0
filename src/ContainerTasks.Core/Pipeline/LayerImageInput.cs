namespace ContainerTasks.Pipeline;

/// <summary>
/// An image whose layers go on top of the base and below the app's (a <c>ContainerLayerImage</c> item): an agent, a
/// profiler or an instrumentation shipped as an image. The image of the build's platform is taken (from an index, the
/// matching entry); its labels are never merged.
/// </summary>
/// <param name="Reference">A registry image reference, e.g. <c>myregistry.example.com/otel/autoinstrumentation-dotnet:1.9</c>.</param>
/// <param name="MergeEnvironment">Also add the image config's <c>Env</c> entries whose names neither the base, an earlier
/// layer image nor the project sets.</param>
public sealed record LayerImageInput(string Reference, bool MergeEnvironment = false);
