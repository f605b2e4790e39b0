using ContainerTasks.Model;

namespace ContainerTasks.Sources;

/// <summary>Opens image sources from transport-prefixed names, as skopeo writes them.</summary>
public static class ImageSources
{
    /// <summary>
    /// Opens <c>oci:DIR[:REF]</c>, <c>oci-archive:FILE[:REF]</c>, <c>docker-archive:FILE[:NAME:TAG]</c> or <c>scratch</c>.
    /// Archives are unpacked into <paramref name="store"/>. A registry image (<c>docker://</c>) is opened by the build
    /// pipeline, which holds the registry session.
    /// </summary>
    internal static async Task<IImageSource> OpenAsync(string spec, Content.ContentStore store, CancellationToken cancellationToken = default)
    {
        if (spec == "scratch")
        {
            return new ScratchSource();
        }
        int colon = spec.IndexOf(':');
        string transport = colon < 0 ? "" : spec[..colon];
        string rest = colon < 0 ? spec : spec[(colon + 1)..];
        switch (transport)
        {
            case "oci":
            {
                var (path, reference) = SplitPathAndReference(rest);
                return OciLayoutSource.Open(path, reference);
            }
            case "oci-archive":
            {
                var (path, reference) = SplitPathAndReference(rest);
                return await OciArchiveSource.OpenAsync(path, reference, store, cancellationToken).ConfigureAwait(false);
            }
            case "docker-archive":
            {
                var (path, reference) = SplitPathAndReference(rest, referenceMayHaveColon: true);
                return await DockerArchiveSource.OpenAsync(path, reference, store, cancellationToken).ConfigureAwait(false);
            }
            default:
                throw Unknown(spec);
        }
    }

    /// <summary>True for <c>scratch</c> and the file transports (<c>oci:</c>, <c>oci-archive:</c>, <c>docker-archive:</c>): sources that are no registry image.</summary>
    public static bool IsFileSource(string spec)
        => spec == "scratch" || spec.StartsWith("oci:", StringComparison.Ordinal) || spec.StartsWith("oci-archive:", StringComparison.Ordinal)
            || spec.StartsWith("docker-archive:", StringComparison.Ordinal);

    /// <summary>The prefix of an image in the local engine (Docker or Podman) among the sources, as skopeo names it.</summary>
    public const string EnginePrefix = "docker-daemon:";

    /// <summary>True for <c>docker-daemon:NAME</c>, an image in the local engine.</summary>
    public static bool IsEngineSource(string spec) => spec.StartsWith(EnginePrefix, StringComparison.Ordinal);

    /// <summary>True for a source that is no registry image: a file source, scratch, or an image of the local engine.</summary>
    public static bool IsOutsideRegistries(string spec) => IsFileSource(spec) || IsEngineSource(spec);

    /// <summary>CT5005 unless <paramref name="spec"/> is a file source, an engine's image or <c>docker://REFERENCE</c>.</summary>
    public static void RequireKnown(string spec)
    {
        if (!IsOutsideRegistries(spec) && !spec.StartsWith("docker://", StringComparison.Ordinal))
        {
            throw Unknown(spec);
        }
    }

    private static ContainerTasksException Unknown(string spec)
        => new(ErrorCodes.UnknownTransport,
            $"'{spec}' does not name an image source this tool reads. Use docker://REGISTRY/REPOSITORY:TAG, docker-daemon:NAME:TAG (the local engine), oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE or scratch.");

    /// <summary>Splits <c>PATH[:REF]</c>: the reference is whatever follows a ':' that is not part of an existing path.</summary>
    internal static (string Path, string? Reference) SplitPathAndReference(string value, bool referenceMayHaveColon = false)
    {
        if (File.Exists(value) || Directory.Exists(value))
        {
            return (value, null);
        }
        int search = value.Length;
        while (true)
        {
            int colon = value.LastIndexOf(':', search - 1);
            if (colon <= 0)
            {
                return (value, null);
            }
            string path = value[..colon];
            if (File.Exists(path) || Directory.Exists(path))
            {
                string reference = value[(colon + 1)..];
                return (path, reference.Length == 0 ? null : reference);
            }
            if (!referenceMayHaveColon)
            {
                return (path, value[(colon + 1)..]);
            }
            search = colon;
        }
    }
}
