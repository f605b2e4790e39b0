using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

[Collection(EngineImageCollection.Name)]
public sealed class WebSampleTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>
{
    [Fact]
    public async Task The_web_sample_serves_its_api_and_wwwroot_from_the_container()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "aspnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloWeb", dir["web"]);
        feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}"]).EnsureSuccess("dotnet publish HelloWeb");

        string layout = dir["layout"];
        Run.Process("skopeo", ["copy", "--src-tls-verify=false", $"docker://{server.Reference("samples/hello-web:latest")}", $"oci:{layout}:r"]).EnsureSuccess("skopeo copy");
        string config = Run.Checked("skopeo", "inspect", "--config", $"oci:{layout}:r");
        var exposed = JsonDocument.Parse(config).RootElement.GetProperty("config").GetProperty("ExposedPorts");
        Assert.True(exposed.TryGetProperty("8080/tcp", out _), "the port from ASPNETCORE_HTTP_PORTS was not exposed");

        int port = FreePort();
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { Path.Combine(Repo.Root, "build", "testimages", "run-image.sh"), "--network", "host", "--env", $"ASPNETCORE_HTTP_PORTS={port}", $"oci:{layout}:r" })
        {
            start.ArgumentList.Add(arg);
        }
        using Process container = Process.Start(start)!;
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
            string? index = null;
            for (int i = 0; i < 120 && index is null; i++)
            {
                try
                {
                    index = await client.GetStringAsync("/");
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(250);
                }
            }
            Assert.True(index is not null, "the web app did not answer within 30 s: " + (container.HasExited ? await container.StandardError.ReadToEndAsync() : "still running"));
            Assert.Contains("Served from wwwroot inside the container.", index);
            Assert.Contains("font-family", await client.GetStringAsync("/site.css"));
            using var api = JsonDocument.Parse(await client.GetStringAsync("/api/hello"));
            Assert.True(api.RootElement.GetProperty("inContainer").GetBoolean());
            Assert.Equal("app (1654)", api.RootElement.GetProperty("user").GetString());
        }
        finally
        {
            // SIGTERM lets run-image.sh remove the container and its bundle.
            Run.Process("kill", ["-TERM", container.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (!container.WaitForExit(20_000))
            {
                container.Kill(entireProcessTree: true);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public class PackageShapeTests : IClassFixture<PackageFeed>
{
    private readonly PackageFeed _feed;

    public PackageShapeTests(PackageFeed feed) => _feed = feed;

    [Fact]
    public void The_package_holds_the_targets_and_precompiled_task_assemblies_for_the_msbuild_of_sdk_8_9_and_10()
    {
        using var dir = new TempDirectory();
        string nupkg = Path.Combine(_feed.FeedDirectory, $"ContainerTasks.{_feed.Version}.nupkg");
        System.IO.Compression.ZipFile.ExtractToDirectory(nupkg, dir.Path);
        string[] frameworks = ["net8.0", "net9.0", "net10.0"];
        foreach (string file in new[] { "build/ContainerTasks.props", "build/ContainerTasks.targets", "buildMultiTargeting/ContainerTasks.props", "buildMultiTargeting/ContainerTasks.targets" }
                     .Concat(frameworks.SelectMany(f => new[] { $"tasks/{f}/ContainerTasks.MSBuild.dll", $"tasks/{f}/ContainerTasks.Core.dll" })))
        {
            Assert.True(File.Exists(Path.Combine(dir.Path, file)), $"{file} is missing from the package");
        }
        Assert.Equal(frameworks.Append("cloud").Order(), Directory.EnumerateDirectories(Path.Combine(dir.Path, "tasks")).Select(Path.GetFileName).Order()!);
        // The clouds' identity libraries, once for every framework, without a second copy of the core (the host's is shared).
        foreach (string library in new[] { "ContainerTasks.Cloud.dll", "Azure.Core.dll", "Azure.Identity.dll", "AWSSDK.Core.dll", "AWSSDK.SecurityToken.dll", "Google.Apis.Auth.dll" })
        {
            Assert.True(File.Exists(Path.Combine(dir.Path, "tasks", "cloud", library)), $"tasks/cloud/{library} is missing from the package");
        }
        Assert.False(File.Exists(Path.Combine(dir.Path, "tasks", "cloud", "ContainerTasks.Core.dll")));
        Assert.DoesNotContain(Directory.EnumerateFiles(dir.Path, "*.dll", SearchOption.AllDirectories), f => Path.GetFileName(f).StartsWith("Microsoft.Build", StringComparison.Ordinal));
        string nuspec = File.ReadAllText(Directory.EnumerateFiles(dir.Path, "*.nuspec").Single());
        Assert.Contains("<developmentDependency>true</developmentDependency>", nuspec);
        Assert.DoesNotContain("<dependency ", nuspec);

        foreach (string framework in frameworks)
        {
            int major = int.Parse(framework[3..framework.IndexOf('.')], System.Globalization.CultureInfo.InvariantCulture);
            foreach (string assembly in Directory.EnumerateFiles(Path.Combine(dir.Path, "tasks", framework), "*.dll"))
            {
                using var stream = File.OpenRead(assembly);
                using var pe = new PEReader(stream);
                // ReadyToRun: precompiled code next to the IL (a managed native header).
                Assert.True(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, $"{framework}/{Path.GetFileName(assembly)} is not ReadyToRun");
                MetadataReader metadata = pe.GetMetadataReader();
                foreach (AssemblyReferenceHandle handle in metadata.AssemblyReferences)
                {
                    AssemblyReference reference = metadata.GetAssemblyReference(handle);
                    string name = metadata.GetString(reference.Name);
                    Version version = reference.Version;
                    if (name.StartsWith("Microsoft.Build", StringComparison.Ordinal))
                    {
                        // MSBuild's assemblies keep version 15.1.0.0 across 17.x; anything else means a newer MSBuild API.
                        Assert.True(version <= new Version(15, 1, 0, 0), $"{Path.GetFileName(assembly)} references {name} {version}");
                    }
                    else if (name is "System.Runtime" or "netstandard" || name.StartsWith("System.", StringComparison.Ordinal))
                    {
                        // Each folder's assemblies run on that folder's runtime (the core is one .NET 8 library for all).
                        Assert.True(version.Major <= major,
                            $"{framework}/{Path.GetFileName(assembly)} references {name} {version}, newer than .NET {major}");
                    }
                    else
                    {
                        Assert.Contains(name, new[] { "ContainerTasks.Core", "Microsoft.Win32.Primitives" });
                    }
                }
            }
        }
    }

    [Fact]
    public void A_multi_targeted_project_asks_for_a_framework_instead_of_falling_back_to_the_sdk_targets()
    {
        using var dir = new TempDirectory();
        string project = _feed.CopySample("HelloContainer", dir["app"]);
        File.WriteAllText(project, File.ReadAllText(project).Replace("<TargetFramework>net10.0</TargetFramework>", "<TargetFrameworks>net10.0;net9.0</TargetFrameworks>", StringComparison.Ordinal));
        _feed.Dotnet(["restore", project, $"-p:ContainerTasksVersion={_feed.Version}"]).EnsureSuccess("restore");
        var result = _feed.Dotnet(["msbuild", project, "-t:PublishContainer", $"-p:ContainerTasksVersion={_feed.Version}"]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error CT4116", result.StandardOutput);
        Assert.Contains("-f net10.0", result.StandardOutput);
        Assert.DoesNotContain("CONTAINER", result.StandardOutput);
    }
}
