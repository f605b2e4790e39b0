using System.Text.Json;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>The package as users meet it: dotnet publish of the samples, against real registries, images run with runc.</summary>
[Collection(ImageCollection.Name)]
public sealed class PublishContainerTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http, TokenRegistryFixture token, Xunit.Abstractions.ITestOutputHelper testOutput)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>, IClassFixture<TokenRegistryFixture>
{
    private static readonly string[] ExpectedConsoleLines =
    [
        "  in container: true",
        "  user id:     1654",
        "  working dir: /app",
        "  greeting:    built by ContainerTasks",
    ];

    private string[] PublishArgs(string project, params string[] extra)
        => ["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", .. extra];

    private static string[] RunFromRegistry(RegistryServer server, string repositoryAndTag, string scratch)
    {
        string layout = Path.Combine(scratch, "run-" + Guid.NewGuid().ToString("N"));
        Run.Process("skopeo", ["copy", .. server.SkopeoOptions("src", RegistryUsers.Pusher), $"docker://{server.Reference(repositoryAndTag)}", $"oci:{layout}:r"],
            environment: server.ChildEnvironment).EnsureSuccess("skopeo copy");
        return TestImage.RunImage($"oci:{layout}:r");
    }


    [Fact]
    public async Task The_console_sample_publishes_with_the_property_pushes_and_runs_as_the_app_user()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        var result = feed.Dotnet(PublishArgs(project, "-p:PublishContainer=true", $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}",
            "-p:ContainerImageTags=1.0%3Blatest"));
        result.EnsureSuccess("dotnet publish -p:PublishContainer=true");
        Assert.Contains("samples/hello-container:1.0", result.StandardOutput);

        string[] output = RunFromRegistry(server, "samples/hello-container:1.0", dir.Path);
        Assert.Equal("Hello from a container built without a daemon!", output[0]);
        foreach (string line in ExpectedConsoleLines)
        {
            Assert.Contains(line, output);
        }
        JsonElement image = PackageFeed.ImageJson(project);
        Assert.Equal(server.Host, image.GetProperty("registry").GetString());
        Assert.Equal(["1.0", "latest"], image.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        string digest = image.GetProperty("digest").GetString()!;
        string tags = await (await server.CreateHttpClient().GetAsync("/v2/samples/hello-container/tags/list")).Content.ReadAsStringAsync();
        Assert.Contains("\"1.0\"", tags);
        Assert.Contains("\"latest\"", tags);
        // Nothing of ours lands in the publish folder (it would go into the next image).
        string publish = Path.Combine(dir["app"], "bin", "Release", "net10.0", "publish");
        Assert.DoesNotContain(Directory.EnumerateFiles(publish, "*", SearchOption.AllDirectories), f => f.EndsWith(".tar", StringComparison.Ordinal) || f.EndsWith(".tar.gz", StringComparison.Ordinal) || f.EndsWith("image.json", StringComparison.Ordinal));

        // The target form gives the same image: an archive whose manifest digest is the pushed one.
        var archive = feed.Dotnet(PublishArgs(project, "-t:PublishContainer", $"-p:ContainerArchiveOutputPath={dir["archive"]}/", $"-p:ContainerBaseImage={baseImage}",
            "-p:ContainerImageTags=1.0%3Blatest"));
        archive.EnsureSuccess("dotnet publish -t:PublishContainer");
        // A folder gets a plain tar (its layers are gzipped already), which skopeo's docker-archive: reads as it is.
        string tar = dir["archive/samples-hello-container.tar"];
        Assert.True(File.Exists(tar), archive.StandardOutput);
        Assert.Equal(digest, PackageFeed.ImageJson(project).GetProperty("digest").GetString());
        Assert.Contains("  greeting:    built by ContainerTasks", TestImage.RunImage($"docker-archive:{tar}"));
    }

    [Fact]
    public async Task With_no_registry_or_archive_the_image_is_loaded_into_podman_and_runs_there()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        // A private Podman: its own storage (vfs), runc and cgroupfs, as this machine needs.
        var podman = new PrivatePodman(dir.Path);
        string repository = RegistryServer.NewRepository("podman-load");

        var result = feed.Dotnet(PublishArgs(project, "-p:PublishContainer=true", "-p:LocalRegistry=Podman", $"-p:ContainerBaseImage={baseImage}",
            $"-p:ContainerRepository={repository}", "-p:ContainerImageTags=1.0"), podman.EnvironmentWith());
        result.EnsureSuccess("dotnet publish into podman");
        PrivatePodman.AssertLoaded(result, project, repository, "1.0");

        string reference = $"docker.io/{repository}:1.0";
        string env = Run.Process("podman", ["image", "inspect", "--format", "{{json .Config.Env}}", reference], environment: podman.EnvironmentWith()).EnsureSuccess("podman image inspect").StandardOutput;
        Assert.Contains("GREETING=built by ContainerTasks", env);
        string output = podman.RunImage(reference);
        Assert.Contains("Hello from a container built without a daemon!", output);
        foreach (string line in ExpectedConsoleLines)
        {
            Assert.Contains(line, output);
        }
    }

    [Fact]
    public async Task A_Windows_image_is_not_loaded_into_podman_through_its_CLI_either_and_it_is_CT4138()
    {
        WindowsBaseSet windows = await WindowsBases.GetAsync(http.Server, bases);
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        var podman = new PrivatePodman(dir.Path);
        string repository = RegistryServer.NewRepository("podman-windows");

        var result = feed.Dotnet(PublishArgs(project, "-r", "win-x64", "--self-contained", "false", "-p:PublishContainer=true", "-p:LocalRegistry=Podman",
            $"-p:ContainerBaseImage={windows.Nanoserver}", $"-p:ContainerRepository={repository}", "-p:ContainerImageTags=1.0"), podman.EnvironmentWith());

        string all = result.EnsureCodedFailure("CT4138");
        Assert.Contains($"The image is for windows/amd64 {WindowsBases.Ltsc2022}, and the podman engine runs linux containers", all);
        Assert.NotEqual(0, Run.Process("podman", ["image", "exists", $"docker.io/{repository}:1.0"], environment: podman.EnvironmentWith()).ExitCode);
    }

    [Fact]
    public async Task Credentials_from_the_environment_push_to_a_token_registry_and_never_appear_in_messages()
    {
        RegistryServer server = token.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        var env = new Dictionary<string, string?>(server.ChildEnvironment)
        {
            ["DOTNET_CONTAINER_REGISTRY_UNAME"] = RegistryUsers.Pusher.User,
            ["DOTNET_CONTAINER_REGISTRY_PWORD"] = RegistryUsers.Pusher.Password,
            ["HOME"] = dir.Path,
        };
        var result = feed.Dotnet(PublishArgs(project, "-p:PublishContainer=true", $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}",
            "-p:ContainerRepository=private/hello", "-v:d"), env);
        result.EnsureSuccess("dotnet publish to the token registry");
        // MSBuild itself prints environment variables only at -v:diag; our messages never contain the secret.
        Assert.DoesNotContain(RegistryUsers.Pusher.Password, result.StandardOutput + result.StandardError);
        Assert.Contains("DOTNET_CONTAINER_REGISTRY_UNAME/PWORD", result.StandardOutput);
        Assert.Contains("  user id:     1654", RunFromRegistry(server, "private/hello:latest", dir.Path));

        // A password from config.json stays out of even the diagnostic log and the binary log.
        const string filePassword = "file-only-secret-7";
        Directory.CreateDirectory(dir[".docker"]);
        File.WriteAllText(dir[".docker/config.json"], "{\"auths\":{\"" + server.Host + "\":{\"auth\":\"" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("pusher:" + filePassword)) + "\"}}}");
        var diag = feed.Dotnet(["msbuild", project, "-t:PublishContainer", "-p:Configuration=Release", "-p:NoBuild=true", $"-p:ContainerTasksVersion={feed.Version}",
            $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}", "-v:diag", $"-bl:{dir["build.binlog"]}"], new Dictionary<string, string?>(server.ChildEnvironment) { ["HOME"] = dir.Path });
        Assert.DoesNotContain(filePassword, diag.StandardOutput + diag.StandardError);
        Assert.Contains("CT3002", diag.StandardOutput); // the token service refuses the wrong password: the log says so without showing it
        var replay = feed.Dotnet(["msbuild", dir["build.binlog"], "-v:diag"]);
        Assert.DoesNotContain(filePassword, replay.StandardOutput);
    }

    [Fact]
    public async Task A_registry_nothing_listens_on_fails_in_seconds_with_each_retry_and_its_cause_shown_at_normal_verbosity()
    {
        string baseImage = await RuntimeBases.GetAsync(http.Server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        feed.Dotnet(PublishArgs(project)).EnsureSuccess("dotnet publish");
        using var closed = Sockets.ClosedPort(out int port);
        string registry = $"localhost:{port}";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = feed.Dotnet(["msbuild", project, "-t:PublishContainer", "-p:NoBuild=true", "-p:Configuration=Release", "-v:n",
            $"-p:ContainerTasksVersion={feed.Version}", $"-p:ContainerRegistry={registry}", $"-p:ContainerBaseImage={baseImage}"]);
        clock.Stop();
        string all = result.StandardOutput + result.StandardError;
        testOutput.WriteLine($"dotnet msbuild -t:PublishContainer to {registry}: {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Matches("error CT3001:.*connection refused", all);
        Assert.True(all.Split('\n').Count(l => l.Contains("retrying", StringComparison.Ordinal) && l.Contains("refused", StringComparison.Ordinal)) >= 2, all);
        // MSBuild's own start included; the registry part was about two minutes, silent below detailed verbosity.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("-p:ContainerImageTag=bad:tag", "CT4")]
    [InlineData("-p:ContainerImageTag=1.0|-p:ContainerImageTags=2.0", "CT4")]
    [InlineData("-p:ContainerImageFormat=Zip", "CT4109")]
    [InlineData("-p:ContainerRuntimeIdentifier=osx-arm64", "CT4111")]
    [InlineData("-p:ContainerRuntimeIdentifier=win-x64", "CT1006")]
    [InlineData("-p:ContainerRegistry=127.0.0.1:1", "CT3001")]
    [InlineData("-p:ContainerBaseImage={registry}/does/not-exist:1", "CT3004")]
    [InlineData("-p:ContainerBaseImage=Not A Reference", "CT1002")]
    [InlineData("-p:ContainerArchiveOutputPath={publish}/image.tar", "CT4106")]
    public async Task Bad_input_is_a_coded_error_without_a_stack_trace_and_nothing_is_pushed_or_left(string arguments, string code)
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        feed.Dotnet(PublishArgs(project)).EnsureSuccess("dotnet publish");
        string publish = Path.Combine(dir["app"], "bin", "Release", "net10.0", "publish");
        string repository = RegistryServer.NewRepository("bad");
        var args = new List<string> { "msbuild", project, "-t:PublishContainer", "-p:NoBuild=true", "-p:Configuration=Release",
            $"-p:ContainerTasksVersion={feed.Version}", $"-p:ContainerRegistry={server.Host}", $"-p:ContainerRepository={repository}" };
        if (!arguments.Contains("ContainerBaseImage", StringComparison.Ordinal))
        {
            args.Add($"-p:ContainerBaseImage={baseImage}");
        }
        args.AddRange(arguments.Replace("{registry}", server.Host, StringComparison.Ordinal).Replace("{publish}", publish, StringComparison.Ordinal).Split('|'));
        string[] publishedBefore = Directory.EnumerateFiles(publish, "*", SearchOption.AllDirectories).Order().ToArray();

        var result = feed.Dotnet(args);
        string all = result.StandardOutput + result.StandardError;
        Assert.NotEqual(0, result.ExitCode);
        Assert.Matches($"error {code}[0-9]*:", all);
        Assert.DoesNotContain("MSB4018", all);
        Assert.DoesNotContain("   at ", all);
        Assert.DoesNotContain(server.AccessLog(), e => e.Path.Contains(repository, StringComparison.Ordinal) && e.Method is "PUT" or "PATCH" or "POST");
        Assert.Equal(publishedBefore, Directory.EnumerateFiles(publish, "*", SearchOption.AllDirectories).Order().ToArray());
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
    }
}
