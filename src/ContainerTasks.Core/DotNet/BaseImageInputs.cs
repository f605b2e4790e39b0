using ContainerTasks.Model;

namespace ContainerTasks.DotNet;

/// <summary>
/// What a project tells about itself that decides its default base image: the MSBuild properties
/// <c>NETCoreSdkVersion</c>, the target framework version, <c>@(FrameworkReference)</c>, the container runtime
/// identifier, <c>SelfContained</c>/<c>PublishSelfContained</c>, <c>PublishAot</c>, <c>PublishTrimmed</c>,
/// <c>InvariantGlobalization</c> and <c>ContainerFamily</c>.
/// </summary>
/// <param name="SdkVersion">The .NET SDK version, e.g. <c>10.0.401</c> or <c>10.0.100-preview.5.25277.114</c>.</param>
/// <param name="TargetFrameworkVersion">The target framework version: <c>10.0</c>, <c>10.0.0</c>, <c>v10.0</c> or <c>net10.0</c>.</param>
/// <param name="FrameworkReferences">The project's framework references; <c>Microsoft.AspNetCore.App</c> selects the ASP.NET Core image.</param>
/// <param name="RuntimeIdentifier">The container runtime identifier, e.g. <c>linux-x64</c> or <c>linux-musl-arm64</c>; empty means a glibc Linux one.</param>
/// <param name="SelfContained">True when the app is published self-contained (<c>SelfContained</c> or <c>PublishSelfContained</c>).</param>
/// <param name="PublishAot">True for a Native AOT publish.</param>
/// <param name="PublishTrimmed">True for a trimmed publish.</param>
/// <param name="InvariantGlobalization">True when the app does not need ICU and time-zone data.</param>
/// <param name="ContainerFamily">An image family appended to the tag, e.g. <c>noble-chiseled</c> or <c>alpine</c>; null or blank for none.</param>
public sealed record BaseImageInputs(
    string SdkVersion,
    string TargetFrameworkVersion,
    IReadOnlyList<string> FrameworkReferences,
    string RuntimeIdentifier,
    bool SelfContained,
    bool PublishAot,
    bool PublishTrimmed,
    bool InvariantGlobalization,
    string? ContainerFamily);
