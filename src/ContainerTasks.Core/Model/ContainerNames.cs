using System.Text;
using System.Text.RegularExpressions;

namespace ContainerTasks.Model;

/// <summary>
/// The project-level naming rules of the .NET SDK's container support: how <c>ContainerRepository</c> (which defaults to
/// the <c>AssemblyName</c>) is made into a repository name, and how <c>ContainerImageTag</c> / <c>ContainerImageTags</c>
/// become the list of tags. The outputs match the SDK's built-in for every name it accepts that is a valid OCI
/// repository name; names the built-in would pass on although registries reject them fail here, early, with CT4003.
/// </summary>
public static partial class ContainerNames
{
    /// <summary>The tag used when the project sets neither ContainerImageTag nor ContainerImageTags.</summary>
    public const string DefaultTag = "latest";

    /// <summary>The longest repository name registries accept.</summary>
    public const int MaxRepositoryLength = 255;

    /// <summary>
    /// Makes <paramref name="name"/> a repository name as the SDK does: upper-case ASCII letters become lower case, and every
    /// character other than <c>a-z</c>, <c>0-9</c>, <c>_</c>, <c>-</c> and <c>/</c> (spaces, dots, <c>@</c>, accented
    /// letters, …) becomes <c>-</c>. <c>My.App</c> gives <c>my-app</c>, <c>my app</c> gives <c>my-app</c>.
    /// </summary>
    /// <param name="name">The ContainerRepository value (or the AssemblyName it defaults to).</param>
    /// <param name="warning">When the name was changed, a sentence saying so (for a CT4001 warning); else null.</param>
    /// <returns>The repository name, e.g. <c>my_app</c> for <c>My_App</c>.</returns>
    /// <exception cref="ContainerTasksException">
    /// CT4003 when the name is empty, does not start with an ASCII letter or digit, or is still not a valid repository
    /// name after normalisation (e.g. it ends with '-' or has an empty path component).
    /// </exception>
    public static string NormalizeRepository(string name, out string? warning)
    {
        warning = null;
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ContainerTasksException(ErrorCodes.InvalidRepositoryName,
                "The container repository name is empty. Set ContainerRepository (it defaults to AssemblyName), e.g. <ContainerRepository>my-app</ContainerRepository>.");
        }

        var builder = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            builder.Append(c switch
            {
                >= 'A' and <= 'Z' => (char)(c - 'A' + 'a'),
                (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-' or '/' => c,
                _ => '-',
            });
        }
        string normalized = builder.ToString();

        if (!char.IsAsciiLetterOrDigit(name[0]))
        {
            string suggestion = normalized.TrimStart('-', '_', '/');
            throw new ContainerTasksException(ErrorCodes.InvalidRepositoryName,
                $"'{name}' cannot be a container repository name: the first character must be a letter (a-z) or a digit, and the rest letters, digits, '-', '_' or '/'. "
                + (IsValidRepository(suggestion)
                    ? $"Set ContainerRepository to a name that starts with a letter or digit, e.g. <ContainerRepository>{suggestion}</ContainerRepository>."
                    : "Set ContainerRepository (it defaults to AssemblyName) to a name that starts with a letter or digit, e.g. <ContainerRepository>my-app</ContainerRepository>."));
        }
        if (normalized.Length > MaxRepositoryLength)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidRepositoryName,
                $"The container repository name '{normalized}' is {normalized.Length} characters long; registries accept at most {MaxRepositoryLength}. Set a shorter ContainerRepository.");
        }
        if (!IsValidRepository(normalized))
        {
            string which = normalized == name ? $"'{name}'" : $"'{name}' (normalized to '{normalized}')";
            throw new ContainerTasksException(ErrorCodes.InvalidRepositoryName,
                $"{which} is not a valid container repository name: each '/'-separated part must start and end with a letter or digit, "
                + "with only '-', '_' or '__' between letters and digits (no empty parts, no trailing '-', '_' or '/'). "
                + "Set ContainerRepository (it defaults to AssemblyName) to a valid name, e.g. <ContainerRepository>my-app</ContainerRepository>.");
        }
        if (IsImageId(normalized))
        {
            throw new ContainerTasksException(ErrorCodes.InvalidRepositoryName,
                $"'{normalized}' cannot be a container repository name: 64 hexadecimal characters read as an image ID (docker and the distribution reference grammar refuse such names). Set another ContainerRepository.");
        }
        if (normalized != name)
        {
            warning = $"'{name}' is not a valid container repository name; it was normalized to '{normalized}'. "
                + $"Set <ContainerRepository>{normalized}</ContainerRepository> to use that name without this warning.";
        }
        return normalized;
    }

    /// <summary>True when <paramref name="tag"/> is a valid image tag: 1-128 ASCII letters, digits, '_', '.' and '-', not starting with '.' or '-'.</summary>
    public static bool IsValidTag(string? tag) => tag is not null && TagPattern().IsMatch(tag);

    /// <summary>Throws CT4004 naming the tag and the rule it breaks unless <paramref name="tag"/> is a valid image tag.</summary>
    /// <exception cref="ContainerTasksException">CT4004 when the tag is invalid.</exception>
    public static void ValidateTag(string tag)
    {
        if (!IsValidTag(tag))
        {
            throw new ContainerTasksException(ErrorCodes.InvalidImageTag,
                $"'{tag}' is not a valid image tag: {TagProblem(tag)}. {TagRule} Fix ContainerImageTag (or the entry in ContainerImageTags).");
        }
    }

    /// <summary>
    /// The tags to give the image, from the ContainerImageTag and ContainerImageTags properties, as the SDK reads them:
    /// <c>latest</c> when neither gives a tag; setting both is an error; ContainerImageTags is a ';'-separated list whose
    /// entries are trimmed and whose empty entries are ignored. Every tag is validated; duplicates are dropped.
    /// </summary>
    /// <exception cref="ContainerTasksException">CT4005 when both properties are set; CT4004 naming every invalid tag.</exception>
    public static IReadOnlyList<string> ParseTags(string? containerImageTag, string? containerImageTags)
    {
        List<string> list = (containerImageTags ?? "")
            .Split(';')
            .Select(t => t.Trim())
            .Where(t => t.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        bool single = !string.IsNullOrEmpty(containerImageTag);

        if (single && list.Count > 0)
        {
            throw new ContainerTasksException(ErrorCodes.ConflictingImageTags,
                $"Both ContainerImageTag ('{containerImageTag}') and ContainerImageTags ('{containerImageTags}') are set; only one is allowed. "
                + "Use ContainerImageTag for one tag, or ContainerImageTags for a ';'-separated list, and remove the other.");
        }
        if (single)
        {
            ValidateTag(containerImageTag!);
            return [containerImageTag!];
        }
        if (list.Count == 0)
        {
            return [DefaultTag];
        }

        var invalid = list.Where(t => !IsValidTag(t)).ToList();
        if (invalid.Count == 1)
        {
            ValidateTag(invalid[0]);
        }
        if (invalid.Count > 1)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidImageTag,
                $"ContainerImageTags '{containerImageTags}' has invalid tags: {string.Join(", ", invalid.Select(t => $"'{t}' ({TagProblem(t)})"))}. "
                + $"{TagRule} Fix those entries of ContainerImageTags.");
        }
        return list;
    }

    private const string TagRule = "A tag is 1 to 128 ASCII letters, digits, '_', '.' and '-', and does not start with '.' or '-'.";

    private static string TagProblem(string? tag)
    {
        if (string.IsNullOrEmpty(tag))
        {
            return "it is empty";
        }
        if (tag.Length > 128)
        {
            return $"it is {tag.Length} characters long";
        }
        char bad = tag.FirstOrDefault(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'));
        if (bad != default)
        {
            return bad == ' ' ? "it contains a space" : $"it contains '{bad}'";
        }
        return $"it starts with '{tag[0]}'";
    }

    /// <summary>True when <paramref name="name"/> is exactly 64 lower-case hex characters: the shape of an image ID, so never a repository.</summary>
    public static bool IsImageId(string name) => name.Length == 64 && name.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private static bool IsValidRepository(string name) => name.Length > 0 && RepositoryPattern().IsMatch(name);

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();
}
