using System.Text.RegularExpressions;

namespace ContainerTasks.Model;

/// <summary>
/// An image reference, <c>[registry[:port]/]repository[:tag][@digest]</c>, validated by the distribution
/// reference grammar and normalised as Docker does: <c>nginx</c> is <c>docker.io/library/nginx:latest</c>.
/// </summary>
public sealed partial record ImageReference
{
    /// <summary>Docker Hub's name in references.</summary>
    public const string DockerHub = Model.DockerHub.Name;

    private ImageReference(string registry, string repository, string? tag, Digest? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The registry as named in references, e.g. <c>docker.io</c>, <c>ghcr.io</c>, <c>localhost:5000</c>.</summary>
    public string Registry { get; }

    /// <summary>The repository path, e.g. <c>library/nginx</c>.</summary>
    public string Repository { get; }

    /// <summary>The tag; null when the reference names only a digest.</summary>
    public string? Tag { get; }

    /// <summary>The digest, when pinned.</summary>
    public Digest? Digest { get; }

    /// <summary>The host that serves the registry API: <c>docker.io</c> is served at <c>registry-1.docker.io</c>.</summary>
    public string ApiHost => Model.DockerHub.ApiHostOf(Registry);

    /// <summary>The tag or digest to ask a registry for (the digest when both are given).</summary>
    public string ManifestReference => Digest?.ToString() ?? Tag!;

    /// <summary>Parses and normalises a reference; throws CT1002 saying what is wrong.</summary>
    public static ImageReference Parse(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw Invalid(value, "it is empty");
        }
        string rest = value.Trim();
        Digest? digest = TakeDigest(value, ref rest);
        string? tag = TakeTag(value, ref rest);
        var (registry, repository) = SplitRegistry(value, rest);
        if (registry.Length + 1 + repository.Length > 255)
        {
            throw Invalid(value, "the name is longer than 255 characters");
        }
        if (tag is null && digest is null)
        {
            tag = "latest";
        }
        return new ImageReference(registry, repository, tag, digest);
    }

    // The digest after '@', taken off the end of rest.
    private static Digest? TakeDigest(string value, ref string rest)
    {
        int at = rest.IndexOf('@');
        if (at < 0)
        {
            return null;
        }
        string digestText = rest[(at + 1)..];
        if (!Model.Digest.TryParse(digestText, out var parsed))
        {
            throw Invalid(value, $"'{digestText}' is not a valid digest (expected sha256: and 64 hex characters)");
        }
        rest = rest[..at];
        return parsed;
    }

    // The tag after the last ':' that follows the last '/', taken off the end of rest.
    private static string? TakeTag(string value, ref string rest)
    {
        int tagColon = rest.LastIndexOf(':');
        if (tagColon <= rest.LastIndexOf('/'))
        {
            return null;
        }
        string tag = rest[(tagColon + 1)..];
        rest = rest[..tagColon];
        if (!TagPattern().IsMatch(tag))
        {
            throw Invalid(value, $"the tag '{tag}' is not valid: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'");
        }
        return tag;
    }

    // A first component with '.', ':', upper case or "localhost" is a registry; else Docker Hub (and its library/ for one name).
    private static (string Registry, string Repository) SplitRegistry(string value, string rest)
    {
        string registry = Model.DockerHub.Name;
        string repository = rest;
        int firstSlash = rest.IndexOf('/');
        string first = firstSlash < 0 ? "" : rest[..firstSlash];
        if (firstSlash >= 0 && (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsUpper)))
        {
            registry = first;
            repository = rest[(firstSlash + 1)..];
            if (!DomainPattern().IsMatch(registry))
            {
                throw Invalid(value, $"'{registry}' is not a valid registry host[:port]");
            }
        }
        ValidateRepository(value, repository);
        if (Model.DockerHub.IsOtherName(registry))
        {
            registry = Model.DockerHub.Name;
        }
        if (registry == Model.DockerHub.Name && !repository.Contains('/'))
        {
            repository = "library/" + repository;
        }
        return (registry, repository);
    }

    /// <summary>Checks the repository as written (before Docker Hub's <c>library/</c>), throwing CT1002 saying what is wrong.</summary>
    private static void ValidateRepository(string value, string repository)
    {
        if (repository.Length == 0)
        {
            throw Invalid(value, "it has no repository name");
        }
        if (repository.Any(char.IsUpper))
        {
            throw Invalid(value, $"the repository '{repository}' contains upper-case letters; repository names are lower case");
        }
        if (!RepositoryPattern().IsMatch(repository))
        {
            throw Invalid(value, $"the repository '{repository}' is not valid: path components of lower-case letters and digits, separated by '/', joined inside by '.', '_', '__' or '-'");
        }
        if (ContainerNames.IsImageId(repository))
        {
            throw Invalid(value, $"the repository '{repository}' is 64 hexadecimal characters, which reads as an image ID; use another name");
        }
    }

    /// <summary>Parses without throwing.</summary>
    public static bool TryParse(string value, out ImageReference? reference)
    {
        try
        {
            reference = Parse(value);
            return true;
        }
        catch (ContainerTasksException)
        {
            reference = null;
            return false;
        }
    }

    /// <summary>Creates a reference from parts (validated like <see cref="Parse"/>).</summary>
    public static ImageReference Create(string registry, string repository, string? tag = null, Digest? digest = null)
        => Parse($"{registry}/{repository}{(tag is null ? "" : ":" + tag)}{(digest is null ? "" : "@" + digest)}");

    /// <summary>The same repository with another tag and no digest.</summary>
    public ImageReference WithTag(string tag) => Create(Registry, Repository, tag);

    /// <summary>The same repository pinned to a digest.</summary>
    public ImageReference WithDigest(Digest digest) => new(Registry, Repository, Tag, digest);

    /// <summary>The short form Docker shows: <c>nginx:latest</c> for Docker Hub's library, else the full name without digest.</summary>
    public string FamiliarName
    {
        get
        {
            string repository = Registry == DockerHub
                ? (Repository.StartsWith("library/", StringComparison.Ordinal) && Repository.IndexOf('/', 8) < 0 ? Repository[8..] : Repository)
                : $"{Registry}/{Repository}";
            return Tag is null ? repository : $"{repository}:{Tag}";
        }
    }

    /// <summary>The fully-qualified name, e.g. <c>docker.io/library/nginx:latest</c>.</summary>
    public override string ToString()
        => $"{Registry}/{Repository}{(Tag is null ? "" : ":" + Tag)}{(Digest is null ? "" : "@" + Digest)}";

    private static ContainerTasksException Invalid(string value, string reason)
        => new(ErrorCodes.InvalidReference,
            $"'{value}' is not a valid image reference: {reason}. References look like [registry[:port]/]repository[:tag][@sha256:digest], e.g. mcr.microsoft.com/dotnet/runtime:8.0.");

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$")]
    private static partial Regex DomainPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();
}
