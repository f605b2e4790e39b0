using ContainerTasks.Content;
using ContainerTasks.Model;
using ContainerTasks.Sources;

namespace ContainerTasks.Pipeline;

/// <summary>
/// The images a build may take layers from by their content, in the order they are asked: the images the destination
/// tags point at now, then the <c>ContainerCacheFrom</c> images, then the base image. Each platform gets a
/// <see cref="LayerFinder"/> that reads them for that platform once.
/// </summary>
internal sealed class KnownLayers
{
    private readonly Func<CancellationToken, Task<IReadOnlyList<CandidateImage>>> _candidates;
    private readonly object _gate = new();
    private Task<IReadOnlyList<CandidateImage>>? _listed;

    /// <param name="candidates">Lists the images to look in, asked once.</param>
    /// <param name="store">Caches manifests and configs by digest, and remembers checked layers.</param>
    /// <param name="verify">Check a layer's blob inflates to its claimed diff_id before using it (<c>ContainerCacheVerify</c>).</param>
    public KnownLayers(Func<CancellationToken, Task<IReadOnlyList<CandidateImage>>> candidates, ContentStore store, bool verify)
    {
        _candidates = candidates;
        Store = store;
        Verify = verify;
    }

    public ContentStore Store { get; }

    public bool Verify { get; }

    /// <summary>A finder for one platform; it starts reading the images now.</summary>
    /// <param name="platform">The platform asked for, or null for the base's.</param>
    /// <param name="baseImage">The base image of the platform, as it resolves.</param>
    /// <param name="log">The platform's log.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    public LayerFinder ForPlatform(Platform? platform, Task<SourceImage> baseImage, IContainerBuildLog log, CancellationToken cancellationToken)
        => new(this, ListAsync(cancellationToken), platform, baseImage, log, cancellationToken);

    private Task<IReadOnlyList<CandidateImage>> ListAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _listed ??= _candidates(cancellationToken);
        }
    }
}
