using System.Text.Json;
using ContainerTasks.Json;

namespace ContainerTasks.Model;

/// <summary>
/// An image config (OCI image config / Docker container image v1). Reads the fields a build needs and
/// edits only those; every member it does not change is written back exactly as read.
/// </summary>
public sealed class ImageConfig
{
    private readonly RawJsonObject _root;

    private ImageConfig(RawJsonObject root)
    {
        _root = root;
    }

    /// <summary>Parses a config; throws CT1003 when it is not a JSON object.</summary>
    /// <remarks>Members repeated in another letter case (<c>config</c> and <c>Config</c>) are CT1003: Go clients read the last
    /// one, so a base could override the user or entrypoint a build sets.</remarks>
    public static ImageConfig Parse(ReadOnlyMemory<byte> json)
    {
        var config = new ImageConfig(RawJsonObject.Parse(json, "image config"));
        RefuseDuplicates(config._root, "the image config");
        RefuseDuplicates(config.Section, "the image config's config section");
        if (config._root.GetRaw("rootfs") is { } rootfs && rootfs.Span.TrimStart(" \t\r\n"u8).StartsWith("{"u8))
        {
            RefuseDuplicates(RawJsonObject.Parse(rootfs, "image config's rootfs"), "the image config's rootfs");
        }
        return config;
    }

    private static void RefuseDuplicates(RawJsonObject json, string where)
    {
        if (json.FindCaseInsensitiveDuplicate() is { } name)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidManifest,
                $"The member '{name}' appears twice in {where} (names differing only in case count as the same: Go clients read the last one, this build would edit another). Rebuild the base image with a current tool.");
        }
    }

    /// <summary>A config for an image with no layers (<c>scratch</c>).</summary>
    public static ImageConfig Empty(Platform platform)
    {
        var root = new RawJsonObject();
        root.SetRaw("architecture", JsonFormat.String(platform.Architecture));
        root.SetRaw("os", JsonFormat.String(platform.Os));
        if (platform.Variant is not null)
        {
            root.SetRaw("variant", JsonFormat.String(platform.Variant));
        }
        root.SetRaw("config", "{}"u8.ToArray());
        root.SetRaw("rootfs", """{"type":"layers","diff_ids":[]}"""u8.ToArray());
        return new ImageConfig(root);
    }

    /// <summary>The platform the config declares.</summary>
    public Platform Platform => new(
        ReadString(_root, "os") ?? "",
        ReadString(_root, "architecture") ?? "",
        ReadString(_root, "variant"),
        ReadString(_root, "os.version"),
        _root.Get("os.features") is { ValueKind: JsonValueKind.Array } ? ReadStringArray(_root, "os.features") : null);

    /// <summary>True for a Windows image: environment names compare case-insensitively, paths may start with a drive.</summary>
    public bool IsWindows => string.Equals(ReadString(_root, "os"), "windows", StringComparison.OrdinalIgnoreCase);

    // How a container's environment names compare: as Windows compares them, or byte by byte.
    private StringComparer EnvironmentNames => IsWindows ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    /// <summary>Environment variables as <c>NAME=value</c>, in order.</summary>
    public IReadOnlyList<string> Env => ReadStringArray(Section, "Env");

    /// <summary>
    /// The environment as <paramref name="changes"/> leave it, by the one rule <see cref="Apply"/> writes it with
    /// (a name set again replaces its last entry), as name/value pairs in order. The config itself is not changed.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> EnvironmentAfter(IReadOnlyList<KeyValuePair<string, string>> changes)
    {
        ImageConfig copy = Parse(ToBytes());
        SetEnvironment(copy.EditableSection, changes, EnvironmentNames);
        return copy.Env.Select(entry => entry.IndexOf('=') is var equals and >= 0
            ? new KeyValuePair<string, string>(entry[..equals], entry[(equals + 1)..])
            : new KeyValuePair<string, string>(entry, "")).ToList();
    }

    /// <summary>The entrypoint, or null when unset.</summary>
    public IReadOnlyList<string>? Entrypoint => Section.Contains("Entrypoint") && !IsNull(Section, "Entrypoint") ? ReadStringArray(Section, "Entrypoint") : null;

    /// <summary>The default arguments, or null when unset.</summary>
    public IReadOnlyList<string>? Cmd => Section.Contains("Cmd") && !IsNull(Section, "Cmd") ? ReadStringArray(Section, "Cmd") : null;

    /// <summary>The user, or null.</summary>
    public string? User => ReadString(Section, "User");

    /// <summary>The working directory, or null.</summary>
    public string? WorkingDirectory => ReadString(Section, "WorkingDir");

    /// <summary>Labels.</summary>
    public IReadOnlyDictionary<string, string> Labels => ReadMapKeys(Section, "Labels", valuesToo: true);

    /// <summary>Exposed ports, e.g. <c>8080/tcp</c>.</summary>
    public IReadOnlyList<string> ExposedPorts => ReadMapKeys(Section, "ExposedPorts", valuesToo: false).Keys.ToList();

    /// <summary>Declared volumes.</summary>
    public IReadOnlyList<string> Volumes => ReadMapKeys(Section, "Volumes", valuesToo: false).Keys.ToList();

    /// <summary>The uncompressed digests of the layers, bottom first.</summary>
    public IReadOnlyList<Digest> DiffIds
    {
        get
        {
            JsonElement? rootfs = _root.Get("rootfs");
            if (rootfs is not { ValueKind: JsonValueKind.Object } r || !r.TryGetProperty("diff_ids", out var ids) || ids.ValueKind != JsonValueKind.Array)
            {
                return [];
            }
            return ids.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
                ? Digest.Parse(e.GetString()!)
                : throw new ContainerTasksException(ErrorCodes.InvalidManifest, "The image config's rootfs.diff_ids holds something that is not a digest string.")).ToList();
        }
    }

    /// <summary>The number of history entries.</summary>
    public int HistoryCount => _root.GetRaw("history") is { } raw ? RawJsonArray.Split(raw, "config history").Count : 0;

    // Reads go through a detached copy so that reading never rewrites the section.
    private RawJsonObject Section => _root.GetRaw("config") is { } raw && !raw.Span.Trim(" \t\r\n"u8).SequenceEqual("null"u8)
        ? RawJsonObject.Parse(raw, "image config's config section")
        : new RawJsonObject();

    private RawJsonObject EditableSection => _root.GetOrAddObject("config", "image config's config section");

    /// <summary>Applies a build's config changes.</summary>
    public void Apply(ConfigChanges changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        RawJsonObject section = EditableSection;

        if (changes.Environment.Count > 0)
        {
            SetEnvironment(section, changes.Environment, EnvironmentNames);
        }
        SetMembers(section, "ExposedPorts", changes.ExposedPorts.Select(port => (NormalizePort(port), "{}"u8.ToArray())));
        SetMembers(section, "Labels", changes.Labels.Select(label => string.IsNullOrEmpty(label.Key)
            ? throw new ContainerTasksException(ErrorCodes.InvalidConfigValue, "A label has an empty name. Give every label a name.")
            : (label.Key, JsonFormat.String(label.Value))));
        SetMembers(section, "Volumes", changes.Volumes.Select(volume => !IsAbsolute(volume)
            ? throw new ContainerTasksException(ErrorCodes.InvalidConfigValue,
                $"The volume '{volume}' is not an absolute path. Volumes are paths inside the container, e.g. {(IsWindows ? @"C:\data" : "/data")}.")
            : (volume, "{}"u8.ToArray())));
        if (changes.Entrypoint is not null)
        {
            section.SetRaw("Entrypoint", JsonFormat.StringArray(changes.Entrypoint));
            if (changes.Cmd is null && section.Contains("Cmd"))
            {
                section.SetRaw("Cmd", "null"u8.ToArray());
            }
        }
        if (changes.Cmd is not null)
        {
            section.SetRaw("Cmd", changes.Cmd.Count == 0 ? "null"u8.ToArray() : JsonFormat.StringArray(changes.Cmd));
        }
        if (changes.User is not null)
        {
            section.SetRaw("User", JsonFormat.String(changes.User));
        }
        if (changes.WorkingDirectory is not null)
        {
            if (!IsAbsolute(changes.WorkingDirectory))
            {
                throw new ContainerTasksException(ErrorCodes.InvalidConfigValue,
                    $"The working directory '{changes.WorkingDirectory}' is not an absolute path. Use a path like {(IsWindows ? @"C:\app\" : "/app/")}.");
            }
            section.SetRaw("WorkingDir", JsonFormat.String(changes.WorkingDirectory));
        }
        if (changes.Created is { } created)
        {
            _root.SetRaw("created", JsonFormat.String(Timestamps.Format(created)));
        }
    }

    /// <summary>
    /// Adds the <c>NAME=value</c> entries whose name the environment does not have yet, in order (an entry already set,
    /// by the base or an earlier entry, is kept); returns the names added. Entries without a name are skipped.
    /// </summary>
    internal IReadOnlyList<string> AddMissingEnvironment(IEnumerable<string> entries)
    {
        var names = Env.Select(EnvName).ToHashSet(EnvironmentNames);
        var missing = new List<KeyValuePair<string, string>>();
        foreach (string entry in entries)
        {
            // An entry without '=' sets nothing in a container: it is no reason to keep a later image from setting the name.
            string name = EnvName(entry);
            if (name.Length > 0 && name.Length < entry.Length && names.Add(name))
            {
                missing.Add(new(name, entry[(name.Length + 1)..]));
            }
        }
        if (missing.Count > 0)
        {
            SetEnvironment(EditableSection, missing, EnvironmentNames);
        }
        return missing.Select(m => m.Key).ToList();
    }

    /// <summary>Appends layers: their diff_ids to <c>rootfs.diff_ids</c> and an entry each to <c>history</c>, in one rewrite of each.</summary>
    internal void AppendLayers(IReadOnlyList<(Digest DiffId, HistoryEntry History)> layers)
    {
        if (layers.Count == 0)
        {
            return;
        }
        RawJsonObject rootfs = _root.GetOrAddObject("rootfs", "image config's rootfs");
        if (!rootfs.Contains("type"))
        {
            rootfs.SetRaw("type", JsonFormat.String("layers"));
        }
        var ids = rootfs.GetRaw("diff_ids") is { } rawIds ? RawJsonArray.Split(rawIds, "rootfs.diff_ids") : [];
        ids.AddRange(layers.Select(l => (ReadOnlyMemory<byte>)JsonFormat.String(l.DiffId.ToString())));
        rootfs.SetRaw("diff_ids", RawJsonArray.Join(ids));
        var entries = _root.GetRaw("history") is { } raw ? RawJsonArray.Split(raw, "config history") : [];
        entries.AddRange(layers.Select(l => (ReadOnlyMemory<byte>)JsonFormat.Write(l.History.Write)));
        _root.SetRaw("history", RawJsonArray.Join(entries));
    }

    /// <summary>Appends a layer: its diff_id to <c>rootfs.diff_ids</c> and an entry to <c>history</c>.</summary>
    internal void AppendLayer(Digest diffId, HistoryEntry history) => AppendLayers([(diffId, history)]);

    /// <summary>Appends a history entry (use <see cref="HistoryEntry.EmptyLayer"/> for a config-only step).</summary>
    internal void AppendHistory(HistoryEntry history)
    {
        var entries = _root.GetRaw("history") is { } raw ? RawJsonArray.Split(raw, "config history") : [];
        entries.Add(JsonFormat.Write(history.Write));
        _root.SetRaw("history", RawJsonArray.Join(entries));
    }

    /// <summary>The config's bytes; untouched members as read.</summary>
    public byte[] ToBytes() => _root.ToBytes();

    /// <summary>Normalises <c>8080</c> to <c>8080/tcp</c> and validates the number and protocol (CT1009).</summary>
    public static string NormalizePort(string port)
    {
        string[] parts = port.Trim().Split('/');
        string protocol = parts.Length > 1 ? parts[1].ToLowerInvariant() : "tcp";
        if (parts.Length > 2 || !int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number)
            || number is < 1 or > 65535 || protocol is not ("tcp" or "udp" or "sctp"))
        {
            throw new ContainerTasksException(ErrorCodes.InvalidConfigValue,
                $"'{port}' is not a port. Write a number from 1 to 65535, optionally followed by /tcp or /udp (e.g. 8080/tcp).");
        }
        return $"{number}/{protocol}";
    }

    // Members of an object section (ports, labels, volumes), added or replaced in order; the object only when there are any.
    private static void SetMembers(RawJsonObject section, string name, IEnumerable<(string Key, byte[] Value)> members)
    {
        RawJsonObject? target = null;
        foreach (var (key, value) in members)
        {
            target ??= section.GetOrAddObject(name, name);
            target.SetRaw(key, value);
        }
    }

    private static void SetEnvironment(RawJsonObject section, IReadOnlyList<KeyValuePair<string, string>> environment, StringComparer names)
    {
        var entries = section.GetRaw("Env") is { } raw ? RawJsonArray.Split(raw, "config Env") : [];
        // The last entry of each name is the one a container gets, and the one replaced (on Windows, PATH replaces Path).
        var last = new Dictionary<string, int>(names);
        for (int i = 0; i < entries.Count; i++)
        {
            last[EnvName(RawJsonArray.ReadString(entries[i]) ?? "")] = i;
        }
        foreach (var variable in environment)
        {
            if (string.IsNullOrEmpty(variable.Key) || variable.Key.Contains('='))
            {
                throw new ContainerTasksException(ErrorCodes.InvalidConfigValue,
                    $"'{variable.Key}' is not an environment variable name. Names are non-empty and contain no '='.");
            }
            byte[] encoded = JsonFormat.String($"{variable.Key}={variable.Value}");
            if (last.TryGetValue(variable.Key, out int existing))
            {
                entries[existing] = encoded;
            }
            else
            {
                last[variable.Key] = entries.Count;
                entries.Add(encoded);
            }
        }
        section.SetRaw("Env", RawJsonArray.Join(entries));
    }

    // An absolute path in the image: /path, or on Windows also C:\path (either separator; a Windows container has only C:).
    private bool IsAbsolute(string path)
        => path.StartsWith('/') || (IsWindows && path.Length >= 3 && path[0] is 'C' or 'c' && path[1] == ':' && path[2] is '\\' or '/');

    private static string EnvName(string entry)
    {
        int equals = entry.IndexOf('=');
        return equals < 0 ? entry : entry[..equals];
    }

    private static bool IsNull(RawJsonObject obj, string name) => obj.Get(name) is { ValueKind: JsonValueKind.Null };

    private static string? ReadString(RawJsonObject obj, string name)
        => obj.Get(name) is { ValueKind: JsonValueKind.String } e ? e.GetString() : null;

    private static List<string> ReadStringArray(RawJsonObject obj, string name)
        => obj.Get(name) is { ValueKind: JsonValueKind.Array } e
            ? e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : x.GetRawText()).ToList()
            : [];

    private static Dictionary<string, string> ReadMapKeys(RawJsonObject obj, string name, bool valuesToo)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj.Get(name) is { ValueKind: JsonValueKind.Object } e)
        {
            foreach (var property in e.EnumerateObject())
            {
                map[property.Name] = valuesToo && property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : "";
            }
        }
        return map;
    }
}
