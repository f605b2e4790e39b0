namespace ContainerTasks.Tests.Infrastructure;

/// <summary>
/// Another vendor's MSBuild task built against older versions of the clouds' libraries than the package ships
/// (AWSSDK.Core 3.7, Azure.Identity 1.10 with Azure.Core 1.36, Google.Apis.Auth 1.68). A project that runs it before its
/// container publish has those versions loaded in the same MSBuild process first, as a build with other vendors' tasks
/// does; with <c>MSBUILDSINGLELOADCONTEXT=1</c> MSBuild loads every task assembly, and so those libraries, into the
/// default load context, where a package that did not load its own copies in a context of its own would get them.
/// Built once per test process.
/// </summary>
public static class NeighbourCloudTask
{
    /// <summary>The versions the neighbour loads, as its log lines print them.</summary>
    public static readonly string[] Versions = ["AWSSDK.Core 3.3.0.0", "Azure.Identity 1.10.2.0", "Azure.Core 1.36.0.0", "Google.Apis.Auth 1.68.0.0"];

    private static readonly TempDirectory Folder = new("ct-neighbour-");
    private static readonly Lazy<string> Assembly = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Makes the project in <paramref name="projectFolder"/> run the neighbour's task after its build, in the same
    /// process as the publish (a Directory.Build.targets).
    /// </summary>
    public static void AddTo(string projectFolder)
    {
        File.WriteAllText(Path.Combine(projectFolder, "Directory.Build.targets"), $"""
            <Project>
              <UsingTask TaskName="Neighbour.UseOtherCloudLibraries" AssemblyFile="{Assembly.Value}" />
              <Target Name="RunNeighbourTask" AfterTargets="Build">
                <UseOtherCloudLibraries />
              </Target>
            </Project>
            """);
    }

    /// <summary>The environment that makes MSBuild load task assemblies into the default load context.</summary>
    public static Dictionary<string, string?> SingleLoadContext() => new() { ["MSBUILDSINGLELOADCONTEXT"] = "1" };

    private static string Build()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Folder.Dispose();
        File.WriteAllText(Folder["Neighbour.csproj"], """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net8.0</TargetFramework>
                <CopyLocalLockFileAssemblies>true</CopyLocalLockFileAssemblies>
                <SuppressTfmSupportBuildWarnings>true</SuppressTfmSupportBuildWarnings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.Build.Utilities.Core" Version="17.8.43" ExcludeAssets="runtime" />
                <PackageReference Include="AWSSDK.Core" Version="3.7.402" />
                <PackageReference Include="Azure.Identity" Version="1.10.2" />
                <PackageReference Include="Google.Apis.Auth" Version="1.68.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Folder["UseOtherCloudLibraries.cs"], """
            using System;
            using System.IO;
            using System.Reflection;
            using System.Runtime.CompilerServices;
            using System.Runtime.Loader;
            using Microsoft.Build.Framework;

            namespace Neighbour;

            public sealed class UseOtherCloudLibraries : Microsoft.Build.Utilities.Task
            {
                public override bool Execute()
                {
                    // As many tasks written for one load context do: their dependencies come from their own folder, by LoadFrom.
                    AppDomain.CurrentDomain.AssemblyResolve += (_, e) =>
                    {
                        string candidate = Path.Combine(Path.GetDirectoryName(typeof(UseOtherCloudLibraries).Assembly.Location)!, new AssemblyName(e.Name).Name + ".dll");
                        return File.Exists(candidate) ? Assembly.LoadFrom(candidate) : null;
                    };
                    UseThem();
                    return true;
                }

                [MethodImpl(MethodImplOptions.NoInlining)]
                private void UseThem()
                {
                    var aws = new Amazon.Runtime.BasicAWSCredentials("AKIDNEIGHBOUR", "neighbour-secret").GetCredentials();
                    var azure = new Azure.Identity.ClientSecretCredential("00000000-0000-0000-0000-000000000001", "client", "secret");
                    var google = Google.Apis.Auth.OAuth2.GoogleCredential.FromAccessToken("neighbour-token");
                    foreach (var type in new[] { aws.GetType(), azure.GetType(), typeof(Azure.Core.TokenCredential), google.GetType() })
                    {
                        var name = type.Assembly.GetName();
                        Log.LogMessage(MessageImportance.High, $"Neighbour loaded {name.Name} {name.Version} into '{AssemblyLoadContext.GetLoadContext(type.Assembly)?.Name}'");
                    }
                }
            }
            """);
        Run.Process("dotnet", ["build", Folder["Neighbour.csproj"], "-c", "Release", "-o", Folder["bin"], "-nologo", "-v:q", "--disable-build-servers"],
            environment: new Dictionary<string, string?> { ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0" },
            timeout: TimeSpan.FromMinutes(5)).EnsureSuccess("dotnet build of the neighbour task");
        return Folder["bin/Neighbour.dll"];
    }
}
