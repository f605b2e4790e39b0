using System.Diagnostics;
using System.Text.Json;
using ContainerTasks.DotNet;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>
/// <see cref="BaseImageInference"/> against the .NET SDK's built-in inference (Microsoft.NET.Build.Containers, SDK 10.0.401).
/// </summary>
/// <remarks>
/// Every row of <see cref="The_inferred_base_image_is_the_one_the_SDK_built_in_infers"/> was produced by the command in the
/// comment above it, run against two scratch projects:
/// <code>
/// console.csproj: &lt;Project Sdk="Microsoft.NET.Sdk"&gt;&lt;PropertyGroup&gt;&lt;OutputType&gt;Exe&lt;/OutputType&gt;&lt;TargetFramework&gt;net10.0&lt;/TargetFramework&gt;&lt;/PropertyGroup&gt;&lt;/Project&gt;
/// web.csproj:     &lt;Project Sdk="Microsoft.NET.Sdk.Web"&gt;&lt;PropertyGroup&gt;&lt;TargetFramework&gt;net10.0&lt;/TargetFramework&gt;&lt;/PropertyGroup&gt;&lt;/Project&gt;
/// </code>
/// The input columns are what that same evaluation passed to the built-in task (read with -getProperty:NETCoreSdkVersion,
/// _TargetFrameworkVersionWithoutV, _ContainerIsSelfContained, PublishAot, PublishTrimmed, InvariantGlobalization,
/// ContainerRuntimeIdentifier, ContainerFamily and -getItem:FrameworkReference); "web" means the framework references include
/// Microsoft.AspNetCore.App. The target needs no restore (restoring first gave the same results). PublishAot and
/// PublishTrimmed make the SDK publish self-contained, hence their SelfContained=true. Rows with NETCoreSdkVersion
/// overridden show the rules for other SDKs (the built-in reads the SDK version from that property only).
/// </remarks>
public class BaseImageInferenceTests
{
    private static readonly string[] ConsoleFrameworks = ["Microsoft.NETCore.App"];
    private static readonly string[] WebFrameworks = ["Microsoft.NETCore.App", "Microsoft.AspNetCore.App"];

    private static BaseImageInputs Inputs(string sdk = "10.0.401", string tfm = "10.0", string project = "console", string rid = "linux-x64",
        bool selfContained = false, bool aot = false, bool trimmed = false, bool invariant = false, string? family = null)
        => new(sdk, tfm, project == "web" ? WebFrameworks : ConsoleFrameworks, rid, selfContained, aot, trimmed, invariant, family);

    [Theory]
    // --- Matrix: console and web projects x net8.0/net9.0/net10.0, SDK 10.0.401 ---
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0
    [InlineData("10.0.401", "8.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:8.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:SelfContained=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "8.0", "console", "linux-x64", true, false, false, false, null, "mcr.microsoft.com/dotnet/runtime-deps:8.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "8.0", "console", "linux-x64", true, true, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:8.0-noble-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 -p:InvariantGlobalization=true
    [InlineData("10.0.401", "8.0", "console", "linux-x64", true, true, true, true, null, "mcr.microsoft.com/dotnet/runtime-deps:8.0-noble-chiseled")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:PublishTrimmed=true -p:SelfContained=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "8.0", "console", "linux-x64", true, false, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:8.0-noble-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:RuntimeIdentifier=linux-musl-x64
    [InlineData("10.0.401", "8.0", "console", "linux-musl-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:8.0-alpine")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:RuntimeIdentifier=linux-arm64
    [InlineData("10.0.401", "8.0", "console", "linux-arm64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:8.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:ContainerFamily=noble-chiseled
    [InlineData("10.0.401", "8.0", "console", "linux-x64", false, false, false, false, "noble-chiseled", "mcr.microsoft.com/dotnet/runtime:8.0-noble-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:ContainerFamily=alpine
    [InlineData("10.0.401", "8.0", "console", "linux-x64", false, false, false, false, "alpine", "mcr.microsoft.com/dotnet/runtime:8.0-alpine")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0
    [InlineData("10.0.401", "8.0", "web", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/aspnet:8.0")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:SelfContained=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "8.0", "web", "linux-x64", true, false, false, false, null, "mcr.microsoft.com/dotnet/runtime-deps:8.0")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "8.0", "web", "linux-x64", true, true, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:8.0-noble-chiseled-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 -p:InvariantGlobalization=true
    [InlineData("10.0.401", "8.0", "web", "linux-x64", true, true, true, true, null, "mcr.microsoft.com/dotnet/runtime-deps:8.0-noble-chiseled")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:PublishTrimmed=true -p:SelfContained=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "8.0", "web", "linux-x64", true, false, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:8.0-noble-chiseled-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:RuntimeIdentifier=linux-musl-x64
    [InlineData("10.0.401", "8.0", "web", "linux-musl-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/aspnet:8.0-alpine")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:RuntimeIdentifier=linux-arm64
    [InlineData("10.0.401", "8.0", "web", "linux-arm64", false, false, false, false, null, "mcr.microsoft.com/dotnet/aspnet:8.0")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:ContainerFamily=noble-chiseled
    [InlineData("10.0.401", "8.0", "web", "linux-x64", false, false, false, false, "noble-chiseled", "mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:ContainerFamily=alpine
    [InlineData("10.0.401", "8.0", "web", "linux-x64", false, false, false, false, "alpine", "mcr.microsoft.com/dotnet/aspnet:8.0-alpine")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0
    [InlineData("10.0.401", "9.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:9.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:SelfContained=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "9.0", "console", "linux-x64", true, false, false, false, null, "mcr.microsoft.com/dotnet/runtime-deps:9.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "9.0", "console", "linux-x64", true, true, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:9.0-noble-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 -p:InvariantGlobalization=true
    [InlineData("10.0.401", "9.0", "console", "linux-x64", true, true, true, true, null, "mcr.microsoft.com/dotnet/runtime-deps:9.0-noble-chiseled")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:PublishTrimmed=true -p:SelfContained=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "9.0", "console", "linux-x64", true, false, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:9.0-noble-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:RuntimeIdentifier=linux-musl-x64
    [InlineData("10.0.401", "9.0", "console", "linux-musl-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:9.0-alpine")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:RuntimeIdentifier=linux-arm64
    [InlineData("10.0.401", "9.0", "console", "linux-arm64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:9.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:ContainerFamily=noble-chiseled
    [InlineData("10.0.401", "9.0", "console", "linux-x64", false, false, false, false, "noble-chiseled", "mcr.microsoft.com/dotnet/runtime:9.0-noble-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:ContainerFamily=alpine
    [InlineData("10.0.401", "9.0", "console", "linux-x64", false, false, false, false, "alpine", "mcr.microsoft.com/dotnet/runtime:9.0-alpine")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0
    [InlineData("10.0.401", "9.0", "web", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/aspnet:9.0")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:SelfContained=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "9.0", "web", "linux-x64", true, false, false, false, null, "mcr.microsoft.com/dotnet/runtime-deps:9.0")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "9.0", "web", "linux-x64", true, true, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:9.0-noble-chiseled-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 -p:InvariantGlobalization=true
    [InlineData("10.0.401", "9.0", "web", "linux-x64", true, true, true, true, null, "mcr.microsoft.com/dotnet/runtime-deps:9.0-noble-chiseled")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:PublishTrimmed=true -p:SelfContained=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "9.0", "web", "linux-x64", true, false, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:9.0-noble-chiseled-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:RuntimeIdentifier=linux-musl-x64
    [InlineData("10.0.401", "9.0", "web", "linux-musl-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/aspnet:9.0-alpine")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:RuntimeIdentifier=linux-arm64
    [InlineData("10.0.401", "9.0", "web", "linux-arm64", false, false, false, false, null, "mcr.microsoft.com/dotnet/aspnet:9.0")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:ContainerFamily=noble-chiseled
    [InlineData("10.0.401", "9.0", "web", "linux-x64", false, false, false, false, "noble-chiseled", "mcr.microsoft.com/dotnet/aspnet:9.0-noble-chiseled-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:ContainerFamily=alpine
    [InlineData("10.0.401", "9.0", "web", "linux-x64", false, false, false, false, "alpine", "mcr.microsoft.com/dotnet/aspnet:9.0-alpine")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0
    [InlineData("10.0.401", "10.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:SelfContained=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "10.0", "console", "linux-x64", true, false, false, false, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "10.0", "console", "linux-x64", true, true, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 -p:InvariantGlobalization=true
    [InlineData("10.0.401", "10.0", "console", "linux-x64", true, true, true, true, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishTrimmed=true -p:SelfContained=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "10.0", "console", "linux-x64", true, false, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:RuntimeIdentifier=linux-musl-x64
    [InlineData("10.0.401", "10.0", "console", "linux-musl-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0-alpine")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:RuntimeIdentifier=linux-arm64
    [InlineData("10.0.401", "10.0", "console", "linux-arm64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:ContainerFamily=noble-chiseled
    [InlineData("10.0.401", "10.0", "console", "linux-x64", false, false, false, false, "noble-chiseled", "mcr.microsoft.com/dotnet/runtime:10.0-noble-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:ContainerFamily=alpine
    [InlineData("10.0.401", "10.0", "console", "linux-x64", false, false, false, false, "alpine", "mcr.microsoft.com/dotnet/runtime:10.0-alpine")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0
    [InlineData("10.0.401", "10.0", "web", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/aspnet:10.0")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:SelfContained=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "10.0", "web", "linux-x64", true, false, false, false, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "10.0", "web", "linux-x64", true, true, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 -p:InvariantGlobalization=true
    [InlineData("10.0.401", "10.0", "web", "linux-x64", true, true, true, true, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishTrimmed=true -p:SelfContained=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "10.0", "web", "linux-x64", true, false, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:RuntimeIdentifier=linux-musl-x64
    [InlineData("10.0.401", "10.0", "web", "linux-musl-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/aspnet:10.0-alpine")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:RuntimeIdentifier=linux-arm64
    [InlineData("10.0.401", "10.0", "web", "linux-arm64", false, false, false, false, null, "mcr.microsoft.com/dotnet/aspnet:10.0")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:ContainerFamily=noble-chiseled
    [InlineData("10.0.401", "10.0", "web", "linux-x64", false, false, false, false, "noble-chiseled", "mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:ContainerFamily=alpine
    [InlineData("10.0.401", "10.0", "web", "linux-x64", false, false, false, false, "alpine", "mcr.microsoft.com/dotnet/aspnet:10.0-alpine")]
    // --- More combinations on net10.0: musl, chiseled families, AOT with a family, PublishAot without self-contained ---
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishTrimmed=true -p:SelfContained=true -p:RuntimeIdentifier=linux-x64 -p:InvariantGlobalization=true
    [InlineData("10.0.401", "10.0", "console", "linux-x64", true, false, true, true, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:RuntimeIdentifier=linux-musl-x64 -p:SelfContained=true
    [InlineData("10.0.401", "10.0", "console", "linux-musl-x64", true, false, false, false, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0-alpine")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-musl-x64
    [InlineData("10.0.401", "10.0", "console", "linux-musl-x64", true, true, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0-alpine-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-musl-x64 -p:InvariantGlobalization=true
    [InlineData("10.0.401", "10.0", "console", "linux-musl-x64", true, true, true, true, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0-alpine")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:RuntimeIdentifier=linux-musl-arm64
    [InlineData("10.0.401", "10.0", "console", "linux-musl-arm64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0-alpine")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:RuntimeIdentifier=linux-arm
    [InlineData("10.0.401", "10.0", "console", "linux-arm", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:ContainerFamily=noble-chiseled -p:InvariantGlobalization=true
    [InlineData("10.0.401", "10.0", "console", "linux-x64", false, false, false, true, "noble-chiseled", "mcr.microsoft.com/dotnet/runtime:10.0-noble-chiseled")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:ContainerFamily=jammy-chiseled
    [InlineData("10.0.401", "10.0", "console", "linux-x64", false, false, false, false, "jammy-chiseled", "mcr.microsoft.com/dotnet/runtime:10.0-jammy-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:ContainerFamily=Noble-Chiseled
    [InlineData("10.0.401", "10.0", "console", "linux-x64", false, false, false, false, "Noble-Chiseled", "mcr.microsoft.com/dotnet/runtime:10.0-Noble-Chiseled")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:ContainerFamily=noble-chiseled-extra
    [InlineData("10.0.401", "10.0", "console", "linux-x64", false, false, false, false, "noble-chiseled-extra", "mcr.microsoft.com/dotnet/runtime:10.0-noble-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:RuntimeIdentifier=linux-musl-x64 -p:ContainerFamily=noble-chiseled
    [InlineData("10.0.401", "10.0", "console", "linux-musl-x64", false, false, false, false, "noble-chiseled", "mcr.microsoft.com/dotnet/runtime:10.0-noble-chiseled")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:SelfContained=true -p:RuntimeIdentifier=linux-x64 -p:ContainerFamily=noble-chiseled
    [InlineData("10.0.401", "10.0", "console", "linux-x64", true, false, false, false, "noble-chiseled", "mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 -p:ContainerFamily=alpine
    [InlineData("10.0.401", "10.0", "console", "linux-x64", true, true, true, false, "alpine", "mcr.microsoft.com/dotnet/runtime-deps:10.0-alpine")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 -p:ContainerFamily=jammy-chiseled
    [InlineData("10.0.401", "10.0", "console", "linux-x64", true, true, true, false, "jammy-chiseled", "mcr.microsoft.com/dotnet/runtime-deps:10.0-jammy-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishAot=true -p:SelfContained=false -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "10.0", "console", "linux-x64", false, true, true, false, null, "mcr.microsoft.com/dotnet/runtime:10.0-noble-chiseled-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishTrimmed=true -p:SelfContained=true -p:RuntimeIdentifier=linux-x64 -p:InvariantGlobalization=true
    [InlineData("10.0.401", "10.0", "web", "linux-x64", true, false, true, true, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:RuntimeIdentifier=linux-musl-x64 -p:SelfContained=true
    [InlineData("10.0.401", "10.0", "web", "linux-musl-x64", true, false, false, false, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0-alpine")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-musl-x64
    [InlineData("10.0.401", "10.0", "web", "linux-musl-x64", true, true, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0-alpine-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-musl-x64 -p:InvariantGlobalization=true
    [InlineData("10.0.401", "10.0", "web", "linux-musl-x64", true, true, true, true, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0-alpine")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:RuntimeIdentifier=linux-musl-arm64
    [InlineData("10.0.401", "10.0", "web", "linux-musl-arm64", false, false, false, false, null, "mcr.microsoft.com/dotnet/aspnet:10.0-alpine")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:RuntimeIdentifier=linux-arm
    [InlineData("10.0.401", "10.0", "web", "linux-arm", false, false, false, false, null, "mcr.microsoft.com/dotnet/aspnet:10.0")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:ContainerFamily=noble-chiseled -p:InvariantGlobalization=true
    [InlineData("10.0.401", "10.0", "web", "linux-x64", false, false, false, true, "noble-chiseled", "mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:ContainerFamily=jammy-chiseled
    [InlineData("10.0.401", "10.0", "web", "linux-x64", false, false, false, false, "jammy-chiseled", "mcr.microsoft.com/dotnet/aspnet:10.0-jammy-chiseled-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:ContainerFamily=Noble-Chiseled
    [InlineData("10.0.401", "10.0", "web", "linux-x64", false, false, false, false, "Noble-Chiseled", "mcr.microsoft.com/dotnet/aspnet:10.0-Noble-Chiseled")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:ContainerFamily=noble-chiseled-extra
    [InlineData("10.0.401", "10.0", "web", "linux-x64", false, false, false, false, "noble-chiseled-extra", "mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:RuntimeIdentifier=linux-musl-x64 -p:ContainerFamily=noble-chiseled
    [InlineData("10.0.401", "10.0", "web", "linux-musl-x64", false, false, false, false, "noble-chiseled", "mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:SelfContained=true -p:RuntimeIdentifier=linux-x64 -p:ContainerFamily=noble-chiseled
    [InlineData("10.0.401", "10.0", "web", "linux-x64", true, false, false, false, "noble-chiseled", "mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 -p:ContainerFamily=alpine
    [InlineData("10.0.401", "10.0", "web", "linux-x64", true, true, true, false, "alpine", "mcr.microsoft.com/dotnet/runtime-deps:10.0-alpine")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 -p:ContainerFamily=jammy-chiseled
    [InlineData("10.0.401", "10.0", "web", "linux-x64", true, true, true, false, "jammy-chiseled", "mcr.microsoft.com/dotnet/runtime-deps:10.0-jammy-chiseled-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:PublishAot=true -p:SelfContained=false -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.401", "10.0", "web", "linux-x64", false, true, true, false, null, "mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled-extra")]
    // --- SDK versions (NETCoreSdkVersion overridden): jammy before 8.0.300, preview/rc tags, other prerelease labels ---
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:NETCoreSdkVersion=8.0.204 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64
    [InlineData("8.0.204", "8.0", "console", "linux-x64", true, true, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:8.0-jammy-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:NETCoreSdkVersion=8.0.300-preview.24203.14 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64
    [InlineData("8.0.300-preview.24203.14", "8.0", "console", "linux-x64", true, true, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:8.0-jammy-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:NETCoreSdkVersion=8.0.300 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64
    [InlineData("8.0.300", "8.0", "console", "linux-x64", true, true, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:8.0-noble-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:NETCoreSdkVersion=8.0.100-preview.7.23376.3 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64
    [InlineData("8.0.100-preview.7.23376.3", "8.0", "console", "linux-x64", true, true, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:8.0.0-preview.7-jammy-chiseled-extra")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:NETCoreSdkVersion=8.0.100 -p:ContainerFamily=jammy-chiseled
    [InlineData("8.0.100", "8.0", "web", "linux-x64", false, false, false, false, "jammy-chiseled", "mcr.microsoft.com/dotnet/aspnet:8.0-jammy-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.100-preview.5.25277.114
    [InlineData("10.0.100-preview.5.25277.114", "10.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0.0-preview.5")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.100-rc.2.25502.107
    [InlineData("10.0.100-rc.2.25502.107", "10.0", "web", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/aspnet:10.0.0-rc.2")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.100-preview.5.25277.114 -p:PublishAot=true -p:RuntimeIdentifier=linux-musl-x64
    [InlineData("10.0.100-preview.5.25277.114", "10.0", "console", "linux-musl-x64", true, true, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0.0-preview.5-alpine-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.100-preview.5.25277.114 -p:ContainerFamily=noble-chiseled
    [InlineData("10.0.100-preview.5.25277.114", "10.0", "console", "linux-x64", false, false, false, false, "noble-chiseled", "mcr.microsoft.com/dotnet/runtime:10.0.0-preview.5-noble-chiseled")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:NETCoreSdkVersion=10.0.100-preview.5.25277.114
    [InlineData("10.0.100-preview.5.25277.114", "9.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:9.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.100-alpha.1.25277.114
    [InlineData("10.0.100-alpha.1.25277.114", "10.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0-preview")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.100-dev
    [InlineData("10.0.100-dev", "10.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0-preview")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.100-ci
    [InlineData("10.0.100-ci", "10.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0-preview")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.100-rtm.25503.1
    [InlineData("10.0.100-rtm.25503.1", "10.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.100-servicing.25503.1
    [InlineData("10.0.100-servicing.25503.1", "10.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.200-preview.0.25555.1
    [InlineData("10.0.200-preview.0.25555.1", "10.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.101-preview.5.25277.114
    [InlineData("10.0.101-preview.5.25277.114", "10.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.100-preview.6.25358.103+abcdef
    [InlineData("10.0.100-preview.6.25358.103+abcdef", "10.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0.0-preview.6")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.100
    [InlineData("10.0.100", "10.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=9.0.100
    [InlineData("9.0.100", "10.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:9.0")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=11.0.100-preview.1.26077.101
    [InlineData("11.0.100-preview.1.26077.101", "10.0", "console", "linux-x64", false, false, false, false, null, "mcr.microsoft.com/dotnet/runtime:10.0")]
    // --- -extra on a chiseled ContainerFamily needs a released SDK (no prerelease label) ---
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.100-rtm.25503.1 -p:ContainerFamily=noble-chiseled
    [InlineData("10.0.100-rtm.25503.1", "10.0", "console", "linux-x64", false, false, false, false, "noble-chiseled", "mcr.microsoft.com/dotnet/runtime:10.0-noble-chiseled")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.101-preview.5.25277.114 -p:ContainerFamily=noble-chiseled
    [InlineData("10.0.101-preview.5.25277.114", "10.0", "console", "linux-x64", false, false, false, false, "noble-chiseled", "mcr.microsoft.com/dotnet/runtime:10.0-noble-chiseled")]
    // dotnet msbuild web.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net9.0 -p:NETCoreSdkVersion=10.0.100-preview.5.25277.114 -p:ContainerFamily=noble-chiseled
    [InlineData("10.0.100-preview.5.25277.114", "9.0", "web", "linux-x64", false, false, false, false, "noble-chiseled", "mcr.microsoft.com/dotnet/aspnet:9.0-noble-chiseled")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net8.0 -p:NETCoreSdkVersion=8.0.100-rc.1.23455.8 -p:ContainerFamily=jammy-chiseled
    [InlineData("8.0.100-rc.1.23455.8", "8.0", "console", "linux-x64", false, false, false, false, "jammy-chiseled", "mcr.microsoft.com/dotnet/runtime:8.0.0-rc.1-jammy-chiseled")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.100-rtm.25503.1 -p:PublishAot=true -p:RuntimeIdentifier=linux-x64
    [InlineData("10.0.100-rtm.25503.1", "10.0", "console", "linux-x64", true, true, true, false, null, "mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled-extra")]
    // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage -p:TargetFramework=net10.0 -p:NETCoreSdkVersion=10.0.100+abcdef -p:ContainerFamily=noble-chiseled
    [InlineData("10.0.100+abcdef", "10.0", "console", "linux-x64", false, false, false, false, "noble-chiseled", "mcr.microsoft.com/dotnet/runtime:10.0-noble-chiseled-extra")]
    public void The_inferred_base_image_is_the_one_the_SDK_built_in_infers(string sdk, string tfm, string project, string rid,
        bool selfContained, bool aot, bool trimmed, bool invariant, string? family, string expected)
    {
        Assert.Equal(expected, BaseImageInference.Infer(Inputs(sdk, tfm, project, rid, selfContained, aot, trimmed, invariant, family)));
    }

    [Theory]
    [InlineData("10.0")]
    [InlineData("10.0.0")] // what the built-in task is given: $(_TargetFrameworkVersionWithoutV).0
    [InlineData("v10.0")] // $(TargetFrameworkVersion)
    [InlineData("net10.0")] // $(TargetFramework)
    public void The_target_framework_version_may_be_written_in_any_of_the_usual_forms(string tfm)
    {
        Assert.Equal("mcr.microsoft.com/dotnet/runtime:10.0", BaseImageInference.Infer(Inputs(tfm: tfm)));
    }

    [Fact]
    public void The_AspNetCore_framework_reference_is_recognised_in_any_case()
    {
        // Task harness (ComputeDotnetBaseImageAndTag called directly) with FrameworkReferences="microsoft.aspnetcore.app" → aspnet:10.0.
        var inputs = Inputs() with { FrameworkReferences = ["microsoft.aspnetcore.app"] };
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", BaseImageInference.Infer(inputs));
    }

    [Fact]
    public void An_empty_runtime_identifier_is_treated_as_a_glibc_Linux_one()
    {
        Assert.Equal("mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled-extra",
            BaseImageInference.Infer(Inputs(rid: "", selfContained: true, aot: true, trimmed: true)));
    }

    [Fact]
    public void A_blank_ContainerFamily_is_no_family()
    {
        // dotnet msbuild console.csproj -t:ComputeContainerBaseImage -getProperty:ContainerBaseImage "-p:ContainerFamily= " → runtime:10.0
        Assert.Equal("mcr.microsoft.com/dotnet/runtime:10.0", BaseImageInference.Infer(Inputs(family: "  ")));
    }

    [Fact]
    public void An_unusual_SDK_prerelease_label_is_ignored_when_the_target_framework_is_older_than_the_SDK()
    {
        // Task harness with SdkVersion=10.0.100-foo.1 TargetFrameworkVersion=8.0.0 → runtime:8.0 (no error).
        Assert.Equal("mcr.microsoft.com/dotnet/runtime:8.0", BaseImageInference.Infer(Inputs(sdk: "10.0.100-foo.1", tfm: "8.0")));
    }

    [Theory]
    // The built-in infers runtime:7.0, runtime:6.0, runtime:3.1 and runtime:2.0 (netstandard2.0!) for these; those images are
    // out of support, so this is an error with a fix instead.
    [InlineData("7.0")]
    [InlineData("6.0")]
    [InlineData("3.1")]
    [InlineData("netstandard2.0")]
    [InlineData("netcoreapp3.1")]
    [InlineData("garbage")]
    [InlineData("")]
    public void A_target_framework_below_net8_is_CT4006_with_a_fix(string tfm)
    {
        var error = Assert.Throws<ContainerTasksException>(() => BaseImageInference.Infer(Inputs(tfm: tfm)));
        Assert.Equal(ErrorCodes.UnsupportedTargetFramework, error.Code);
        Assert.Contains("net8.0 or later", error.Message);
        Assert.Contains("ContainerBaseImage", error.Message);
    }

    [Theory]
    // The built-in infers runtime:10.0 (a Linux-only tag since .NET 8) for all of these: macOS and FreeBSD have no images.
    [InlineData("osx-arm64")]
    [InlineData("freebsd-x64")]
    [InlineData("win-x86")]
    public void A_runtime_identifier_that_is_neither_Linux_nor_a_Windows_image_platform_is_CT4111(string rid)
    {
        var error = Assert.Throws<ContainerTasksException>(() => BaseImageInference.Infer(Inputs(rid: rid)));
        Assert.Equal(ErrorCodes.UnsupportedPlatform, error.Code);
        Assert.Contains(rid, error.Message);
    }

    [Theory]
    // The built-in pastes ContainerFamily onto the tag the same way (runtime:10.0-nanoserver-ltsc2022); without one it gives
    // the Linux-only runtime:10.0, where a Windows image gets the default Windows family here.
    [InlineData("win-x64", "console", false, null, "mcr.microsoft.com/dotnet/runtime:10.0-nanoserver-ltsc2022")]
    [InlineData("win-x64", "web", false, "nanoserver-ltsc2025", "mcr.microsoft.com/dotnet/aspnet:10.0-nanoserver-ltsc2025")]
    [InlineData("win-x64", "console", false, "windowsservercore-ltsc2022", "mcr.microsoft.com/dotnet/runtime:10.0-windowsservercore-ltsc2022")]
    // There are no Windows runtime-deps images: a self-contained app gets the Windows image itself.
    [InlineData("win-x64", "console", true, null, "mcr.microsoft.com/windows/nanoserver:ltsc2022")]
    [InlineData("win-x64", "web", true, "windowsservercore-ltsc2025", "mcr.microsoft.com/windows/servercore:ltsc2025")]
    public void A_Windows_runtime_identifier_gets_a_Windows_tag(string rid, string project, bool selfContained, string? family, string expected)
        => Assert.Equal(expected, BaseImageInference.Infer(Inputs(rid: rid, project: project, selfContained: selfContained, family: family)));

    [Fact]
    public void Win_arm64_has_no_Microsoft_images_to_infer_and_says_to_set_ContainerBaseImage()
    {
        var error = Assert.Throws<ContainerTasksException>(() => BaseImageInference.Infer(Inputs(rid: "win-arm64", project: "web")));
        Assert.Equal(ErrorCodes.UnsupportedPlatform, error.Code);
        Assert.Contains("ContainerBaseImage", error.Message);
    }

    [Fact]
    public void A_Linux_family_with_a_Windows_runtime_identifier_is_CT4008_naming_the_Windows_families()
    {
        var error = Assert.Throws<ContainerTasksException>(() => BaseImageInference.Infer(Inputs(rid: "win-x64", family: "noble-chiseled")));
        Assert.Equal(ErrorCodes.InvalidContainerFamily, error.Code);
        Assert.Contains("nanoserver-ltsc2025", error.Message);
    }

    [Theory]
    // Built-in (task harness): CONTAINER2019 "Invalid SDK semantic version" for these.
    [InlineData("garbage")]
    [InlineData("10.0")]
    [InlineData("10.0.100.1")]
    [InlineData("v10.0.100")]
    [InlineData("10.0.100-preview.05.1")]
    // Built-in: CONTAINER2018 "Invalid SDK prerelease version '…' - only 'rc' and 'preview' are supported" for these.
    [InlineData("10.0.100-preview")]
    [InlineData("10.0.100-rc")]
    [InlineData("10.0.100-Preview.5.1")]
    [InlineData("10.0.100-beta.1")]
    [InlineData("10.0.100-nightly.1")]
    [InlineData("10.0.100-preview1")]
    public void An_SDK_version_no_image_tag_can_be_derived_from_is_CT4007(string sdk)
    {
        var error = Assert.Throws<ContainerTasksException>(() => BaseImageInference.Infer(Inputs(sdk: sdk)));
        Assert.Equal(ErrorCodes.InvalidSdkVersion, error.Code);
        Assert.Contains(sdk, error.Message);
    }

    [Theory]
    // The built-in passes these through and builds the invalid references runtime:10.0-a b and runtime:10.0-a:b.
    [InlineData("a b")]
    [InlineData("a:b")]
    [InlineData("noble/chiseled")]
    public void A_ContainerFamily_that_cannot_be_part_of_a_tag_is_CT4008(string family)
    {
        var error = Assert.Throws<ContainerTasksException>(() => BaseImageInference.Infer(Inputs(family: family)));
        Assert.Equal(ErrorCodes.InvalidContainerFamily, error.Code);
        Assert.Contains(family, error.Message);
    }

    /// <summary>
    /// Runs the SDK's own ComputeContainerBaseImage target on scratch projects and compares with <see cref="BaseImageInference.Infer"/>
    /// given the inputs that same evaluation computed, so that a change of the rules in a newer SDK shows up here.
    /// </summary>
    [Fact]
    public async Task The_installed_SDK_still_infers_what_Infer_infers()
    {
        using var scratch = new TempDirectory("ct-base-image-");
        File.WriteAllText(scratch["console.csproj"],
            "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>");
        File.WriteAllText(scratch["web.csproj"],
            "<Project Sdk=\"Microsoft.NET.Sdk.Web\"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>");

        (string Project, string[] Properties)[] cases =
        [
            ("web.csproj", ["TargetFramework=net10.0"]),
            ("console.csproj", ["TargetFramework=net10.0", "PublishAot=true", "RuntimeIdentifier=linux-musl-x64"]),
            ("console.csproj", ["TargetFramework=net8.0", "ContainerFamily=noble-chiseled"]),
            ("console.csproj", ["TargetFramework=net8.0", "NETCoreSdkVersion=8.0.100-preview.7.23376.3", "PublishAot=true", "RuntimeIdentifier=linux-x64"]),
        ];
        var results = await Task.WhenAll(cases.Select(c => Task.Run(() => EvaluateWithTheSdk(scratch.Path, c.Project, c.Properties))));

        var mismatches = new List<string>();
        for (int i = 0; i < cases.Length; i++)
        {
            var (inputs, sdkResult) = results[i];
            string ours = BaseImageInference.Infer(inputs);
            if (ours != sdkResult)
            {
                mismatches.Add($"{cases[i].Project} -p:{string.Join(" -p:", cases[i].Properties)}: SDK {inputs.SdkVersion} infers {sdkResult}, Infer gives {ours} for {inputs}");
            }
        }
        Assert.True(mismatches.Count == 0, "The SDK's base image inference changed:\n" + string.Join("\n", mismatches));
        // The cases are chosen to cover each branch; make sure they still do (an SDK that ignored them would pass vacuously).
        Assert.Equal(["mcr.microsoft.com/dotnet/aspnet:10.0", "mcr.microsoft.com/dotnet/runtime-deps:10.0-alpine-extra",
            "mcr.microsoft.com/dotnet/runtime:8.0-noble-chiseled-extra", "mcr.microsoft.com/dotnet/runtime-deps:8.0.0-preview.7-jammy-chiseled-extra"],
            results.Select(r => r.SdkResult));
    }

    private static (BaseImageInputs Inputs, string SdkResult) EvaluateWithTheSdk(string directory, string project, string[] properties)
    {
        string[] outputs = ["ContainerBaseImage", "NETCoreSdkVersion", "_TargetFrameworkVersionWithoutV", "_ContainerIsSelfContained",
            "PublishAot", "PublishTrimmed", "InvariantGlobalization", "ContainerRuntimeIdentifier", "ContainerFamily"];
        var start = new ProcessStartInfo(Tools.Require("dotnet"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (string argument in new[] { "msbuild", project, "-nologo", "-nodeReuse:false", "-t:ComputeContainerBaseImage", "-getItem:FrameworkReference" }
            .Concat(outputs.Select(p => "-getProperty:" + p))
            .Concat(properties.Select(p => "-p:" + p)))
        {
            start.ArgumentList.Add(argument);
        }
        // Under `dotnet test` the MSBuild of the test run leaks its settings into the environment; start clean.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet msbuild {project} did not finish in 90 s.");
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"dotnet msbuild {project} exited with {process.ExitCode}.\nstdout:\n{stdout.Result}\nstderr:\n{stderr.Result}");
        }

        using var json = JsonDocument.Parse(stdout.Result);
        JsonElement values = json.RootElement.GetProperty("Properties");
        string Property(string name) => values.GetProperty(name).GetString() ?? "";
        bool Flag(string name) => string.Equals(Property(name), "true", StringComparison.OrdinalIgnoreCase);
        var frameworks = json.RootElement.GetProperty("Items").GetProperty("FrameworkReference").EnumerateArray()
            .Select(i => i.GetProperty("Identity").GetString()!).ToList();
        var inputs = new BaseImageInputs(Property("NETCoreSdkVersion"), Property("_TargetFrameworkVersionWithoutV"), frameworks,
            Property("ContainerRuntimeIdentifier"), Flag("_ContainerIsSelfContained"), Flag("PublishAot"), Flag("PublishTrimmed"),
            Flag("InvariantGlobalization"), Property("ContainerFamily") is { Length: > 0 } family ? family : null);
        return (inputs, Property("ContainerBaseImage"));
    }
}
