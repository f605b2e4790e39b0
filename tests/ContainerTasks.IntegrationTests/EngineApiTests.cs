using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ContainerTasks.Engines;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// A private Podman API service (<c>podman system service</c>) on its own socket: vfs storage, runc and cgroupfs in a
/// temporary folder, as this machine needs. Killed, with its folder, when the tests are done.
/// </summary>
public sealed class PodmanServiceFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("ct-podman-");
    private readonly StringBuilder _output = new();
    private readonly PrivatePodman _store;
    private Process? _service;

    /// <summary>A store in a folder of its own; the service starts in <see cref="InitializeAsync"/>.</summary>
    public PodmanServiceFixture()
    {
        _store = new PrivatePodman(_directory.Path);
    }

    /// <summary>The service's socket.</summary>
    public string Socket => _directory["podman.sock"];

    /// <summary>The socket as DOCKER_HOST names it.</summary>
    public string Host => $"unix://{Socket}";

    /// <summary>The service's store, which the podman CLI uses too.</summary>
    public PrivatePodman Store => _store;

    /// <summary>Starts the service and waits until its API answers.</summary>
    public async Task InitializeAsync()
    {
        var start = new ProcessStartInfo(Tools.Require("podman"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            ArgumentList = { "system", "service", "--time=0", Host },
        };
        foreach (var pair in _store.Environment)
        {
            start.Environment[pair.Key] = pair.Value;
        }
        _service = Process.Start(start)!;
        _service.OutputDataReceived += (_, e) => Record(e.Data);
        _service.ErrorDataReceived += (_, e) => Record(e.Data);
        _service.BeginOutputReadLine();
        _service.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while ((await EngineProbe.ProbeAsync(EngineEndpoint.Socket(Socket, "the test's Podman"), CancellationToken.None)).Engine is null)
        {
            if (_service.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException($"podman system service did not answer on {Socket}:\n{Output}");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>What the service printed.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Kills the service and removes its store.</summary>
    public Task DisposeAsync()
    {
        if (_service is { HasExited: false })
        {
            _service.Kill(entireProcessTree: true);
            _service.WaitForExit(10_000);
        }
        _service?.Dispose();
        _directory.Dispose();
        return Task.CompletedTask;
    }

    private void Record(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}

/// <summary>The Docker Engine API as the way into a local engine: a real Podman service, checked with the real docker CLI.</summary>
[Collection(EngineImageCollection.Name)]
public sealed class EngineApiTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http, PodmanServiceFixture podman)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>, IClassFixture<PodmanServiceFixture>
{
    // The dotnet folder alone: no docker or podman CLI the publish could fall back to.
    private static string DotnetOnlyPath()
    {
        string dotnet = Tools.Require("dotnet");
        string folder = Path.GetDirectoryName(new FileInfo(dotnet).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? dotnet)!;
        Assert.False(File.Exists(Path.Combine(folder, "docker")) || File.Exists(Path.Combine(folder, "podman")), $"{folder} holds an engine CLI");
        return folder;
    }

    private ProcessResult Publish(string project, string repository, string baseImage, string dockerHost, params (string Name, string? Value)[] more)
    {
        var env = new Dictionary<string, string?> { ["DOCKER_HOST"] = dockerHost, ["CONTAINER_HOST"] = null, ["PATH"] = DotnetOnlyPath() };
        foreach (var (name, value) in more)
        {
            env[name] = value;
        }
        return feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerBaseImage={baseImage}", $"-p:ContainerRepository={repository}", "-p:ContainerImageTags=1.0"], env);
    }

    [Fact]
    public async Task With_DOCKER_HOST_on_a_Podman_socket_the_image_is_loaded_through_the_API_with_no_engine_CLI_on_PATH()
    {
        string baseImage = await RuntimeBases.GetAsync(http.Server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        string repository = RegistryServer.NewRepository("engine-api");

        var result = Publish(project, repository, baseImage, podman.Host);
        result.EnsureSuccess("dotnet publish into podman through its API");
        PrivatePodman.AssertLoaded(result, project, repository, "1.0");

        // The real docker CLI, pointed at the same socket, sees the image and its config.
        string reference = $"docker.io/{repository}:1.0";
        var docker = new Dictionary<string, string?> { ["DOCKER_HOST"] = podman.Host, ["DOCKER_CONFIG"] = dir["docker-config"] };
        string inspect = Run.Process("docker", ["image", "inspect", "--format", "{{json .}}", reference], environment: docker).EnsureSuccess("docker image inspect").StandardOutput;
        JsonElement image = JsonDocument.Parse(inspect).RootElement;
        Assert.Contains(reference, image.GetProperty("RepoTags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("amd64", image.GetProperty("Architecture").GetString());
        JsonElement config = image.GetProperty("Config");
        Assert.Contains("GREETING=built by ContainerTasks", config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("/app", config.GetProperty("WorkingDir").GetString()?.TrimEnd('/'));

        string output = podman.Store.RunImage(reference);
        Assert.Contains("Hello from a container built without a daemon!", output);
        Assert.Contains("  greeting:    built by ContainerTasks", output);
    }

    [Fact]
    public async Task With_DOCKER_HOST_over_TCP_and_DOCKER_TLS_VERIFY_the_image_is_loaded_with_the_client_certificate_of_DOCKER_CERT_PATH()
    {
        string baseImage = await RuntimeBases.GetAsync(http.Server, bases, "dotnet");
        using var dir = new TempDirectory();
        // As dockerd --tlsverify -H tcp://…: TLS that asks for a client certificate, in front of the real Podman service.
        using var relay = new TlsEngineRelay(podman.Socket, dir["certs"]);
        string project = feed.CopySample("HelloContainer", dir["app"]);
        string repository = RegistryServer.NewRepository("engine-tls");

        var result = Publish(project, repository, baseImage, relay.Host, ("DOCKER_TLS_VERIFY", "1"), ("DOCKER_CERT_PATH", dir["certs"]));
        result.EnsureSuccess("dotnet publish into podman over TCP with TLS");
        PrivatePodman.AssertLoaded(result, project, repository, "1.0");
        Assert.Empty(relay.Refused);
        Assert.Contains("Hello from a container built without a daemon!", podman.Store.RunImage($"docker.io/{repository}:1.0"));
    }

    [Fact]
    public async Task A_Windows_image_is_not_sent_to_Podman_which_runs_Linux_containers_and_it_is_CT4138()
    {
        WindowsBaseSet windows = await WindowsBases.GetAsync(http.Server, bases);
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        string repository = RegistryServer.NewRepository("engine-windows");
        var env = new Dictionary<string, string?> { ["DOCKER_HOST"] = podman.Host, ["CONTAINER_HOST"] = null, ["PATH"] = DotnetOnlyPath() };

        var result = feed.Dotnet(["publish", project, "-c", "Release", "-r", "win-x64", "--self-contained", "false", $"-p:ContainerTasksVersion={feed.Version}",
            "-p:PublishContainer=true", $"-p:ContainerBaseImage={windows.Nanoserver}", $"-p:ContainerRepository={repository}", "-p:ContainerImageTags=1.0"], env);

        string all = result.EnsureCodedFailure("CT4138");
        Assert.Contains("The image is for windows/amd64", all);
        Assert.Contains("runs linux containers", all);
        // The engine answers, and holds no such image.
        var docker = new Dictionary<string, string?> { ["DOCKER_HOST"] = podman.Host, ["DOCKER_CONFIG"] = dir["docker-config"] };
        string images = Run.Process("docker", ["image", "ls", "--format", "{{.Repository}}"], environment: docker).EnsureSuccess("docker image ls").StandardOutput;
        Assert.DoesNotContain(repository, images);
    }

    [Fact]
    public async Task A_DOCKER_HOST_socket_that_does_not_exist_is_CT4108_in_seconds_and_no_archive_instead()
    {
        string baseImage = await RuntimeBases.GetAsync(http.Server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        string missing = dir["no-engine/docker.sock"];

        var watch = Stopwatch.StartNew();
        var result = Publish(project, RegistryServer.NewRepository("engine-missing"), baseImage, $"unix://{missing}");
        string all = result.EnsureCodedFailure("CT4108");
        Assert.Contains($"DOCKER_HOST names an engine, but none answers (unix://{missing} (DOCKER_HOST): no such socket)", all);
        Assert.DoesNotContain("CT4107", all);
        Assert.Empty(Directory.EnumerateFiles(dir["app"], "*.tar", SearchOption.AllDirectories));
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(2), $"the publish took {watch.Elapsed}");
    }
}
