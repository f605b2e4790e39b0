using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ContainerTasks.Compose;

/// <summary>
/// The services of one compose file, one JSON record per project, in <c>.containertasks/&lt;file name&gt;.d/</c> next to
/// the file, and the lock every project writing the file takes (MSBuild's <c>-m</c> nodes are processes).
/// </summary>
public sealed class ComposeRecords
{
    /// <summary>How long a project waits for another one writing the same compose file.</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The records of <paramref name="composeFile"/> (a full path).</summary>
    public ComposeRecords(string composeFile)
    {
        Directory = Path.Combine(Path.GetDirectoryName(composeFile)!, ".containertasks", Path.GetFileName(composeFile) + ".d");
    }

    /// <summary>The folder holding the records and the lock.</summary>
    public string Directory { get; }

    /// <summary>The record file of <paramref name="project"/>: its name and a hash of its full path.</summary>
    public string PathOf(string project)
    {
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(project)))[..12].ToLowerInvariant();
        return Path.Combine(Directory, $"{Path.GetFileNameWithoutExtension(project)}-{hash}.json");
    }

    /// <summary>Takes the file's lock: waits while another project holds it. Dispose to release.</summary>
    public IDisposable Lock(CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string path = Path.Combine(Directory, "lock");
        var waited = System.Diagnostics.Stopwatch.StartNew();
        int delay = 10;
        while (true)
        {
            try
            {
                // An OS lock, released when the handle closes, also when the process dies. The file stays.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
            }
            catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
            {
                if (waited.Elapsed > LockTimeout)
                {
                    throw new ContainerTasksException(ErrorCodes.ComposeFileFailed,
                        $"Waited {LockTimeout.TotalMinutes:0} minutes for the lock '{path}' of the compose file, held by another build: {e.Message}. Stop the other build, or delete the lock file.", e);
                }
                Task.Delay(delay, cancellationToken).GetAwaiter().GetResult();
                delay = Math.Min(delay * 2, 200);
            }
        }
    }

    /// <summary>
    /// Saves <paramref name="service"/> as its project's record, keeping the earlier record's publish time when nothing
    /// else changed (so a publish with no change leaves the compose file as it was). Returns the record as saved.
    /// </summary>
    public ComposeService Save(ComposeService service)
    {
        string path = PathOf(service.Project);
        ComposeService? earlier = File.Exists(path) ? TryRead(path) : null;
        if (earlier is not null && earlier.SameAs(service))
        {
            return earlier;
        }
        File.WriteAllBytes(path + ".tmp", ToJson(service));
        File.Move(path + ".tmp", path, overwrite: true);
        return service;
    }

    /// <summary>Every readable record, by project; a record that cannot be read is skipped (its project writes it again).</summary>
    public IReadOnlyList<ComposeService> ReadAll()
        => System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.EnumerateFiles(Directory, "*.json").Order(StringComparer.Ordinal).Select(TryRead).OfType<ComposeService>().ToList()
            : [];

    private static ComposeService? TryRead(string path)
    {
        try
        {
            return FromJson(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    internal static byte[] ToJson(ComposeService service)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("name", service.Name);
            writer.WriteString("project", service.Project);
            writer.WriteString("image", service.Image);
            writer.WriteBoolean("byTag", service.ByTag);
            writer.WriteString("published", service.Published.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
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

    internal static ComposeService FromJson(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        static List<string> Strings(JsonElement e) => e.EnumerateArray().Select(v => v.GetString() ?? "").ToList();
        static string Required(JsonElement root, string name)
            => root.GetProperty(name).GetString() is { Length: > 0 } value ? value : throw new JsonException($"The record has no {name}.");
        return new ComposeService
        {
            Name = Required(root, "name"),
            Project = Required(root, "project"),
            Image = Required(root, "image"),
            ByTag = root.GetProperty("byTag").GetBoolean(),
            Published = DateTimeOffset.Parse(root.GetProperty("published").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            Ports = Strings(root.GetProperty("ports")).Select(p => p.Split(':', '/'))
                .Select(p => new ComposePort(int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture), p[2])).ToList(),
            Environment = root.GetProperty("environment").EnumerateObject().Select(p => new KeyValuePair<string, string>(p.Name, p.Value.GetString() ?? "")).ToList(),
            Volumes = Strings(root.GetProperty("volumes")),
            References = Strings(root.GetProperty("references")),
        };
    }
}
