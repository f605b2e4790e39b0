using System.Text.Json;
using System.Text.RegularExpressions;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// A newcomer's first hour: install from the feed, publish, make the usual mistakes, read the output. Every publish
/// builds on <c>scratch</c> (nothing to pull) and reads what the console and the terminal logger print.
/// </summary>
[Collection(EngineImageCollection.Name)]
public sealed class FirstHourTests(PackageFeed feed, HttpRegistryFixture http) : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>
{
    private const string Digest = "sha256:[0-9a-f]{64}";

    private ProcessResult Publish(string project, IEnumerable<string> extra, IDictionary<string, string?>? environment = null)
        => feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            "-p:ContainerBaseImage=scratch", .. extra], environment);

    // `dotnet msbuild -t:PublishContainer -p:NoBuild=true`, as docs/properties.md writes it (Release: what `dotnet publish` built).
    private ProcessResult ImageOnly(string project, params string[] extra)
        => feed.Dotnet(["msbuild", project, "-t:PublishContainer", "-p:NoBuild=true", "-p:Configuration=Release", $"-p:ContainerTasksVersion={feed.Version}",
            "-p:ContainerBaseImage=scratch", .. extra]);


    [Fact]
    public void The_package_carries_its_readme_and_docs_and_an_error_links_to_its_row_in_the_packaged_errors_page()
    {
        using var dir = new TempDirectory();
        System.IO.Compression.ZipFile.ExtractToDirectory(Path.Combine(feed.FeedDirectory, $"ContainerTasks.{feed.Version}.nupkg"), dir["package"]);
        string nuspec = File.ReadAllText(Directory.EnumerateFiles(dir["package"], "*.nuspec").Single());
        Assert.Contains("<readme>README.md</readme>", nuspec);
        Assert.Contains("dotnet add package ContainerTasks --prerelease", File.ReadAllText(dir["package/README.md"]));
        Assert.Contains("<a id=\"ct4109\"></a>", File.ReadAllText(dir["package/docs/errors.md"]));
        // No made-up address: a project URL only when the package was packed from a clone with a remote.
        Assert.DoesNotContain("<projectUrl>", nuspec);

        string project = feed.CopySample("HelloContainer", dir["app"]);
        // The terminal logger renders an error's help link as a hyperlink on its code: the packaged page, this version's.
        var result = Publish(project, ["-p:ContainerImageFormat=Zip", "-tl:on"]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("CT4109", result.StandardOutput);
        string installed = Path.Combine(feed.PackagesDirectory, "containertasks", feed.Version, "docs", "errors.md");
        Assert.True(File.Exists(installed), installed);
        Assert.Contains(new Uri(installed).AbsoluteUri + "#ct4109", result.StandardOutput);
    }

    [Fact]
    public void Clean_removes_the_files_a_publish_wrote_in_obj_and_a_later_build_leaves_them()
    {
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        string obj = dir["app/obj/Release/net10.0"];
        var result = Publish(project, [$"-p:ContainerArchiveOutputPath={obj}/images/"]);
        result.EnsureSuccess("dotnet publish to an archive in obj");
        // A folder gets a plain tar: its layers are gzipped already.
        string[] written = [Path.Combine(obj, "images", "samples-hello-container.tar"), Path.Combine(obj, "container", "image.json")];
        Assert.All(written, f => Assert.True(File.Exists(f), $"{f} missing:\n{result.StandardOutput}"));

        // The next build's IncrementalClean must not take the image away...
        feed.Dotnet(["build", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}"]).EnsureSuccess("dotnet build");
        Assert.All(written, f => Assert.True(File.Exists(f), $"{f} deleted by a build"));
        // ...but clean does.
        // A line planted in the list that names a file outside obj/ is not deleted.
        File.WriteAllText(dir["precious.txt"], "keep me");
        File.AppendAllLines(Path.Combine(obj, "container", "FileWrites.txt"), [dir["precious.txt"]]);
        feed.Dotnet(["clean", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}"]).EnsureSuccess("dotnet clean");
        Assert.All(written, f => Assert.False(File.Exists(f), $"{f} left by dotnet clean"));
        Assert.True(File.Exists(dir["precious.txt"]), "dotnet clean deleted a file outside obj/ named in FileWrites.txt");
    }

    [Fact]
    public void The_digest_for_scripts_comes_from_getProperty()
    {
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        var result = Publish(project, [$"-p:ContainerArchiveOutputPath={dir["out"]}/", "-getProperty:GeneratedContainerDigest"]);
        result.EnsureSuccess("dotnet publish -getProperty:GeneratedContainerDigest");
        Assert.Matches($"^{Digest}$", result.StandardOutput.Trim());
        Assert.Equal(PackageFeed.ImageJson(project).GetProperty("digest").GetString(), result.StandardOutput.Trim());
    }

    [Fact]
    public async Task Default_output_is_one_line_per_image_normal_shows_layers_credentials_and_retries_and_image_json_lists_layers()
    {
        const string password = "push-secret-0815";
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        await using var proxy = new FaultProxy(http.Server, FaultSchedule.Sequence(FaultKind.ServiceUnavailable));
        string repository = RegistryServer.NewRepository("first-hour");
        string[] args = [$"-p:ContainerRegistry={proxy.Host}", $"-p:ContainerRepository={repository}"];
        // The anonymous registry never asks for them: they are only found and named.
        var env = new Dictionary<string, string?> { ["DOTNET_CONTAINER_REGISTRY_UNAME"] = "ci-user", ["DOTNET_CONTAINER_REGISTRY_PWORD"] = password };

        var normal = Publish(project, [.. args, "-v:n"], env).EnsureSuccess("dotnet publish -v:n");
        // Built, or taken from the layer cache this class's other publishes of the sample share.
        Assert.Matches($@"Layer 1/2 app host: 1 file, [0-9.]+ KB, {Digest}, (built|unchanged \(from the layer cache\))\.", normal.StandardOutput);
        Assert.Matches($@"Layer 2/2 app: \d+ files, [0-9.]+ KB, {Digest}, (built|unchanged \(from the layer cache\))\.", normal.StandardOutput);
        Assert.Contains($"Credentials for {proxy.Host} (push): user 'ci-user' from environment DOTNET_CONTAINER_REGISTRY_UNAME/PWORD", normal.StandardOutput);
        Assert.Matches("503 Service Unavailable; retrying", normal.StandardOutput);
        Assert.Matches($@"Uploaded {Digest} \([0-9.]+ KB\)", normal.StandardOutput);
        Assert.DoesNotContain(password, normal.StandardOutput + normal.StandardError);
        Assert.DoesNotContain("KiB", normal.StandardOutput);

        proxy.Schedule = FaultSchedule.Sequence(FaultKind.ServiceUnavailable);
        var minimal = Publish(project, args, env).EnsureSuccess("dotnet publish");
        string line = Assert.Single(minimal.StandardOutput.Split('\n'), l => l.Contains("@sha256:", StringComparison.Ordinal)).TrimEnd('\r');
        Assert.Matches($@"^  HelloContainer -> {Regex.Escape(proxy.Host)}/{repository}:latest@{Digest} \(2 layers, already in {Regex.Escape(proxy.Host)}, nothing pushed; SBOM, provenance attached\)$", line);
        Assert.DoesNotMatch("Layer 1/|retrying|Credentials for|Base image", minimal.StandardOutput);

        // The terminal logger shows only high-importance "Project -> output" lines, as the project's result.
        var terminal = Publish(project, [.. args, "-tl:on"], env).EnsureSuccess("dotnet publish -tl:on");
        Assert.Matches($@"HelloContainer.*succeeded.*→ .*{Regex.Escape(proxy.Host)}/{repository}:latest@{Digest}.*\(2 layers, already in", terminal.StandardOutput);

        JsonElement layers = PackageFeed.ImageJson(project).GetProperty("platforms")[0].GetProperty("layers");
        Assert.Equal(["app host", "app"], layers.EnumerateArray().Select(l => l.GetProperty("name").GetString()));
        Assert.All(layers.EnumerateArray(), l =>
        {
            Assert.Matches($"^{Digest}$", l.GetProperty("digest").GetString());
            Assert.True(l.GetProperty("size").GetInt64() > 0);
            Assert.Equal("cache", l.GetProperty("source").GetString());
        });
    }

    [Fact]
    public void Usual_mistakes_get_messages_that_name_the_property_and_the_fix()
    {
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}"]).EnsureSuccess("dotnet publish");

        var scheme = ImageOnly(project, "-p:ContainerRegistry=http://localhost:5000");
        Assert.NotEqual(0, scheme.ExitCode);
        Assert.Contains("error CT4120: ContainerRegistry is 'http://localhost:5000', a URL. Give the registry host without the scheme: ContainerRegistry=localhost:5000.", scheme.StandardOutput);
        Assert.Contains("DOTNET_CONTAINER_INSECURE_REGISTRIES", scheme.StandardOutput);

        string repository = RegistryServer.NewRepository("both");
        var both = ImageOnly(project, $"-p:ContainerRegistry={http.Server.Host}", $"-p:ContainerRepository={repository}", $"-p:ContainerArchiveOutputPath={dir["out"]}/");
        both.EnsureSuccess("registry and archive");
        Assert.Contains("warning CT4119: Both ContainerRegistry", both.StandardOutput);
        Assert.DoesNotContain(http.Server.AccessLog(), e => e.Path.Contains(repository, StringComparison.Ordinal));
        byte[] plain = File.ReadAllBytes(Path.Combine(dir["out"], repository.Replace('/', '-') + ".tar"));
        Assert.False(plain[0] == 0x1f && plain[1] == 0x8b, "a folder's archive is a plain tar");
        ImageOnly(project, $"-p:ContainerArchiveOutputPath={dir["out/named.tar.gz"]}").EnsureSuccess("archive named .tar.gz");
        Assert.Equal([0x1f, 0x8b], File.ReadAllBytes(dir["out/named.tar.gz"])[..2]);

        File.WriteAllText(dir["app/Directory.Build.targets"], "<Project><ItemGroup><ContainerPort Include=\"http\" /></ItemGroup></Project>");
        var port = ImageOnly(project, $"-p:ContainerArchiveOutputPath={dir["out"]}/");
        Assert.Contains("error CT4114: ContainerPort 'http': 'http' is not a port.", port.StandardOutput);
        Assert.Contains("/udp", port.StandardOutput);
        Assert.DoesNotContain("(Type '')", port.StandardOutput);
    }

    [Fact]
    public void A_web_project_folders_nuget_config_with_feed_credentials_is_flagged_without_showing_the_secret()
    {
        const string secret = "feed-cleartext-2718";
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloWeb", dir["web"]);
        string nugetConfig = Path.Combine(dir["web"], "nuget.config");
        File.WriteAllText(nugetConfig, File.ReadAllText(nugetConfig).Replace("</configuration>", $"""
              <packageSourceCredentials>
                <private-feed>
                  <add key="Username" value="ci" />
                  <add key="ClearTextPassword" value="{secret}" />
                </private-feed>
              </packageSourceCredentials>
            </configuration>
            """, StringComparison.Ordinal));
        string[] archive = [$"-p:ContainerArchiveOutputPath={dir["out"]}/"];

        var warned = Publish(project, archive).EnsureSuccess("web publish with a nuget.config");
        Assert.Matches(@"warning CT4121: The image contains /app/nuget\.config \(NuGet feed credentials", warned.StandardOutput);
        Assert.Contains("<Content Update=\"nuget.config\" CopyToPublishDirectory=\"Never\" />", warned.StandardOutput);
        Assert.DoesNotContain(secret, warned.StandardOutput + warned.StandardError);

        var stopped = Publish(project, [.. archive, "-p:ContainerCredentialFileCheck=Error"]);
        Assert.NotEqual(0, stopped.ExitCode);
        Assert.Contains("error CT4121", stopped.StandardOutput);
        Assert.DoesNotContain(secret, stopped.StandardOutput + stopped.StandardError);

        // The fix the message gives works.
        File.WriteAllText(Path.Combine(dir["web"], "Directory.Build.targets"), "<Project><ItemGroup><Content Update=\"nuget.config\" CopyToPublishDirectory=\"Never\" /></ItemGroup></Project>");
        var fixedUp = Publish(project, [.. archive, "-p:ContainerCredentialFileCheck=Error"]).EnsureSuccess("web publish without the nuget.config");
        Assert.DoesNotContain("CT4121", fixedUp.StandardOutput);
    }

    // Random, so the layer is as big compressed: over TransferProgress.MinimumSize, about 10 s through a 4 MB/s link.
    private const int LargeFileBytes = 40_000_000;

    [Fact]
    public void Progress_of_a_large_layer_pushed_over_a_slow_link_shows_at_normal_verbosity_and_not_at_minimal()
    {
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        byte[] large = new byte[LargeFileBytes];
        new Random(13).NextBytes(large);
        File.WriteAllBytes(dir["app/large.bin"], large);
        File.WriteAllText(dir["app/Directory.Build.targets"], """<Project><ItemGroup><None Update="large.bin" CopyToPublishDirectory="PreserveNewest" /></ItemGroup></Project>""");
        using var relay = new ThrottledRelay(http.Server.Host, bytesPerSecond: 4_000_000);

        // The default verbosity: the layer goes up while it is compressed, and the output is still the result line alone;
        // the same build's log at -v:n (a file logger) counts the bytes of that upload, whose size is not known yet.
        string first = RegistryServer.NewRepository("progress");
        var minimal = Publish(project, [$"-p:ContainerRegistry={relay.Address}", $"-p:ContainerRepository={first}", "-fl", $"-flp:verbosity=normal;logfile={dir["normal.log"]}"])
            .EnsureSuccess("dotnet publish");
        Assert.Matches($@"HelloContainer -> {Regex.Escape(relay.Address)}/{first}:latest@{Digest} \(\d+ layers, pushed to ", minimal.StandardOutput);
        Assert.DoesNotMatch("Uploading|Uploaded|Pushed|MB/s", minimal.StandardOutput);
        Assert.Matches($@"Uploading a layer to {Regex.Escape(relay.Address)}/{first} while it is compressed: [0-9.]+ MB, [0-9.]+ MB/s", File.ReadAllText(dir["normal.log"]));

        // -v:n, to another repository: the layer comes from the layer cache, and the push uploads it, its size known.
        string second = RegistryServer.NewRepository("progress");
        var normal = ImageOnly(project, $"-p:ContainerRegistry={relay.Address}", $"-p:ContainerRepository={second}", "-v:n").EnsureSuccess("PublishContainer -v:n");
        string to = $"{Regex.Escape(relay.Address)}/{second}";
        var lines = Regex.Matches(normal.StandardOutput, $@"Uploading layer sha256:[0-9a-f]{{12}}\S* to {to}: [0-9.]+ MB of ([0-9.]+ MB) \((\d+)%\), [0-9.]+ MB/s\r?$",
            RegexOptions.Multiline);
        Assert.True(lines.Count >= 2, $"expected two progress lines or more:\n{normal.StandardOutput}");
        int[] percents = lines.Select(m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.True(percents.Zip(percents.Skip(1)).All(p => p.First < p.Second), $"percents not increasing: {string.Join(", ", percents)}");
        Assert.All(lines, m => Assert.Equal(lines[0].Groups[1].Value, m.Groups[1].Value));
        Assert.Matches($@"Pushed {to}:latest \({Digest}\) in \d+\.\d s: \d+ blobs uploaded \([0-9.]+ MB\), \d+ mounted, \d+ already there\.", normal.StandardOutput);
        Assert.DoesNotContain("\u001b[", normal.StandardOutput, StringComparison.Ordinal);
    }
}
