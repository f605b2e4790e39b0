using System.IO.Compression;
using ContainerTasks.Model;

namespace ContainerTasks.Layers;

/// <summary>A layer blob's compression.</summary>
public sealed record LayerCompression
{
    private LayerCompression(bool gzip, CompressionLevel level)
    {
        IsGzip = gzip;
        Level = level;
    }

    /// <summary>Gzip at the default level (see docs/benchmarks.md for why this level).</summary>
    public static LayerCompression Default { get; } = new(true, CompressionLevel.Optimal);

    /// <summary>No compression: the blob is the tar itself (its digest equals its diff_id).</summary>
    public static LayerCompression None { get; } = new(false, CompressionLevel.NoCompression);

    /// <summary>Gzip at the given level.</summary>
    public static LayerCompression Gzip(CompressionLevel level) => new(true, level);

    /// <summary>True for gzip.</summary>
    public bool IsGzip { get; }

    /// <summary>The deflate level.</summary>
    public CompressionLevel Level { get; }

    /// <summary>The OCI media type of a layer blob written this way.</summary>
    public string MediaType => IsGzip ? MediaTypes.OciLayerGzip : MediaTypes.OciLayer;
}
