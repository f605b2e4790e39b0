using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ContainerTasks.Compose;

/// <summary>
/// A service record's JSON. Reading checks every field (a record can be edited by hand or planted): anything that is
/// not what <see cref="ToJson"/> writes is an <see cref="InvalidDataException"/> saying what, and the record is skipped.
/// </summary>
internal static class ComposeRecordJson
{
    private static readonly Regex PortEntry = new("^([0-9]{1,5}):([0-9]{1,5})/(tcp|udp|sctp)$", RegexOptions.CultureInvariant);

    public static byte[] ToJson(ComposeService service)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("name", service.Name);
            writer.WriteString("project", service.Project);
            writer.WriteString("image", service.Image);
            writer.WriteBoolean("byTag", service.ByTag);
            if (service.Digest is not null)
            {
                writer.WriteString("digest", service.Digest);
            }
            writer.WriteString("published", service.Published.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteBoolean("portsChosen", service.PortsChosen);
            WriteStrings(writer, "ports", service.Ports.Select(p => $"{p.Host}:{p.Container}/{p.Protocol}"));
            writer.WriteStartObject("environment");
            foreach (var (name, value) in service.Environment)
            {
                writer.WriteString(name, value);
            }
            writer.WriteEndObject();
            WriteStrings(writer, "volumes", service.Volumes);
            WriteStrings(writer, "references", service.References);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (string value in values)
        {
            writer.WriteStringValue(value);
        }
        writer.WriteEndArray();
    }

    /// <summary>The record in <paramref name="json"/>; <see cref="JsonException"/> or <see cref="InvalidDataException"/> when it is not one.</summary>
    public static ComposeService FromJson(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException("it is not a JSON object");
        }
        string name = Text(root, "name");
        if (!ComposeService.IsValidName(name))
        {
            throw new InvalidDataException($"'{name}' is not a service name");
        }
        string project = Text(root, "project");
        if (!Path.IsPathFullyQualified(project))
        {
            throw new InvalidDataException($"its project '{project}' is not a full path");
        }
        return new ComposeService
        {
            Name = name,
            Project = project,
            Image = Text(root, "image"),
            ByTag = Flag(root, "byTag") ?? throw new InvalidDataException("it has no 'byTag' true or false"),
            Digest = root.TryGetProperty("digest", out _) ? Text(root, "digest") : null,
            Published = Time(root),
            PortsChosen = Flag(root, "portsChosen") ?? false,
            Ports = Strings(root, "ports").Select(Port).ToList(),
            Environment = Variables(root),
            Volumes = Strings(root, "volumes"),
            References = Strings(root, "references"),
        };
    }

    private static string Text(JsonElement root, string name)
        => root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new InvalidDataException($"its '{name}' is missing or not a non-empty string");

    private static bool? Flag(JsonElement root, string name)
        => root.TryGetProperty(name, out JsonElement value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;

    private static DateTimeOffset Time(JsonElement root)
        => DateTimeOffset.TryParse(Text(root, "published"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset time)
            ? time
            : throw new InvalidDataException("its 'published' is not a date and time");

    private static List<string> Strings(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement array) || array.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"its '{name}' is missing or not an array");
        }
        return array.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new InvalidDataException($"its '{name}' holds a {v.ValueKind}, not a string")).ToList();
    }

    private static ComposePort Port(string entry)
    {
        Match match = PortEntry.Match(entry);
        int host = match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        int container = match.Success ? int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
        return host is >= 1 and <= 65535 && container is >= 1 and <= 65535
            ? new ComposePort(host, container, match.Groups[3].Value)
            : throw new InvalidDataException($"its port '{entry}' is not HOST:CONTAINER/protocol with ports from 1 to 65535");
    }

    private static List<KeyValuePair<string, string>> Variables(JsonElement root)
    {
        if (!root.TryGetProperty("environment", out JsonElement environment) || environment.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException("its 'environment' is missing or not an object");
        }
        var variables = environment.EnumerateObject().Select(p => p.Value.ValueKind == JsonValueKind.String
            ? new KeyValuePair<string, string>(p.Name, p.Value.GetString()!)
            : throw new InvalidDataException($"its variable '{p.Name}' is not a string")).ToList();
        return variables.Select(v => v.Key).Distinct(StringComparer.Ordinal).Count() == variables.Count
            ? variables
            : throw new InvalidDataException("its 'environment' names a variable twice");
    }
}
