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
        var byProject = services.GroupBy(s => s.Project, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Name, StringComparer.Ordinal);
        Dictionary<(string Service, string Path), string> volumeNames = VolumeNames(services);
        var text = new StringBuilder();
        text.Append("# Written by ContainerTasks (dotnet publish with ContainerGenerateCompose=true): one service per containerised project.\n");
        text.Append("# Each publish writes it again: put your own changes in a second file (-f compose.yaml -f compose.override.yaml).\n");
        text.Append("services:\n");
        foreach (ComposeService service in services.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            AppendService(text, service, composeDirectory, byProject, volumeNames);
        }
        if (volumeNames.Count > 0)
        {
            text.Append("volumes:\n");
            foreach (string volume in volumeNames.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                text.Append("  ").Append(Quote(volume)).Append(": {}\n");
            }
        }
        return text.ToString();
    }

    private static void AppendService(StringBuilder text, ComposeService service, string composeDirectory, Dictionary<string, string> byProject, Dictionary<(string Service, string Path), string> volumeNames)
    {
        string project = Path.GetRelativePath(composeDirectory, service.Project).Replace('\\', '/');
        string published = service.Published.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
        text.Append("  ").Append(Quote(service.Name)).Append(":\n");
        text.Append("    # ").Append(Comment(project)).Append(", image published ").Append(published)
            .Append(service.ByTag ? " (by tag: an image loaded into an engine or written to an archive has no registry digest)" : "").Append('\n');
        foreach (string note in service.Notes)
        {
            text.Append("    # ").Append(Comment(note)).Append('\n');
        }
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
                string name = volumeNames[(service.Name, path)];
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

    // Each service's volume paths and their names; names that two paths would share (/a-b and /a/b both give svc-a-b,
    // and service a-b's /c is service a's /b-c) each get a short hash of service and path, so none is shared by accident.
    private static Dictionary<(string Service, string Path), string> VolumeNames(IReadOnlyList<ComposeService> services)
    {
        var paths = services.SelectMany(s => s.Volumes.Select(v => (Service: s.Name, Path: v))).Distinct().ToList();
        var counts = paths.GroupBy(p => VolumeName(p.Service, p.Path), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return paths.ToDictionary(p => p, p =>
        {
            string name = VolumeName(p.Service, p.Path);
            if (counts[name] == 1)
            {
                return name;
            }
            byte[] hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(p.Service + "\n" + p.Path));
            return name + "-" + Convert.ToHexString(hash)[..8].ToLowerInvariant();
        });
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
    /// A YAML double-quoted scalar that compose reads back as <paramref name="value"/>: backslash and quote escaped, every
    /// character YAML does not allow in a file (controls, U+FFFE, U+FFFF) or that a reader may take for a line end or a
    /// byte order mark written <c>\uXXXX</c>, and <c>$</c> written <c>$$</c> against interpolation. A lone surrogate, which
    /// no UTF-8 file can hold and whose escape YAML parsers refuse, is written <c>\uFFFD</c> (what UTF-8 makes of it).
    /// </summary>
    public static string Quote(string value)
    {
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (char.IsSurrogate(c))
            {
                bool pair = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]);
                quoted.Append(pair ? value.Substring(i++, 2) : @"\uFFFD");
                continue;
            }
            quoted.Append(c switch
            {
                '\\' => @"\\",
                '"' => "\\\"",
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                '$' => "$$",
                _ when !Printable(c) || c is '\u0085' or '\u2028' or '\u2029' or '\uFEFF' => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }
        return quoted.Append('"').ToString();
    }

    // YAML 1.2's printable characters, of one UTF-16 unit (a surrogate is printable only as part of a pair).
    private static bool Printable(char c) => c is '\t' or '\n' or '\r' or (>= ' ' and <= '~') or '\u0085' or (>= '\u00A0' and <= '\uD7FF') or (>= '\uE000' and <= '\uFFFD');

    // A comment ends at the line's end: a project path with a line break must not start a line of its own, and holds
    // only what YAML allows in a file.
    private static string Comment(string text)
    {
        var comment = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                comment.Append(c).Append(text[++i]);
                continue;
            }
            comment.Append(!Printable(c) || char.IsControl(c) || c is '\u2028' or '\u2029' or '\uFEFF' ? '?' : c);
        }
        return comment.ToString();
    }
}
