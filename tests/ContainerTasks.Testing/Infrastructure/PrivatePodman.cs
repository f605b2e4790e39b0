namespace ContainerTasks.Tests.Infrastructure;

/// <summary>
/// A Podman store of a test's own: vfs storage, runc and cgroupfs in a folder, as this machine needs. The podman CLI
/// (and <c>podman system service</c>) started with <see cref="Environment"/> uses it.
/// </summary>
public sealed class PrivatePodman
{
    /// <summary>Writes the store's configuration into <paramref name="folder"/>, with <paramref name="moreConfiguration"/> (TOML sections) in containers.conf.</summary>
    public PrivatePodman(string folder, string moreConfiguration = "")
    {
        string storage = Path.Combine(folder, "storage.conf");
        string containers = Path.Combine(folder, "containers.conf");
        File.WriteAllText(storage, $"[storage]\ndriver = \"vfs\"\ngraphroot = \"{Path.Combine(folder, "graph")}\"\nrunroot = \"{Path.Combine(folder, "run")}\"\n");
        File.WriteAllText(containers, moreConfiguration + "[engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n");
        Environment = new Dictionary<string, string?> { ["CONTAINERS_STORAGE_CONF"] = storage, ["CONTAINERS_CONF"] = containers };
    }

    /// <summary>The variables that point podman at this store.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; }

    /// <summary>A copy of <see cref="Environment"/> to add to.</summary>
    public Dictionary<string, string?> EnvironmentWith(params (string Name, string? Value)[] more)
    {
        var environment = new Dictionary<string, string?>(Environment);
        foreach (var (name, value) in more)
        {
            environment[name] = value;
        }
        return environment;
    }

    /// <summary>Asserts that a publish loaded <paramref name="repository"/>:<paramref name="tag"/> into Podman, as its output and image.json say.</summary>
    public static void AssertLoaded(ProcessResult publish, string project, string repository, string tag)
    {
        Assert.Contains($"{repository}:{tag}@sha256:", publish.StandardOutput);
        Assert.Contains("loaded into podman", publish.StandardOutput);
        Assert.DoesNotContain("CT4107", publish.StandardOutput);
        Assert.Equal("loaded into podman", PackageFeed.ImageJson(project).GetProperty("destination").GetString());
    }

    /// <summary>Runs an image of the store with no network and low limits; its output, the test failing on a non-zero exit.</summary>
    public string RunImage(string reference)
        => Run.Process("podman", ["run", "--rm", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", reference],
            environment: EnvironmentWith(), timeout: TimeSpan.FromMinutes(2)).EnsureSuccess("podman run").StandardOutput;
}
