using ContainerTasks.Model;
using ContainerTasks.Supply;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>The projects the SBOM tests restore and publish, and our SBOM inputs from their assets files.</summary>
internal static class SbomProjects
{
    /// <summary>Our SBOM inputs from the project's <c>obj/project.assets.json</c> and the publish's runtimeconfig and deps.json, as the publish builds them.</summary>
    public static SbomInputs InputsOf(string projectDir, string name, string tfm, string? rid, string runtimeConfig, SbomBaseImage? baseImage)
    {
        string depsJson = Path.Combine(Path.GetDirectoryName(runtimeConfig)!, name + ".deps.json");
        var graph = AssetsFile.Read(Path.Combine(projectDir, "obj", "project.assets.json"), tfm, rid).Published(DepsFile.Packages(depsJson));
        return new SbomInputs(name, "1.0.0", tfm, rid, Platform.LinuxAmd64, graph.Packages, graph.ProjectReferences,
            RuntimeFrameworks.Read(runtimeConfig), baseImage, SbomInputs.CreationTime("1700000000"), "0.0.0-test");
    }

    public static void Publish(string project, string output, params string[] extra)
    {
        Run.Process("dotnet", ["publish", project, "-c", "Release", "-o", output, "-nologo", "-v:q", "--disable-build-servers", .. extra],
                environment: new Dictionary<string, string?> { ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0" },
                timeout: TimeSpan.FromMinutes(5))
            .EnsureSuccess($"dotnet publish {project}");
    }

    /// <summary>An ASP.NET Core app <c>Web</c> with Serilog, Swashbuckle and a project reference <c>Lib</c>.</summary>
    public static void WriteWebApp(TempDirectory dir)
    {
        Directory.CreateDirectory(dir["Lib"]);
        Directory.CreateDirectory(dir["Web"]);
        File.WriteAllText(dir["Lib/Lib.csproj"], """<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>""");
        File.WriteAllText(dir["Lib/Greeter.cs"], "namespace Lib; public static class Greeter { public static string Hello() => \"hello\"; }");
        File.WriteAllText(dir["Web/Web.csproj"], """
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Serilog.AspNetCore" Version="10.0.0" />
                <PackageReference Include="Swashbuckle.AspNetCore" Version="10.1.0" />
                <ProjectReference Include="../Lib/Lib.csproj" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(dir["Web/Program.cs"], """
            using Serilog;
            var builder = WebApplication.CreateBuilder(args);
            builder.Host.UseSerilog((_, c) => c.WriteTo.Console());
            builder.Services.AddSwaggerGen();
            var app = builder.Build();
            app.UseSwagger();
            app.MapGet("/", () => Lib.Greeter.Hello());
            app.Run();
            """);
    }

    /// <summary>Copies a project folder without its bin and obj, so the restore and build are the test's own.</summary>
    public static void CopyFolder(string source, string destination)
    {
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(source, file);
            if (relative.StartsWith("bin", StringComparison.Ordinal) || relative.StartsWith("obj", StringComparison.Ordinal))
            {
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(destination, relative))!);
            File.Copy(file, Path.Combine(destination, relative));
        }
    }
}
