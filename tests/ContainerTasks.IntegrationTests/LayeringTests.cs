using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>The layer split on real publishes, and what a registry sees on no change and on a code change.</summary>
[Collection(ImageCollection.Name)]
public sealed class LayeringTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>
{
    /// <summary>A self-contained web app with a stable package, a prerelease package, a project reference and wwwroot.</summary>
    private string CreateWebApp(TempDirectory dir)
    {
        Directory.CreateDirectory(dir["Lib"]);
        File.WriteAllText(dir["Lib/Lib.csproj"], """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
            </Project>
            """);
        File.WriteAllText(dir["Lib/Greeter.cs"], "namespace Lib; public static class Greeter { public static string Hello() => \"hello from a project reference\"; }");
        Directory.CreateDirectory(dir["Web/wwwroot/css"]);
        File.WriteAllText(dir["Web/Web.csproj"], $$"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <ContainerRepository>layering/web</ContainerRepository>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="ContainerTasks" Version="{{feed.Version}}" PrivateAssets="all" />
                <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />
                <PackageReference Include="System.CommandLine" Version="2.0.0-beta4.22272.1" />
                <ProjectReference Include="../Lib/Lib.csproj" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(dir["Web/Program.cs"], """
            var app = WebApplication.CreateBuilder(args).Build();
            app.UseStaticFiles();
            app.MapGet("/", () => Lib.Greeter.Hello() + Newtonsoft.Json.JsonConvert.SerializeObject(new System.CommandLine.RootCommand("x").Description));
            app.Run();
            """);
        File.WriteAllText(dir["Web/wwwroot/index.html"], "<h1>static</h1>");
        File.WriteAllText(dir["Web/wwwroot/css/site.css"], "body{}");
        File.WriteAllText(dir["nuget.config"], $"""
            <configuration><packageSources><add key="containertasks-test" value="{feed.FeedDirectory}" /></packageSources></configuration>
            """);
        File.WriteAllText(dir["Directory.Build.props"], "<Project />");
        return dir["Web/Web.csproj"];
    }

    [Fact]
    public void Each_published_file_lands_in_the_layer_of_its_kind_and_every_file_in_exactly_one()
    {
        using var dir = new TempDirectory();
        string project = CreateWebApp(dir);
        var result = feed.Dotnet(["publish", project, "-c", "Release", "-r", "linux-x64", "--self-contained", "-p:PublishContainer=true",
            "-p:ContainerBaseImage=scratch", $"-p:ContainerArchiveOutputPath={dir["image.tar"]}"]);
        result.EnsureSuccess("dotnet publish of the layered web app");
        string publish = dir["Web/bin/Release/net10.0/linux-x64/publish"];

        var layers = ReadDockerArchive(dir["image.tar"]);
        var where = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, files) in layers)
        {
            foreach (string file in files)
            {
                Assert.False(where.ContainsKey(file), $"{file} is in both '{where.GetValueOrDefault(file)}' and '{name}'");
                where[file] = name;
            }
        }
        var published = Directory.EnumerateFiles(publish, "*", SearchOption.AllDirectories)
            .Select(f => "app/" + Path.GetRelativePath(publish, f).Replace('\\', '/')).Order().ToList();
        Assert.Equal(published, where.Keys.Order().ToList());

        Assert.Equal(".NET runtime", where["app/libcoreclr.so"]);
        Assert.Equal(".NET runtime", where["app/System.Private.CoreLib.dll"]);
        Assert.Equal(".NET runtime", where["app/Microsoft.AspNetCore.dll"]);
        Assert.Equal("app host", where["app/Web"]);
        Assert.Equal("NuGet packages", where["app/Newtonsoft.Json.dll"]);
        Assert.Equal("prerelease NuGet packages", where["app/System.CommandLine.dll"]);
        Assert.Equal("project references", where["app/Lib.dll"]);
        Assert.Equal("static web assets", where["app/wwwroot/index.html"]);
        Assert.Equal("static web assets", where["app/wwwroot/css/site.css"]);
        Assert.Equal("app", where["app/Web.dll"]);
        Assert.Equal(["NET runtime", "app host", "NuGet packages", "prerelease NuGet packages", "project references", "static web assets", "app"],
            layers.Select(l => l.Name.TrimStart('.')).ToList());
    }

    [Fact]
    public async Task No_change_uploads_nothing_a_code_change_uploads_one_layer_and_a_fresh_clone_recompresses_nothing()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["first"]);
        string repository = RegistryServer.NewRepository("incremental");
        // ContinuousIntegrationBuild maps source paths, so a clone elsewhere compiles to the same bytes (as CI builds do).
        string[] Publish(string proj) => ["publish", proj, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}", $"-p:ContainerRepository={repository}", "-p:ContinuousIntegrationBuild=true", "-v:d"];
        void Git(string directory, params string[] args) => Run.Process("git", ["-C", directory, "-c", "user.email=test@example.invalid", "-c", "user.name=test", .. args]).EnsureSuccess("git " + string.Join(' ', args));
        File.WriteAllText(Path.Combine(dir["first"], ".gitignore"), "bin/\nobj/\n");
        Git(dir["first"], "init", "-q");
        Git(dir["first"], "add", "-A");
        Git(dir["first"], "commit", "-qm", "first");
        var env = new Dictionary<string, string?> { ["CONTAINERTASKS_CACHE"] = dir["cache"] };

        feed.Dotnet(Publish(project), env).EnsureSuccess("first publish");
        int mark = server.AccessLog().Count;
        var again = feed.Dotnet(Publish(project), env).EnsureSuccess("publish with no change");
        var noChange = server.AccessLog().Skip(mark).Where(e => e.Path.Contains(repository, StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(noChange, e => e.Method is "PUT" or "PATCH" or "POST");
        Assert.Contains("Layers compressed: 0.", again.StandardOutput);

        File.WriteAllText(Path.Combine(dir["first"], "Program.cs"), File.ReadAllText(Path.Combine(dir["first"], "Program.cs")).Replace("Hello from", "Hi from", StringComparison.Ordinal));
        mark = server.AccessLog().Count;
        var changed = feed.Dotnet(Publish(project), env).EnsureSuccess("publish after a code change");
        // The image's requests: the SBOM and provenance attached after it are checked in SupplyChainPublishTests.
        var codeChange = server.AccessLog().Skip(mark).Where(e => e.Path.Contains(repository, StringComparison.Ordinal) && !PackageFeed.IsDocumentRequest(e, project)).ToList();
        var uploads = codeChange.Where(e => e.Method == "PUT" && e.Path.Contains("/blobs/uploads/", StringComparison.Ordinal) && e.Status == 201).ToList();
        Assert.Equal(2, uploads.Count); // the app layer and the config
        Assert.Single(codeChange, e => e.Method == "PUT" && e.Path.Contains("/manifests/", StringComparison.Ordinal));
        Assert.Contains("Layers compressed: 1.", changed.StandardOutput);

        // A fresh clone of the project (no bin/ or obj/) with the same content cache: nothing to compress, nothing to upload.
        Git(dir["first"], "commit", "-qam", "code change");
        feed.Dotnet(Publish(project), env).EnsureSuccess("publish of the commit");
        Run.Process("git", ["clone", "-q", dir["first"], dir["clone"]]).EnsureSuccess("git clone");
        string clone = Path.Combine(dir["clone"], "HelloContainer.csproj");
        mark = server.AccessLog().Count;
        var fresh = feed.Dotnet(Publish(clone), env).EnsureSuccess("publish of a fresh clone");
        Assert.Contains("Layers compressed: 0.", fresh.StandardOutput);
        Assert.DoesNotContain(server.AccessLog().Skip(mark), e => e.Path.Contains(repository, StringComparison.Ordinal) && e.Method is "PUT" or "PATCH" or "POST");
        string[] output = TestImage.RunImage(await PullAsync(server, repository, dir.Path));
        Assert.Equal("Hi from a container built without a daemon!", output[0]);
    }

    private static Task<string> PullAsync(RegistryServer server, string repository, string scratch)
    {
        string layout = Path.Combine(scratch, "pulled");
        Run.Process("skopeo", ["copy", "--src-tls-verify=false", $"docker://{server.Reference(repository + ":latest")}", $"oci:{layout}:p"]).EnsureSuccess("skopeo copy");
        return Task.FromResult($"oci:{layout}:p");
    }

    /// <summary>Each layer of a docker archive: its history name and the regular files in it.</summary>
    [Fact]
    public void Clean_publishes_at_two_paths_with_empty_caches_give_the_same_image_and_web_apps_differ_only_by_their_file_times()
    {
        using var dir = new TempDirectory();
        // A clean publish (no bin/, obj/ or cache) of the project at PATH, as CI builds: the image's layer digests.
        List<string> Publish(string project, string name, params string[] extra)
        {
            string archive = dir[$"{name}.tar"];
            feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true", "-p:ContainerBaseImage=scratch",
                    $"-p:ContainerArchiveOutputPath={archive}", "-p:ContinuousIntegrationBuild=true", .. extra],
                new Dictionary<string, string?> { ["CONTAINERTASKS_CACHE"] = dir[$"cache-{name}"] }).EnsureSuccess($"clean publish {name}");
            using var extracted = new TempDirectory();
            Run.Checked("tar", "-xf", archive, "-C", extracted.Path);
            using var manifest = JsonDocument.Parse(File.ReadAllText(extracted["manifest.json"]));
            return [.. manifest.RootElement[0].GetProperty("Layers").EnumerateArray().Select(l => l.GetString()!), manifest.RootElement[0].GetProperty("Config").GetString()!];
        }
        // CI builds a git checkout: ContinuousIntegrationBuild maps the repository's root (SourceRoot) to /_/.
        static void Commit(string root)
        {
            File.WriteAllText(Path.Combine(root, ".gitignore"), "bin/\nobj/\n");
            // One commit time for both checkouts: the same content is then the same commit, whose id SourceLink writes into
            // every assembly's informational version (two commits a second apart made the project reference's DLL differ).
            var fixedTime = new Dictionary<string, string?> { ["GIT_AUTHOR_DATE"] = "2024-01-01T00:00:00Z", ["GIT_COMMITTER_DATE"] = "2024-01-01T00:00:00Z" };
            foreach (string[] args in new[] { new[] { "init", "-q", "-b", "main" }, ["add", "-A"], ["commit", "-qm", "checkout"] })
            {
                Run.Process("git", ["-C", root, "-c", "user.email=test@example.invalid", "-c", "user.name=test", .. args], environment: fixedTime).EnsureSuccess("git " + args[0]);
            }
        }
        static void SetTimes(string root, DateTimeOffset time)
        {
            foreach (string file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/.git/", StringComparison.Ordinal)))
            {
                File.SetLastWriteTimeUtc(file, time.UtcDateTime);
            }
        }

        // The console sample at two paths: the same image, byte for byte.
        string consoleA = feed.CopySample("HelloContainer", dir["a/console"]);
        string consoleB = feed.CopySample("HelloContainer", dir["elsewhere/b/console"]);
        Commit(dir["a/console"]);
        Commit(dir["elsewhere/b/console"]);
        Assert.Equal(Publish(consoleA, "console-a"), Publish(consoleB, "console-b"));

        // A web app with wwwroot at two paths, checked out at different times: the SDK writes the times of the files
        // and of the compressed copies it makes during the build into <App>.staticwebassets.endpoints.json (its
        // Last-Modified headers), so the app layer (and the config) differ, and only those.
        using var webA = new TempDirectory();
        using var webB = new TempDirectory();
        string projectA = CreateWebApp(webA);
        string projectB = CreateWebApp(webB);
        Commit(webA.Path);
        Commit(webB.Path);
        SetTimes(webA.Path, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        SetTimes(webB.Path, DateTimeOffset.FromUnixTimeSeconds(1_600_000_000));
        List<string> a = Publish(projectA, "web-a");
        List<string> b = Publish(projectB, "web-b");
        Assert.Equal(a.Count, b.Count);
        var differing = Enumerable.Range(0, a.Count).Where(i => a[i] != b[i]).ToList();
        Assert.Equal([a.Count - 2, a.Count - 1], differing);   // the top (app) layer and the config

        // The recipe of docs/layering.md: the checkout's files at one time, and no build-time compressed copies.
        SetTimes(webB.Path, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        foreach (TempDirectory web in new[] { webA, webB })
        {
            foreach (string folder in new[] { "Web/bin", "Web/obj", "Lib/bin", "Lib/obj" })
            {
                Directory.Delete(web[folder], recursive: true);
            }
        }
        Assert.Equal(Publish(projectA, "web-a-recipe", "-p:CompressionEnabled=false"), Publish(projectB, "web-b-recipe", "-p:CompressionEnabled=false"));
    }

    private static List<(string Name, List<string> Files)> ReadDockerArchive(string path)
    {
        using var dir = new TempDirectory();
        Run.Checked("tar", "-xf", path, "-C", dir.Path);
        using var manifest = JsonDocument.Parse(File.ReadAllText(dir["manifest.json"]));
        JsonElement image = manifest.RootElement[0];
        using var config = JsonDocument.Parse(File.ReadAllText(dir[image.GetProperty("Config").GetString()!]));
        var history = config.RootElement.GetProperty("history").EnumerateArray().Where(h => !h.TryGetProperty("empty_layer", out var e) || !e.GetBoolean()).ToList();
        var result = new List<(string, List<string>)>();
        int index = 0;
        foreach (JsonElement layer in image.GetProperty("Layers").EnumerateArray())
        {
            string createdBy = history[index++].GetProperty("created_by").GetString()!;
            string name = createdBy.Replace("ContainerTasks: COPY ", "", StringComparison.Ordinal).Replace(" /app/", "", StringComparison.Ordinal);
            var files = new List<string>();
            using var gzip = new GZipStream(File.OpenRead(dir[layer.GetString()!]), CompressionMode.Decompress);
            using var reader = new TarReader(gzip);
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is TarEntryType.RegularFile)
                {
                    files.Add(entry.Name);
                }
            }
            result.Add((name, files));
        }
        return result;
    }
}
