using System.Text.Json;
using ContainerTasks.Model;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// The command lines real clients run, character for character: .NET Aspire (which writes its command line as one
/// string, quotes and all) and the Azure Developer CLI (which reads the port from <c>--getProperty</c>'s JSON on stdout).
/// What their command lines do not say — the package's version, a base image this offline machine has — comes in
/// through the environment, which MSBuild reads as properties, so the command line stays theirs.
/// </summary>
[Collection(EngineImageCollection.Name)]
public sealed class ClientCommandLineTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http, BasicAuthRegistryFixture basic, PodmanServiceFixture podman)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>, IClassFixture<BasicAuthRegistryFixture>, IClassFixture<PodmanServiceFixture>
{
    private Dictionary<string, string?> Environment(string baseImage, params (string Name, string? Value)[] more)
    {
        var env = new Dictionary<string, string?> { ["ContainerTasksVersion"] = feed.Version, ["ContainerBaseImage"] = baseImage };
        foreach (var (name, value) in more)
        {
            env[name] = value;
        }
        return env;
    }

    [Fact]
    public async Task Aspire_loads_a_project_into_the_local_engine_with_its_own_command_line()
    {
        string baseImage = await RuntimeBases.GetAsync(http.Server, bases, "aspnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloWeb", dir["web"]);
        // As Aspire's container image builder writes it for a project resource with no output path: a local engine.
        string arguments = $"publish \"{project}\" --configuration Release /t:PublishContainer /p:ContainerRepository=\"webfrontend\" /p:ContainerImageTag=\"aspire-1\""
            + " /p:RuntimeIdentifier=\"linux-x64\" /p:ContainerRuntimeIdentifier=\"linux-x64\"";
        var result = feed.DotnetCommandLine(arguments, Environment(baseImage, ("DOCKER_HOST", podman.Host), ("CONTAINER_HOST", null)));
        result.EnsureSuccess("Aspire's dotnet publish into the local engine");
        Assert.Contains("loaded into podman", result.StandardOutput);

        // Aspire then names the image as it asked for it: webfrontend:aspire-1, through the docker CLI.
        var docker = new Dictionary<string, string?> { ["DOCKER_HOST"] = podman.Host, ["DOCKER_CONFIG"] = dir["docker-config"] };
        string inspect = Run.Process("docker", ["image", "inspect", "--format", "{{json .Config}}", "webfrontend:aspire-1"], environment: docker)
            .EnsureSuccess("docker image inspect webfrontend:aspire-1").StandardOutput;
        JsonElement config = JsonDocument.Parse(inspect).RootElement;
        Assert.Contains("8080/tcp", config.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name));
        Assert.Equal("/app", config.GetProperty("WorkingDir").GetString()?.TrimEnd('/'));
    }

    [Fact]
    public async Task Aspire_writes_an_OCI_archive_for_two_platforms_given_as_an_escaped_quoted_RID_list()
    {
        string baseImage = await RuntimeBases.GetTwoPlatformAsync(http.Server, bases);
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        string archive = dir["out/hello.tar"];
        // Aspire writes a list of platforms as \"a;b\": the process gets the quotes, and MSBuild must keep the list whole.
        string arguments = $"publish \"{project}\" --configuration Release /t:PublishContainer /p:ContainerRepository=\"hello\" /p:ContainerImageTag=\"aspire-2\""
            + " /p:RuntimeIdentifiers=\\\"linux-x64;linux-arm64\\\" /p:ContainerRuntimeIdentifiers=\\\"linux-x64;linux-arm64\\\""
            + $" /p:ContainerArchiveOutputPath=\"{archive}\" /p:ContainerImageFormat=\"OCI\"";
        feed.DotnetCommandLine(arguments, Environment(baseImage)).EnsureSuccess("Aspire's dotnet publish to an OCI archive");

        // An OCI archive: an OCI layout whose index names the two platforms' index by the tag Aspire asked for.
        Run.Checked("tar", "-xf", archive, "-C", Directory.CreateDirectory(dir["layout"]).FullName);
        Assert.Contains("\"imageLayoutVersion\"", File.ReadAllText(dir["layout/oci-layout"]));
        string layoutIndex = File.ReadAllText(dir["layout/index.json"]);
        Assert.True(1 == JsonDocument.Parse(layoutIndex).RootElement.GetProperty("manifests").EnumerateArray()
            .Count(m => m.TryGetProperty("annotations", out var a) && a.TryGetProperty("org.opencontainers.image.ref.name", out var r) && r.GetString() == "aspire-2"),
            $"not one entry tagged aspire-2 in index.json:\n{layoutIndex}");
        string raw = Run.Checked("skopeo", "inspect", "--raw", $"oci:{dir["layout"]}:aspire-2");
        JsonElement index = JsonDocument.Parse(raw).RootElement;
        Assert.Equal(MediaTypes.OciIndex, index.GetProperty("mediaType").GetString());
        Assert.Equal(["amd64", "arm64"], index.GetProperty("manifests").EnumerateArray()
            .Select(m => m.GetProperty("platform").GetProperty("architecture").GetString()).Order());
        // The x64 image runs (umoci takes one image, not an index: skopeo picks the platform first).
        Run.Process("skopeo", ["copy", "--override-arch", "amd64", $"oci:{dir["layout"]}:aspire-2", $"oci:{dir["x64"]}:r"]).EnsureSuccess("skopeo copy amd64");
        Assert.Contains("  greeting:    built by ContainerTasks", TestImage.RunImage($"oci:{dir["x64"]}:r"));
    }

    [Fact]
    public async Task The_Azure_Developer_CLI_pushes_with_the_legacy_SDK_variables_and_reads_the_port_from_getProperty_JSON()
    {
        RegistryServer server = basic.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "aspnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloWeb", dir["web"]);
        // azd's command line: the obsolete ContainerImageName (which, as in the SDK, wins over the project's
        // ContainerRepository), credentials in SDK_CONTAINER_REGISTRY_UNAME/PWORD, the config read from stdout.
        string[] arguments = ["publish", project, "-r", "linux-x64", "-c", "Release", "/t:PublishContainer", "-p:ContainerImageName=azd/webapp",
            $"-p:ContainerRegistry={server.Host}", "--getProperty:GeneratedContainerConfiguration"];
        var env = Environment(baseImage, ("SDK_CONTAINER_REGISTRY_UNAME", RegistryUsers.Pusher.User), ("SDK_CONTAINER_REGISTRY_PWORD", RegistryUsers.Pusher.Password),
            ("DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE", "1"), ("HOME", dir.Path));
        foreach (var pair in server.ChildEnvironment)
        {
            env[pair.Key] = pair.Value;
        }
        var result = Run.Process("dotnet", arguments, environment: feed.BuildEnvironment(env), timeout: TimeSpan.FromMinutes(5));
        result.EnsureSuccess("azd's dotnet publish");
        Assert.DoesNotContain(RegistryUsers.Pusher.Password, result.StandardOutput + result.StandardError);

        // As azd reads it: everything before the first "\n\r\n\r" is one JSON document, whose config's first exposed port it deploys.
        string json = result.StandardOutput.Split("\n\r\n\r")[0];
        using JsonDocument configuration = JsonDocument.Parse(json);
        var ports = configuration.RootElement.GetProperty("config").GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["8080/tcp"], ports);

        // The image is where azd will deploy it from: the registry, under the name it passed.
        string pushed = Run.Process("skopeo", ["inspect", "--raw", .. server.SkopeoOptions("", RegistryUsers.Pusher), $"docker://{server.Reference("azd/webapp:latest")}"],
            environment: server.ChildEnvironment).EnsureSuccess("skopeo inspect the image azd named").StandardOutput;
        Assert.Contains("\"layers\"", pushed);
    }
}
