using System.Text.Json;

namespace ContainerTasks.Model;

/// <summary>An image's platform, as in an index entry or a config: os, architecture, variant, os.version, os.features.</summary>
public sealed record Platform(string Os, string Architecture, string? Variant = null, string? OsVersion = null, IReadOnlyList<string>? OsFeatures = null)
{
    /// <summary>linux/amd64.</summary>
    public static Platform LinuxAmd64 { get; } = new("linux", "amd64");

    /// <summary>Parses <c>os/arch[/variant]</c>, e.g. <c>linux/arm64/v8</c>.</summary>
    public static Platform Parse(string value)
    {
        string[] parts = value.Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(string.IsNullOrWhiteSpace))
        {
            throw new ContainerTasksException(ErrorCodes.InvalidConfigValue,
                $"'{value}' is not a platform. Write it as os/architecture[/variant], e.g. linux/amd64 or linux/arm64/v8.");
        }
        return new Platform(parts[0], NormalizeArchitecture(parts[1]), parts.Length == 3 ? parts[2] : null);
    }

    /// <summary>
    /// The platform of a .NET runtime identifier: <c>linux-x64</c> → linux/amd64, <c>linux-arm64</c> → linux/arm64/v8,
    /// <c>linux-arm</c> → linux/arm/v7, <c>linux-musl-x64</c> → linux/amd64, <c>win-x64</c> → windows/amd64,
    /// <c>win-arm64</c> → windows/arm64. A versioned Windows identifier (<c>win10-x64</c>) also names the major of the
    /// base's <c>os.version</c>, as the SDK's picker reads it. Other systems (macOS, FreeBSD) are CT4111.
    /// </summary>
    public static Platform FromRuntimeIdentifier(string rid)
    {
        string value = rid.Trim().ToLowerInvariant();
        string[] parts = value.Split('-');
        string? windowsMajor = parts.Length == 2 ? WindowsMajor(parts[0]) : null;
        if (parts.Length == 2 && (parts[0] == "win" || windowsMajor is not null))
        {
            return parts[1] switch
            {
                "x64" => new Platform("windows", "amd64", null, windowsMajor),
                "arm64" => new Platform("windows", "arm64", null, windowsMajor),
                _ => throw new ContainerTasksException(ErrorCodes.UnsupportedPlatform,
                    $"The runtime identifier '{rid}' has an architecture ('{parts[1]}') no Windows container image is made for. Use win-x64 or win-arm64."),
            };
        }
        if (parts.Length < 2 || parts[0] is not ("linux" or "linux-musl" or "alpine" or "ubuntu" or "debian" or "rhel" or "centos" or "fedora" or "opensuse" or "sles" or "tizen"))
        {
            throw new ContainerTasksException(ErrorCodes.UnsupportedPlatform,
                $"The container runtime identifier '{rid}' is neither a Linux nor a Windows one; container images run Linux or Windows. Publish for one of them, e.g. 'dotnet publish --os linux' or -p:ContainerRuntimeIdentifier=linux-x64 (or win-x64).");
        }
        string architecture = parts[^1];
        return architecture switch
        {
            "x64" => new Platform("linux", "amd64"),
            "arm64" => new Platform("linux", "arm64", "v8"),
            "arm" => new Platform("linux", "arm", "v7"),
            "x86" => new Platform("linux", "386"),
            "s390x" or "ppc64le" or "riscv64" or "loongarch64" => new Platform("linux", architecture),
            _ => throw new ContainerTasksException(ErrorCodes.UnsupportedPlatform,
                $"The runtime identifier '{rid}' has an architecture ('{architecture}') no container platform matches. Use linux-x64, linux-arm64 or linux-arm."),
        };
    }

    /// <summary>True for Windows (<c>os</c> <c>windows</c>): Windows layers, paths and environment rules.</summary>
    public bool IsWindows => string.Equals(Os, "windows", StringComparison.OrdinalIgnoreCase);

    // "win10" → "10" (a versioned Windows identifier names os.version's major); "win" and others → null.
    private static string? WindowsMajor(string os)
        => os.Length > 3 && os.StartsWith("win", StringComparison.Ordinal) && os[3..].All(char.IsAsciiDigit) ? os[3..] : null;

    /// <summary>True for the placeholder platform BuildKit gives attestation manifests.</summary>
    public bool IsUnknown => Os == "unknown" || Architecture == "unknown";

    /// <summary>
    /// True when an image of this platform can serve a request for <paramref name="wanted"/>:
    /// same os and architecture; the variant must match when the request names one
    /// (arm64 without a variant counts as v8), and the os.version when the request names one (its start will do).
    /// </summary>
    public bool Satisfies(Platform wanted)
    {
        if (IsUnknown || !string.Equals(Os, wanted.Os, StringComparison.OrdinalIgnoreCase)
            || NormalizeArchitecture(Architecture) != NormalizeArchitecture(wanted.Architecture))
        {
            return false;
        }
        if (wanted.OsVersion is not null && !OsVersionMatches(wanted.OsVersion))
        {
            return false;
        }
        if (wanted.Variant is null)
        {
            return true;
        }
        return NormalizeVariant(Architecture, Variant) == NormalizeVariant(wanted.Architecture, wanted.Variant);
    }

    // A requested os.version matches this one or any version it is the start of ("10" matches 10.0.20348.2700).
    private bool OsVersionMatches(string wanted)
        => OsVersion is { } have && (have == wanted || have.StartsWith(wanted + ".", StringComparison.Ordinal));

    /// <summary><c>os/arch[/variant]</c>; a Windows platform adds its os.version (<c>windows/amd64 10.0.20348.2700</c>), which tells Windows builds apart.</summary>
    public override string ToString()
    {
        string platform = Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
        return IsWindows && OsVersion is not null ? $"{platform} {Printable(OsVersion)}" : platform;
    }

    // A base's os.version as a log line may show it: letters, digits and . - _ + only, at most 40 characters.
    private static string Printable(string value)
    {
        string kept = new(value.Take(40).Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '+' ? c : '?').ToArray());
        return value.Length > 40 ? kept + "…" : kept;
    }

    internal static string NormalizeArchitecture(string architecture) => architecture.ToLowerInvariant() switch
    {
        "x86_64" or "x86-64" or "x64" => "amd64",
        "aarch64" => "arm64",
        "i386" or "i686" or "x86" => "386",
        var other => other,
    };

    private static string? NormalizeVariant(string architecture, string? variant)
        => NormalizeArchitecture(architecture) == "arm64" && (variant is null or "" or "v8") ? "v8" : variant;

    internal static Platform Read(JsonElement element)
    {
        string os = element.TryGetProperty("os", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString()! : "";
        string arch = element.TryGetProperty("architecture", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "";
        string? variant = element.TryGetProperty("variant", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        string? osVersion = element.TryGetProperty("os.version", out var ov) && ov.ValueKind == JsonValueKind.String ? ov.GetString() : null;
        List<string>? features = null;
        if (element.TryGetProperty("os.features", out var f) && f.ValueKind == JsonValueKind.Array)
        {
            features = f.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList();
        }
        return new Platform(os, arch, variant, osVersion, features);
    }

    internal void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("architecture", Architecture);
        writer.WriteString("os", Os);
        if (OsVersion is not null)
        {
            writer.WriteString("os.version", OsVersion);
        }
        if (OsFeatures is { Count: > 0 })
        {
            writer.WriteStartArray("os.features");
            foreach (string feature in OsFeatures)
            {
                writer.WriteStringValue(feature);
            }
            writer.WriteEndArray();
        }
        if (Variant is not null)
        {
            writer.WriteString("variant", Variant);
        }
        writer.WriteEndObject();
    }
}
