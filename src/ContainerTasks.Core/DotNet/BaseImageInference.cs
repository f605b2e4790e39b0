using System.Globalization;
using System.Text.RegularExpressions;
using ContainerTasks.Model;

namespace ContainerTasks.DotNet;

/// <summary>
/// Infers the base image a project gets when it sets no <c>ContainerBaseImage</c>, with the same result as the .NET SDK's
/// built-in container support (observed with SDK 10.0.401; the cases are in <c>BaseImageInferenceTests</c>):
/// <list type="bullet">
/// <item>the repository is <c>mcr.microsoft.com/dotnet/runtime-deps</c> for a self-contained app, else <c>aspnet</c> with a
/// <c>Microsoft.AspNetCore.App</c> framework reference, else <c>runtime</c>;</item>
/// <item>the tag starts with the target framework's <c>major.minor</c> (the SDK's own version when the target framework
/// is not older than the SDK; a first-band preview or release-candidate SDK gives e.g. <c>10.0.0-preview.5</c>);</item>
/// <item>then <c>-ContainerFamily</c> if set (plus <c>-extra</c> for a <c>*-chiseled</c> family when globalization is on,
/// except for musl and for prerelease SDKs), else <c>-alpine</c> for a <c>linux-musl-*</c> runtime identifier, else <c>-noble-chiseled</c>
/// (<c>-jammy-chiseled</c> before SDK 8.0.300) for Native AOT or trimmed apps; AOT and trimmed apps that use
/// globalization get <c>-extra</c>, the variant with ICU and time-zone data.</item>
/// <item>a Windows runtime identifier gets a Windows tag (<c>-nanoserver-ltsc2022</c> unless ContainerFamily names another
/// Windows family), where the built-in gives the Linux-only multi-platform tag and fails.</item>
/// </list>
/// </summary>
public static partial class BaseImageInference
{
    /// <summary>The registry and repository prefix of the official .NET images.</summary>
    public const string DotnetImagesPrefix = "mcr.microsoft.com/dotnet/";

    private const string AspNetCoreFramework = "Microsoft.AspNetCore.App";

    /// <summary>Returns the full base image reference, e.g. <c>mcr.microsoft.com/dotnet/aspnet:10.0</c>.</summary>
    /// <exception cref="ContainerTasksException">
    /// CT4006 for a target framework below .NET 8, CT4007 for an SDK version the tag cannot be derived from,
    /// CT4111 for a runtime identifier that is neither Linux nor Windows, CT4008 for a ContainerFamily that cannot be part of a tag
    /// (or that is no Windows family for a Windows runtime identifier).
    /// </exception>
    public static string Infer(BaseImageInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);

        var sdk = SdkVersion.Parse(inputs.SdkVersion);
        var (tfmMajor, tfmMinor) = ParseTargetFramework(inputs.TargetFrameworkVersion);
        string runtimeIdentifier = (inputs.RuntimeIdentifier ?? "").Trim();
        // Throws CT4111 for macOS, FreeBSD and unknown architectures: images are Linux or Windows.
        if (runtimeIdentifier.Length > 0 && Platform.FromRuntimeIdentifier(runtimeIdentifier) is { IsWindows: true } windows)
        {
            if (windows.Architecture != "amd64")
            {
                throw new ContainerTasksException(ErrorCodes.UnsupportedPlatform,
                    $"Microsoft publishes no .NET or Windows Server images for {runtimeIdentifier}, so no base image can be inferred. "
                    + "Set ContainerBaseImage to a Windows Arm64 base of your own, or publish for win-x64.");
            }
            return InferWindows(inputs, sdk, tfmMajor, tfmMinor);
        }
        bool musl = runtimeIdentifier.StartsWith("linux-musl", StringComparison.Ordinal);

        string repository = inputs.SelfContained
            ? "runtime-deps"
            : (inputs.FrameworkReferences ?? []).Any(f => string.Equals(f?.Trim(), AspNetCoreFramework, StringComparison.OrdinalIgnoreCase))
                ? "aspnet"
                : "runtime";

        var (tagMajor, tagMinor) = TagVersion(sdk, tfmMajor, tfmMinor);
        string tag = VersionTag(sdk, tagMajor, tagMinor);
        bool wantsExtra = !inputs.InvariantGlobalization;
        bool smallRuntime = inputs.PublishAot || inputs.PublishTrimmed;
        string? family = string.IsNullOrWhiteSpace(inputs.ContainerFamily) ? null : inputs.ContainerFamily.Trim();

        if (family is not null)
        {
            tag += "-" + family;
            // The built-in adds -extra to a chiseled family only for a released SDK and .NET 8+ images, and never for musl.
            if (!musl && wantsExtra && family.EndsWith("-chiseled", StringComparison.Ordinal) && sdk.Prerelease is null && tagMajor >= 8)
            {
                tag += "-extra";
            }
            if (!ContainerNames.IsValidTag(tag))
            {
                throw new ContainerTasksException(ErrorCodes.InvalidContainerFamily,
                    $"ContainerFamily '{inputs.ContainerFamily}' cannot be part of an image tag (it would give '{tag}'): use letters, digits, '_', '.' and '-' only, "
                    + "e.g. noble-chiseled, alpine or azurelinux3.0, or set ContainerBaseImage to the full image reference instead.");
            }
        }
        else if (musl)
        {
            tag += smallRuntime && wantsExtra ? "-alpine-extra" : "-alpine";
        }
        else if (smallRuntime)
        {
            tag += $"-{sdk.UbuntuCodename}-chiseled" + (wantsExtra ? "-extra" : "");
        }

        return $"{DotnetImagesPrefix}{repository}:{tag}";
    }

    /// <summary>The Windows version of an inferred Windows image when ContainerFamily names none.</summary>
    public const string DefaultWindowsFamily = "nanoserver-ltsc2022";

    /// <summary>
    /// A Windows base: <c>aspnet</c> or <c>runtime</c> with the tag's Windows family (<c>10.0-nanoserver-ltsc2022</c>, or
    /// ContainerFamily such as <c>windowsservercore-ltsc2025</c>); a self-contained app (there are no Windows
    /// <c>runtime-deps</c> images) gets the family's Windows image itself, <c>mcr.microsoft.com/windows/nanoserver:ltsc2022</c>.
    /// .NET's multi-platform tags are Linux-only since .NET 8, so a Windows image always names its Windows version.
    /// </summary>
    private static string InferWindows(BaseImageInputs inputs, SdkVersion sdk, int tfmMajor, int tfmMinor)
    {
        string family = string.IsNullOrWhiteSpace(inputs.ContainerFamily) ? DefaultWindowsFamily : inputs.ContainerFamily.Trim();
        Match windows = WindowsFamilyPattern().Match(family);
        if (!windows.Success)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidContainerFamily,
                $"ContainerFamily '{inputs.ContainerFamily}' is not a Windows image family, and the runtime identifier '{inputs.RuntimeIdentifier}' is a Windows one. "
                + "Use nanoserver-ltsc2022, nanoserver-ltsc2025, windowsservercore-ltsc2022 or windowsservercore-ltsc2025, or set ContainerBaseImage.");
        }
        if (inputs.SelfContained)
        {
            string image = windows.Groups[1].Value == "nanoserver" ? "nanoserver" : "servercore";
            return $"mcr.microsoft.com/windows/{image}:{windows.Groups[2].Value}";
        }
        bool aspnet = (inputs.FrameworkReferences ?? []).Any(f => string.Equals(f?.Trim(), AspNetCoreFramework, StringComparison.OrdinalIgnoreCase));
        var (tagMajor, tagMinor) = TagVersion(sdk, tfmMajor, tfmMinor);
        return $"{DotnetImagesPrefix}{(aspnet ? "aspnet" : "runtime")}:{VersionTag(sdk, tagMajor, tagMinor)}-{family}";
    }

    [GeneratedRegex(@"^(nanoserver|windowsservercore)-(ltsc20[0-9]{2}|[0-9]{4}|[0-9]{2}h[12])$")]
    private static partial Regex WindowsFamilyPattern();

    /// <summary>The .NET version the image is for: the target framework's when it is older than the SDK, else the SDK's.</summary>
    private static (int Major, int Minor) TagVersion(SdkVersion sdk, int tfmMajor, int tfmMinor)
        => (tfmMajor, tfmMinor).CompareTo((sdk.Major, sdk.Minor)) < 0 ? (tfmMajor, tfmMinor) : (sdk.Major, sdk.Minor);

    /// <summary>
    /// The version part of the tag: major.minor, except that with the SDK's own version a prerelease of its first feature
    /// band (x.y.100-…) names the matching prerelease images.
    /// </summary>
    private static string VersionTag(SdkVersion sdk, int major, int minor)
    {
        string release = $"{major}.{minor}";
        if ((major, minor) != (sdk.Major, sdk.Minor) || sdk.Prerelease is null || sdk.Patch != 100)
        {
            return release;
        }
        string[] labels = sdk.Prerelease.Split('.');
        return labels[0] switch
        {
            "rtm" or "servicing" => release,
            "alpha" or "dev" or "ci" => release + "-preview",
            "preview" or "rc" when labels.Length >= 2 => $"{release}.0-{labels[0]}.{labels[1]}",
            _ => throw new ContainerTasksException(ErrorCodes.InvalidSdkVersion,
                $"The .NET SDK version '{sdk.Text}' has the prerelease label '{labels[0]}', which no .NET container image tag matches: "
                + "only preview.N and rc.N (and rtm, servicing, alpha, dev, ci) SDK builds are understood. "
                + "Use a released or preview .NET SDK, or set ContainerBaseImage to the full image reference."),
        };
    }

    private static (int Major, int Minor) ParseTargetFramework(string value)
    {
        string text = (value ?? "").Trim();
        string version = text.StartsWith("net", StringComparison.OrdinalIgnoreCase) ? text[3..]
            : text.StartsWith('v') || text.StartsWith('V') ? text[1..]
            : text;
        Match match = TargetFrameworkVersionPattern().Match(version);
        if (!match.Success)
        {
            throw new ContainerTasksException(ErrorCodes.UnsupportedTargetFramework,
                $"The target framework version '{value}' is not a .NET (net8.0 or later) version, so no .NET base image can be inferred. "
                + "Target net8.0 or later, or set ContainerBaseImage to the full image reference.");
        }
        int major = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        int minor = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        if (major < 8)
        {
            throw new ContainerTasksException(ErrorCodes.UnsupportedTargetFramework,
                $"The target framework is .NET {major}.{minor}, which has no supported container images (the oldest is .NET 8.0). "
                + "Retarget the project to net8.0 or later, or set ContainerBaseImage to the full image reference.");
        }
        return (major, minor);
    }

    [GeneratedRegex(@"^([0-9]{1,5})\.([0-9]{1,5})(?:\.[0-9]{1,9})?$")]
    private static partial Regex TargetFrameworkVersionPattern();

    [GeneratedRegex(@"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$")]
    private static partial Regex SemanticVersionPattern();

    /// <summary>A .NET SDK version as a semantic version (build metadata ignored).</summary>
    private sealed record SdkVersion(string Text, int Major, int Minor, int Patch, string? Prerelease)
    {
        /// <summary>Chiseled Ubuntu images are named after noble from SDK 8.0.300 on, jammy before.</summary>
        public string UbuntuCodename
            => (Major, Minor, Patch).CompareTo((8, 0, 300)) > 0 || ((Major, Minor, Patch) == (8, 0, 300) && Prerelease is null)
                ? "noble"
                : "jammy";

        public static SdkVersion Parse(string value)
        {
            string text = (value ?? "").Trim();
            Match match = SemanticVersionPattern().Match(text);
            if (!match.Success
                || !int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int major)
                || !int.TryParse(match.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int minor)
                || !int.TryParse(match.Groups[3].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int patch))
            {
                throw new ContainerTasksException(ErrorCodes.InvalidSdkVersion,
                    $"The .NET SDK version '{value}' is not a semantic version like 10.0.100 or 10.0.100-preview.5.25277.114, so the base image tag cannot be derived from it. "
                    + "Check NETCoreSdkVersion (do not override it), or set ContainerBaseImage to the full image reference.");
            }
            return new SdkVersion(text, major, minor, patch, match.Groups[4].Success ? match.Groups[4].Value : null);
        }
    }
}
