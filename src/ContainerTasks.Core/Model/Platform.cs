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
    /// <c>linux-arm</c> → linux/arm/v7, <c>linux-musl-x64</c> → linux/amd64. Non-Linux identifiers are CT4111.
    /// </summary>
    public static Platform FromRuntimeIdentifier(string rid)
    {
        string value = rid.Trim().ToLowerInvariant();
        string[] parts = value.Split('-');
        if (parts.Length < 2 || parts[0] is not ("linux" or "linux-musl" or "alpine" or "ubuntu" or "debian" or "rhel" or "centos" or "fedora" or "opensuse" or "sles" or "tizen"))
        {
            throw new ContainerTasksException(ErrorCodes.UnsupportedPlatform,
                $"The container runtime identifier '{rid}' is not a Linux one; only Linux images are supported. Publish for Linux, e.g. 'dotnet publish --os linux' or -p:ContainerRuntimeIdentifier=linux-x64.");
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

    /// <summary>True for the placeholder platform BuildKit gives attestation manifests.</summary>
    public bool IsUnknown => Os == "unknown" || Architecture == "unknown";

    /// <summary>
    /// True when an image of this platform can serve a request for <paramref name="wanted"/>:
    /// same os and architecture; the variant must match when the request names one
    /// (arm64 without a variant counts as v8).
    /// </summary>
    public bool Satisfies(Platform wanted)
    {
        if (IsUnknown || !string.Equals(Os, wanted.Os, StringComparison.OrdinalIgnoreCase)
            || NormalizeArchitecture(Architecture) != NormalizeArchitecture(wanted.Architecture))
        {
            return false;
        }
        if (wanted.Variant is null)
        {
            return true;
        }
        return NormalizeVariant(Architecture, Variant) == NormalizeVariant(wanted.Architecture, wanted.Variant);
    }

    /// <summary><c>os/arch[/variant]</c>.</summary>
    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";

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
