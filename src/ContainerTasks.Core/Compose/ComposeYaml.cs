using System.Globalization;
using System.Text;

namespace ContainerTasks.Compose;

/// <summary>
/// Writes a compose file: services sorted by name, their fields in a fixed order, every scalar double-quoted (so no value
/// is read as a number, a boolean, a comment or a mapping), <c>$</c> doubled (compose substitutes variables in values).
/// The same services always give the same bytes.
/// </summary>
public static class ComposeYaml
{
    /// <summary>The file for <paramref name="services"/>; paths in comments are relative to <paramref name="composeDirectory"/>.</summary>
    public static string Write(IReadOnlyList<ComposeService> services, string composeDirectory)
    {
        var byProject = services.ToDictionary(s => s.Project, s => s.Name, StringComparer.Ordinal);
        var text = new StringBuilder();
        text.Append("# Written by ContainerTasks (dotnet publish with ContainerGenerateCompose=true): one service per containerised project.\n");
        text.Append("# Each publish writes it again: put your own changes in a second file (-f compose.yaml -f compose.override.yaml).\n");
        text.Append("services:\n");
        var volumes = new List<string>();
        foreach (ComposeService service in services.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            AppendService(text, service, composeDirectory, byProject, volumes);
        }
        if (volumes.Count > 0)
        {
            text.Append("volumes:\n");
            foreach (string volume in volumes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                text.Append("  ").Append(Quote(volume)).Append(": {}\n");
            }
        }
        return text.ToString();
    }

    private static void AppendService(StringBuilder text, ComposeService service, string composeDirectory, Dictionary<string, string> byProject, List<string> volumes)
    {
        string project = Path.GetRelativePath(composeDirectory, service.Project).Replace('\\', '/');
        string published = service.Published.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
        text.Append("  ").Append(Quote(service.Name)).Append(":\n");
        text.Append("    # ").Append(Comment(project)).Append(", image published ").Append(published)
            .Append(service.ByTag ? " (by tag: an image loaded into an engine or written to an archive has no registry digest)" : "").Append('\n');
        text.Append("    image: ").Append(Quote(service.Image)).Append('\n');
        if (service.Ports.Count > 0)
        {
            text.Append("    ports:\n");
            foreach (ComposePort port in service.Ports)
            {
                text.Append("      - ").Append(Quote(port.ToString())).Append('\n');
            }
        }
        if (service.Environment.Count > 0)
        {
            text.Append("    environment:\n");
            foreach (var (name, value) in service.Environment.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                text.Append("      ").Append(Quote(name)).Append(": ").Append(Quote(value)).Append('\n');
            }
        }
        if (service.Volumes.Count > 0)
        {
            text.Append("    volumes:\n");
            foreach (string path in service.Volumes.Order(StringComparer.Ordinal))
            {
                string name = VolumeName(service.Name, path);
                volumes.Add(name);
                text.Append("      - ").Append(Quote($"{name}:{path}")).Append('\n');
            }
        }
        var dependsOn = service.References.Select(r => byProject.TryGetValue(r, out string? name) ? name : null)
            .OfType<string>().Where(n => n != service.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (dependsOn.Count > 0)
        {
            text.Append("    depends_on:\n");
            foreach (string name in dependsOn)
            {
                text.Append("      - ").Append(Quote(name)).Append('\n');
            }
        }
    }

    /// <summary>The named volume of a service's volume path: <c>api</c> and <c>/var/lib/data</c> give <c>api-var-lib-data</c>.</summary>
    public static string VolumeName(string service, string path)
    {
        var name = new StringBuilder(service);
        foreach (string segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            name.Append('-');
            foreach (char c in segment)
            {
                name.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' ? c : '-');
            }
        }
        return name.ToString();
    }

    /// <summary>
    /// A YAML double-quoted scalar that compose reads back as <paramref name="value"/>: backslash, quote and control
    /// characters escaped, line and paragraph separators too, and <c>$</c> written <c>$$</c> against interpolation.
    /// </summary>
    public static string Quote(string value)
    {
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            quoted.Append(c switch
            {
                '\\' => @"\\",
                '"' => "\\\"",
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                '$' => "$$",
                _ when char.IsControl(c) || c is '\u2028' or '\u2029' or '\uFEFF' => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }
        return quoted.Append('"').ToString();
    }

    // A comment ends at the line's end: a project path with a line break must not start a line of its own.
    private static string Comment(string text) => string.Concat(text.Select(c => char.IsControl(c) || c is '\u2028' or '\u2029' ? '?' : c));
}
