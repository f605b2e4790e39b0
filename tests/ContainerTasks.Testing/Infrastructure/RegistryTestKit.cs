using System.Security.Cryptography;
using ContainerTasks.Building;
using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Sources;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests.Infrastructure;

/// <summary>Builds registry sessions, images and checks for the registry client tests.</summary>
internal sealed class RegistryTestKit : IDisposable
{
    private readonly TempDirectory _home = new("ct-home-");
    private readonly List<string> _log = new();
    private readonly List<string> _notices = new();

    public RegistryTestKit()
    {
        Store = new ContentStore(_home["store"]);
    }

    /// <summary>An empty content store of this test.</summary>
    public ContentStore Store { get; }

    /// <summary>A scratch folder (also the HOME the session sees, so no real ~/.docker is read).</summary>
    public TempDirectory Home => _home;

    /// <summary>Every line the client logged.</summary>
    public IReadOnlyList<string> LogLines
    {
        get
        {
            lock (_log)
            {
                return _log.ToList();
            }
        }
    }

    /// <summary>The lines the client logged at normal verbosity (retries), also in <see cref="LogLines"/>.</summary>
    public IReadOnlyList<string> NoticeLines
    {
        get
        {
            lock (_log)
            {
                return _notices.ToList();
            }
        }
    }

    /// <summary>An environment with a private HOME and fast retries, plus <paramref name="extra"/>.</summary>
    public Dictionary<string, string> Environment(params (string Key, string Value)[] extra)
    {
        var env = new Dictionary<string, string>
        {
            ["HOME"] = _home.Path,
            ["PATH"] = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            ["CONTAINERTASKS_RETRY_BASE_MS"] = "20",
            ["CONTAINERTASKS_RETRY_MAX_MS"] = "200",
            ["CONTAINERTASKS_RETRY_BUDGET_MS"] = "60000",
            ["CONTAINERTASKS_READ_TIMEOUT_MS"] = "2500",
        };
        foreach (var (key, value) in extra)
        {
            env[key] = value;
        }
        return env;
    }

    /// <summary>A session whose log lines are kept in <see cref="LogLines"/> (and notices also in <see cref="NoticeLines"/>).</summary>
    public RegistrySession Session(IReadOnlyDictionary<string, string> environment, string? baseRegistry, string? outputRegistry)
        => new(environment, baseRegistry, outputRegistry, line => Add(line, notice: false), notice: line => Add(line, notice: true));

    private void Add(string line, bool notice)
    {
        lock (_log)
        {
            _log.Add(line);
            if (notice)
            {
                _notices.Add(line);
            }
        }
    }

    /// <summary>Reads a base image from a registry.</summary>
    public async Task<SourceImage> PullAsync(RegistrySession session, string reference, Platform? platform = null)
    {
        ImageReference name = ImageReference.Parse(reference);
        var source = new RegistryImageSource(name, session.Client(name.Registry, name.Repository, Registry.Auth.RegistryRole.Pull), Store);
        return await source.GetImageAsync(platform ?? Platform.LinuxAmd64);
    }

    /// <summary>Builds an image on <paramref name="baseImage"/> with one layer of <paramref name="randomBytes"/> incompressible bytes.</summary>
    public async Task<BuiltImage> BuildAsync(SourceImage baseImage, int randomBytes = 4096)
    {
        string folder = CreateAppFolder(randomBytes);
        BuiltLayer layer = await new LayerWriter().WriteAsync(DirectoryEntries.FromDirectory(folder, "/app"), Store);
        return new ImageBuilder(baseImage, Store)
            .AddLayer(layer, "test layer")
            .WithConfig(new ConfigChanges { Entrypoint = ["/bin/sh", "-c", "cat /app/hello.txt; wc -c < /app/random.bin"], Environment = [new("PUSHED", "yes")] })
            .Build();
    }

    /// <summary>A new app folder: <c>random.bin</c> (<paramref name="randomBytes"/> random bytes) and <c>hello.txt</c>, what <see cref="VerifyWithSkopeoAndRun"/> expects.</summary>
    public string CreateAppFolder(int randomBytes)
    {
        string folder = Directory.CreateDirectory(_home[$"app-{Guid.NewGuid():N}"]).FullName;
        File.WriteAllBytes(Path.Combine(folder, "random.bin"), RandomNumberGenerator.GetBytes(randomBytes));
        File.WriteAllText(Path.Combine(folder, "hello.txt"), "hello from the pushed layer\n");
        return folder;
    }

    /// <summary>Copies a pushed image out with skopeo and runs it with runc (umoci checks every diff_id on the way).</summary>
    public static string[] VerifyWithSkopeoAndRun(RegistryServer server, string repositoryAndTag, string scratch, int randomBytes)
    {
        string layout = Path.Combine(scratch, "verify-" + Guid.NewGuid().ToString("N"));
        var copy = Run.Process("skopeo", ["copy", .. server.SkopeoOptions("src", RegistryUsers.Pusher), $"docker://{server.Reference(repositoryAndTag)}", $"oci:{layout}:v"],
            environment: server.ChildEnvironment);
        copy.EnsureSuccess($"skopeo copy of {repositoryAndTag}");
        string[] output = TestImage.RunImage($"oci:{layout}:v");
        Assert.Equal(["hello from the pushed layer", randomBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)], output);
        return output;
    }

    /// <summary>Deletes the temporary files.</summary>
    public void Dispose() => _home.Dispose();
}
