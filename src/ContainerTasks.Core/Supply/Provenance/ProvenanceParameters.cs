using System.Text.Json.Nodes;
using ContainerTasks.Model;

namespace ContainerTasks.Supply.Provenance;

/// <summary>The inputs of a provenance checked and put in the form and order the document lists them in.</summary>
internal static class ProvenanceParameters
{
    /// <summary>
    /// The container properties by name (ordinal): a name given once with its value, a name given more than once
    /// (an item type) with its values in the order given. Values are written exactly as given.
    /// </summary>
    public static JsonObject Container(IReadOnlyList<(string Name, string Value)> parameters)
    {
        var container = new JsonObject();
        foreach (var group in parameters.GroupBy(p => Required(p.Name, "a container parameter's name"), StringComparer.Ordinal)
                     .OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var values = group.Select(p => p.Value ?? "").ToList();
            container[group.Key] = values.Count == 1
                ? JsonValue.Create(values[0])
                : new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
        }
        return container;
    }

    /// <summary>
    /// The project file relative to the source root, with <c>/</c> (<c>src/App/App.csproj</c>); its file name alone
    /// when the root is unknown or the project is outside it. Never a path of the build machine.
    /// </summary>
    public static string Project(string projectPath, string? sourceRoot)
    {
        string full = Path.GetFullPath(Required(projectPath, "the project path"));
        if (sourceRoot is not null)
        {
            string relative = Path.GetRelativePath(sourceRoot, full);
            if (relative != "." && !relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
            {
                return relative.Replace('\\', '/');
            }
        }
        return Path.GetFileName(full);
    }

    /// <summary>Each base image once, as its purl (<c>pkg:oci/…</c>) and the hex of its sha256 manifest digest, sorted by purl.</summary>
    public static IEnumerable<(string Uri, string Hex)> BaseImages(IReadOnlyList<SbomBaseImage> images)
        => images.Select(i => (Uri: Purls.Oci(i), Hex: Sha256Hex(i.ManifestDigest, i.Repository)))
            .Distinct().OrderBy(i => i.Uri, StringComparer.Ordinal).ThenBy(i => i.Hex, StringComparer.Ordinal);

    /// <summary>The hex of a <c>sha256:</c> digest; CT5013 for anything else.</summary>
    public static string Sha256Hex(string digest, string of)
    {
        if (Digest.TryParse(digest, out var parsed) && parsed.Algorithm == "sha256")
        {
            return parsed.Hex;
        }
        throw new ContainerTasksException(ErrorCodes.InvalidProvenanceInputs,
            $"The provenance cannot name {of} by the digest '{digest}': it takes 'sha256:' and 64 lower-case hex characters. This is a bug; report it.");
    }

    /// <summary><paramref name="value"/> when it is not empty; CT5013 otherwise.</summary>
    public static string Required(string? value, string what)
        => string.IsNullOrWhiteSpace(value)
            ? throw new ContainerTasksException(ErrorCodes.InvalidProvenanceInputs, $"The provenance cannot be written: {what} is empty. This is a bug; report it.")
            : value;
}
