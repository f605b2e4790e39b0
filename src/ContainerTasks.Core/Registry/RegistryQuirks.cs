namespace ContainerTasks.Registry;

/// <summary>
/// Where a registry departs from the distribution spec, named by behaviour. This is the one place
/// that knows registries by host name; the client asks for behaviours, never for names.
/// See docs/registries.md.
/// </summary>
internal sealed record RegistryQuirks
{
    /// <summary>No deviations.</summary>
    public static RegistryQuirks None { get; } = new();

    /// <summary>Uploads must go one at a time (Amazon ECR breaks parallel uploads).</summary>
    public bool SequentialUploads { get; init; }

    /// <summary>Chunks must be at least this big (Amazon ECR: 5 MiB, except the last).</summary>
    public long MinimumChunkSize { get; init; }

    /// <summary>A single PUT with the whole blob is unreliable; upload in PATCH chunks (Google Artifact Registry).</summary>
    public bool RequiresChunkedUpload { get; init; }

    /// <summary>
    /// A push to a repository that does not exist closes the connection instead of answering 404 (Amazon ECR):
    /// a reset on the first upload means "create the repository first", not "retry".
    /// </summary>
    public bool ResetMeansMissingRepository { get; init; }

    /// <summary>The quirks of the registry served at <paramref name="apiHost"/>.</summary>
    public static RegistryQuirks For(string apiHost)
    {
        string host = RegistrySettings.HostOf(apiHost).ToLowerInvariant();
        if (host.Contains(".dkr.ecr.", StringComparison.Ordinal) && host.EndsWith(".amazonaws.com", StringComparison.Ordinal))
        {
            return new RegistryQuirks { SequentialUploads = true, MinimumChunkSize = 5 * 1024 * 1024, ResetMeansMissingRepository = true };
        }
        if (host.EndsWith("-docker.pkg.dev", StringComparison.Ordinal))
        {
            return new RegistryQuirks { RequiresChunkedUpload = true };
        }
        return None;
    }
}
