using ContainerTasks.Model;

namespace ContainerTasks.Pipeline;

/// <summary>One layer of a built image, for the result file.</summary>
/// <param name="Digest">The blob digest.</param>
/// <param name="Size">The blob (compressed) size.</param>
/// <param name="Name">"base" for the base image's layers, else the planned layer's name (app, app host, packages, …).</param>
/// <param name="Source">How it was made: <see cref="FromBase"/>, <see cref="Built"/> or <see cref="FromCache"/>.</param>
public sealed record LayerResult(Digest Digest, long Size, string Name, string Source)
{
    /// <summary>A layer of the base image.</summary>
    public const string FromBase = "base";
    /// <summary>Written by this build.</summary>
    public const string Built = "built";
    /// <summary>Taken from the layer cache: the same content was built before.</summary>
    public const string FromCache = "cache";
}
