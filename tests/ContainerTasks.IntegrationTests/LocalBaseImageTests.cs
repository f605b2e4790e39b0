using System.Text.Json;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// <c>ContainerBaseImageSource=local</c>: a base built in a real Podman (its API service on a private socket, named by
/// DOCKER_HOST), exported over the Engine API, pushed to a real registry with its layers, pulled by skopeo and run;
/// then published again to an archive without exporting it again.
/// </summary>
[Collection(EngineImageCollection.Name)]
public sealed class LocalBaseImageTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http, PodmanServiceFixture podman)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>, IClassFixture<PodmanServiceFixture>
{
    private const string Marker = "a file only the local base has";

    private static readonly Dictionary<string, (string Id, List<string> DiffIds)> Built = new();

    // my-base:1 in this class's Podman, built once.
    private (string Id, List<string> DiffIds) LocalBase()
    {
        lock (Built)
        {
            if (!Built.TryGetValue(podman.Socket, out var built))
            {
                using var dir = new TempDirectory();
                Built[podman.Socket] = built = BuildLocalBase(dir, "my-base:1");
            }
            return built;
        }
    }

    // The runtime base copied into the Podman store, and on it one file, as `podman build` makes a team's base.
    // Podman stores the short name as localhost/my-base:1. Returns the image's id and its layers' diff_ids.
    private (string Id, List<string> DiffIds) BuildLocalBase(TempDirectory dir, string name)
    {
        var environment = podman.Store.EnvironmentWith();
        Run.Process("skopeo", ["copy", bases.Get("dotnet"), "containers-storage:localhost/ct-runtime:10.0"], environment: environment, timeout: TimeSpan.FromMinutes(3))
            .EnsureSuccess("skopeo copy into the Podman store");
        string context = dir["base-context"];
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "marker.txt"), Marker);
        File.WriteAllText(Path.Combine(context, "Containerfile"), "FROM localhost/ct-runtime:10.0\nCOPY marker.txt /etc/local-base-marker.txt\n");
        Run.Process("podman", ["build", "-t", name, context], environment: environment, timeout: TimeSpan.FromMinutes(3)).EnsureSuccess("podman build");
        string inspect = Run.Process("podman", ["image", "inspect", name], environment: environment).EnsureSuccess("podman image inspect").StandardOutput;
        JsonElement image = JsonDocument.Parse(inspect).RootElement[0];
        return ("sha256:" + image.GetProperty("Id").GetString()!.Replace("sha256:", "", StringComparison.Ordinal),
            image.GetProperty("RootFS").GetProperty("Layers").EnumerateArray().Select(l => l.GetString()!).ToList());
    }

    private ProcessResult Publish(string project, string repository, string baseImage, params string[] more)
        => feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
                "-p:ContainerBaseImageSource=local", $"-p:ContainerBaseImage={baseImage}", $"-p:ContainerRepository={repository}", "-p:ContainerImageTags=1.0", "-v:n", .. more],
            new Dictionary<string, string?> { ["DOCKER_HOST"] = podman.Host, ["CONTAINER_HOST"] = null });

    [Fact]
    public void A_base_built_in_Podman_is_pushed_with_its_layers_and_runs_and_publishing_again_to_an_archive_exports_nothing()
    {
        RegistryServer server = http.Server;
        using var dir = new TempDirectory();
        var (id, baseDiffIds) = LocalBase();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        string repository = RegistryServer.NewRepository("local-base");

        var pushed = Publish(project, repository, "my-base:1", $"-p:ContainerRegistry={server.Host}");
        pushed.EnsureSuccess("dotnet publish on a local base, pushed");
        Assert.Contains($"Exported the base image my-base:1 (podman's image {id[7..19]}) from podman: {baseDiffIds.Count} layers", pushed.StandardOutput);
        Assert.Equal(id, PackageFeed.ImageJson(project).GetProperty("baseDigest").GetString());

        // What a registry client sees: the base's layers (which no registry had) first, then the app's; no base.* label names
        // the base (it would read as docker.io/library/my-base:1, with an image id for a manifest digest).
        string reference = $"docker://{server.Reference(repository + ":1.0")}";
        JsonElement config = JsonDocument.Parse(Run.Checked("skopeo", "inspect", "--config", "--tls-verify=false", reference)).RootElement;
        var diffIds = config.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()!).ToList();
        Assert.Equal(baseDiffIds, diffIds.Take(baseDiffIds.Count));
        Assert.True(diffIds.Count > baseDiffIds.Count, "no app layer");
        bool labelled = config.GetProperty("config").TryGetProperty("Labels", out JsonElement labels) && labels.ValueKind == JsonValueKind.Object;
        Assert.False(labelled && labels.TryGetProperty("org.opencontainers.image.base.name", out _));
        Assert.False(labelled && labels.TryGetProperty("org.opencontainers.image.base.digest", out _));

        // Pulled whole (skopeo fetches every blob; umoci checks each layer against its diff_id), the base's file is there, and the app runs.
        string layout = dir["pulled"];
        Run.Process("skopeo", ["copy", "--src-tls-verify=false", reference, $"oci:{layout}:r"]).EnsureSuccess("skopeo copy");
        Run.Checked("umoci", "unpack", "--image", $"{layout}:r", dir["bundle"]);
        Assert.Equal(Marker, File.ReadAllText(dir["bundle/rootfs/etc/local-base-marker.txt"]));
        Assert.Contains("Hello from a container built without a daemon!", TestImage.RunImage($"oci:{layout}:r"));

        // The same base again, to an archive: the engine's image id is unchanged, so nothing is exported.
        string archive = dir["archive/app.tar"];
        var archived = Publish(project, repository, "my-base:1", $"-p:ContainerArchiveOutputPath={archive}");
        archived.EnsureSuccess("dotnet publish on a local base, to an archive");
        Assert.Contains("its layers are in the content cache from an earlier export; not exported again", archived.StandardOutput);
        Assert.DoesNotContain("Exported the base image", archived.StandardOutput);
        Assert.Contains("  greeting:    built by ContainerTasks", TestImage.RunImage($"docker-archive:{archive}"));
    }

    [Fact]
    public void A_base_Podman_does_not_hold_is_CT4130_naming_the_engine_with_no_stack_trace()
    {
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);

        var result = Publish(project, RegistryServer.NewRepository("local-missing"), "no-such-base:1", $"-p:ContainerRegistry={http.Server.Host}");
        string all = result.EnsureCodedFailure("CT4130");
        Assert.Contains($"The base image no-such-base:1 is not in the local engine (podman 4.3.1 (API 1.41) at {podman.Host} (DOCKER_HOST))", all);
        Assert.Contains("'podman build -t no-such-base:1 .'", all);
        // Never looked for in a registry (Docker Hub, as a bare name would be read otherwise).
        Assert.DoesNotContain("docker.io", all);
    }

    [Fact]
    public void ctimage_takes_docker_daemon_NAME_through_the_podman_command_when_no_engine_socket_answers()
    {
        var (id, baseDiffIds) = LocalBase();
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["layer"]);
        File.WriteAllText(dir["layer/hello.txt"], "hello");
        Directory.CreateDirectory(dir["xdg"]);
        // No variable and no socket (this machine has neither /var/run/docker.sock nor Podman's): the commands are asked, and podman answers.
        var environment = podman.Store.EnvironmentWith(("DOCKER_HOST", null), ("CONTAINER_HOST", null), ("XDG_RUNTIME_DIR", dir["xdg"]));
        var result = Run.CtImage(["build", "--from", "docker-daemon:my-base:1", "--layer", $"{dir["layer"]}:/srv", "--tag", "app:1", "--format", "oci", "--to", $"oci:{dir["out"]}",
            "--cache", dir["cache"]], environment).EnsureSuccess("ctimage build --from docker-daemon:");
        Assert.Contains($"Exported the base image my-base:1 (podman's image {id[7..19]}) from podman", result.StandardOutput + result.StandardError);

        JsonElement config = JsonDocument.Parse(Run.Checked("skopeo", "inspect", "--config", $"oci:{dir["out"]}:1")).RootElement;
        var diffIds = config.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()!).ToList();
        Assert.Equal([.. baseDiffIds, diffIds[^1]], diffIds);
        // The 'docker save' copy went into a temporary folder that is gone.
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Path.GetTempPath(), "containertasks-*"), p => File.Exists(Path.Combine(p, "base.tar")));
    }
}
