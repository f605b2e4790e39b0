using System.Net;
using System.Net.Sockets;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// <c>dotnet publish App.slnx -p:ContainerGenerateCompose=true</c> with two real projects, a web API and a console app that
/// calls it (and references its project), pushed to a real registry: the compose file podman-compose reads and runs.
/// </summary>
[Collection(EngineImageCollection.Name)]
public sealed class ComposePublishTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>
{
    // One published solution for both tests (a solution publish takes minutes here).
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static PublishedSolution? s_published;

    private sealed record PublishedSolution(TempDirectory Directory, string Solution, string ComposeFile, string Api, string Caller,
        string ApiRepository, string CallerRepository, int HostPort, ProcessResult Publish);

    private async Task<PublishedSolution> PublishAsync()
    {
        await Once.WaitAsync();
        try
        {
            return s_published ??= await PublishOnceAsync();
        }
        finally
        {
            Once.Release();
        }
    }

    private async Task<PublishedSolution> PublishOnceAsync()
    {
        RegistryServer server = http.Server;
        string aspnet = await RuntimeBases.GetAsync(server, bases, "aspnet");
        string dotnet = await RuntimeBases.GetAsync(server, bases, "dotnet");
        var dir = new TempDirectory("ct-compose-");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => dir.Dispose();
        string apiRepository = RegistryServer.NewRepository("compose-api");
        string callerRepository = RegistryServer.NewRepository("compose-caller");
        int hostPort = FreePort();
        string api = feed.CopySample("HelloWeb", dir["api"]);
        AddToProject(api, "samples/hello-web", apiRepository, $"""
            <PropertyGroup>
              <ContainerBaseImage>{aspnet}</ContainerBaseImage>
              <ContainerComposePorts>{hostPort}:8080</ContainerComposePorts>
            </PropertyGroup>
            <ItemGroup><ContainerVolume Include="/data" /></ItemGroup>
            """);
        string caller = feed.CopySample("HelloContainer", dir["caller"]);
        AddToProject(caller, "samples/hello-container", callerRepository, $"""
            <PropertyGroup><ContainerBaseImage>{dotnet}</ContainerBaseImage></PropertyGroup>
            <ItemGroup>
              <ContainerEnvironmentVariable Include="API_URL" Value="http://{Service(apiRepository)}:8080/api/hello" />
              <ContainerEnvironmentVariable Include="NOTE" Value="a: b # c $HOME &quot;q&quot;" />
              <ProjectReference Include="../api/HelloWeb.csproj" ReferenceOutputAssembly="false" />
            </ItemGroup>
            """);
        File.WriteAllText(Path.Combine(dir["caller"], "Program.cs"), CallerProgram);
        File.Copy(Path.Combine(dir["api"], "nuget.config"), dir["nuget.config"]);
        File.WriteAllText(dir["Directory.Build.props"], "<Project />");
        Run.Process("dotnet", ["new", "sln", "-n", "App", "--format", "slnx", "-o", dir.Path], environment: feed.BuildEnvironment(null)).EnsureSuccess("dotnet new sln");
        string solution = dir["App.slnx"];
        Run.Process("dotnet", ["sln", solution, "add", api, caller], environment: feed.BuildEnvironment(null)).EnsureSuccess("dotnet sln add");
        ProcessResult publish = PublishSolution(solution).EnsureSuccess("dotnet publish App.slnx with ContainerGenerateCompose");
        return new PublishedSolution(dir, solution, dir["compose.yaml"], api, caller, apiRepository, callerRepository, hostPort, publish);
    }

    private ProcessResult PublishSolution(string solution)
        => feed.Dotnet(["publish", solution, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerRegistry={http.Server.Host}", "-p:ContainerGenerateCompose=true"]);

    // Calls the API by its service name until it answers (depends_on only orders the starts), then prints what it said.
    private const string CallerProgram = """
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        string url = Environment.GetEnvironmentVariable("API_URL") ?? "(API_URL not set)";
        Console.WriteLine($"note: {Environment.GetEnvironmentVariable("NOTE")}");
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                Console.WriteLine($"api said: {await client.GetStringAsync(url)}");
                return 0;
            }
            catch (Exception e) when (attempt < 60)
            {
                Console.WriteLine($"attempt {attempt}: {url}: {e.Message}");
                await Task.Delay(500);
            }
        }
        """;

    private static string Service(string repository) => repository[(repository.LastIndexOf('/') + 1)..];

    private static void AddToProject(string project, string oldRepository, string repository, string more)
    {
        string text = File.ReadAllText(project);
        Assert.Contains($"<ContainerRepository>{oldRepository}</ContainerRepository>", text);
        text = text.Replace($"<ContainerRepository>{oldRepository}</ContainerRepository>", $"<ContainerRepository>{repository}</ContainerRepository>", StringComparison.Ordinal);
        File.WriteAllText(project, text.Replace("</Project>", more + "\n</Project>", StringComparison.Ordinal));
    }

    private string PushedDigest(string repository)
        => Run.Checked("skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", $"docker://{http.Server.Reference(repository + ":latest")}").Trim();

    [Fact]
    public async Task A_solution_publish_writes_one_service_per_project_by_pushed_digest_and_a_publish_with_no_change_leaves_the_file_untouched()
    {
        PublishedSolution s = await PublishAsync();
        string api = Service(s.ApiRepository), caller = Service(s.CallerRepository);
        Assert.Contains($"-> {s.ComposeFile} (2 services: {string.Join(", ", new[] { api, caller }.Order(StringComparer.Ordinal))}", s.Publish.StandardOutput);
        string yaml = File.ReadAllText(s.ComposeFile);
        string host = http.Server.Host;
        Assert.Contains($"""

              "{api}":
                # api/HelloWeb.csproj, image published 
            """.ReplaceLineEndings("\n"), yaml);
        Assert.Contains($"""
                image: "{host}/{s.ApiRepository}@{PushedDigest(s.ApiRepository)}"
                ports:
                  - "{s.HostPort}:8080"
                volumes:
                  - "{api}-data:/data"

            """.ReplaceLineEndings("\n"), yaml);
        Assert.Contains($"""
                image: "{host}/{s.CallerRepository}@{PushedDigest(s.CallerRepository)}"
                environment:
                  "API_URL": "http://{api}:8080/api/hello"
                  "GREETING": "built by ContainerTasks"
                  "NOTE": "a: b # c $$HOME \"q\""
                depends_on:
                  - "{api}"

            """.ReplaceLineEndings("\n"), yaml);
        Assert.EndsWith($"volumes:\n  \"{api}-data\": {{}}\n", yaml);
        Assert.True(string.CompareOrdinal(api, caller) < 0 == yaml.IndexOf($"\"{api}\":\n", StringComparison.Ordinal) < yaml.IndexOf($"\"{caller}\":\n", StringComparison.Ordinal));

        // podman-compose 1.0.3 has no `config` command: `--dry-run up` parses the file and prints the podman commands it would run.
        ProcessResult dryRun = PodmanCompose(s, Podman(s.Directory["dry-run-podman"]), "--dry-run", "up", "-d");
        Assert.Equal(0, dryRun.ExitCode);
        string[] runs = dryRun.StandardOutput.Split('\n').Where(l => l.StartsWith("podman run ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, runs.Length);
        Assert.Contains($"--network-alias {api} -p {s.HostPort}:8080 ", runs[0]);      // the dependency starts first
        Assert.Contains($"_{api}-data:/data ", runs[0]);                                  // the named volume, under the compose project's name
        Assert.Contains("-e NOTE=a: b # c $HOME \"q\" ", runs[1]);                     // compose read "$$" back as "$"
        Assert.EndsWith($"{host}/{s.CallerRepository}@{PushedDigest(s.CallerRepository)}", runs[1].TrimEnd());

        // Published again with no change: the same images, the same bytes, and the file is not even rewritten.
        byte[] before = File.ReadAllBytes(s.ComposeFile);
        DateTime written = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(s.ComposeFile, written);
        ProcessResult again = PublishSolution(s.Solution).EnsureSuccess("the second publish");
        Assert.Contains("; unchanged)", again.StandardOutput);
        Assert.Equal(before, File.ReadAllBytes(s.ComposeFile));
        Assert.Equal(written, File.GetLastWriteTimeUtc(s.ComposeFile));
    }

    [Fact]
    public async Task Podman_compose_up_starts_both_services_and_the_caller_reaches_the_api_by_its_service_name()
    {
        PublishedSolution s = await PublishAsync();
        string api = Service(s.ApiRepository), caller = Service(s.CallerRepository);
        PrivatePodman podman = Podman(s.Directory["up-podman"]);
        string project = "ct" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            foreach (string repository in new[] { s.ApiRepository, s.CallerRepository })
            {
                Run.Process("podman", ["pull", "--tls-verify=false", $"{http.Server.Host}/{repository}@{PushedDigest(repository)}"], environment: podman.EnvironmentWith(),
                    timeout: TimeSpan.FromMinutes(3)).EnsureSuccess("podman pull");
            }
            PodmanCompose(s, podman, "-p", project, "up", "-d").EnsureSuccess("podman-compose up -d");
            string callerContainer = $"{project}_{caller}_1";
            string exit = Run.Process("podman", ["wait", callerContainer], environment: podman.EnvironmentWith(), timeout: TimeSpan.FromMinutes(2)).EnsureSuccess("podman wait").StandardOutput.Trim();
            string logs = Run.Process("podman", ["logs", callerContainer], environment: podman.EnvironmentWith()).StandardOutput;
            Assert.True(exit == "0", $"the caller exited with {exit}:\n{logs}");
            Assert.Contains("api said: {\"message\":\"Hello from a container built without a daemon\"", logs);
            Assert.Contains("note: a: b # c $HOME \"q\"", logs);
            // The API's published port answers on the host too.
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            Assert.Contains("Hello from a container", await client.GetStringAsync($"http://127.0.0.1:{s.HostPort}/api/hello"));
            Assert.Contains($"{project}_{api}-data", Run.Process("podman", ["volume", "ls", "--format", "{{.Name}}"], environment: podman.EnvironmentWith()).StandardOutput);
        }
        finally
        {
            PodmanCompose(s, podman, "-p", project, "down", "-v");
            // podman-compose 1.0.3 leaves the network; removing it removes its bridge from the host too.
            Run.Process("podman", ["network", "rm", "-f", $"{project}_default"], environment: podman.EnvironmentWith());
        }
    }

    [Fact]
    public async Task A_project_published_alone_to_an_archive_writes_its_compose_file_next_to_itself_naming_the_image_by_tag()
    {
        string baseImage = await RuntimeBases.GetAsync(http.Server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["alone"]);
        var result = feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerBaseImage={baseImage}", $"-p:ContainerArchiveOutputPath={dir["images"]}/", "-p:ContainerImageTags=1.0", "-p:ContainerGenerateCompose=true"]);
        result.EnsureSuccess("dotnet publish of one project with ContainerGenerateCompose");
        string file = dir["alone/compose.yaml"];
        Assert.Contains($"HelloContainer -> {file} (1 service: hello-container)", result.StandardOutput);
        string yaml = File.ReadAllText(file);
        Assert.Contains("""
              "hello-container":
                # HelloContainer.csproj, image published 
            """.ReplaceLineEndings("\n"), yaml);
        Assert.Contains("""
             (by tag: an image loaded into an engine or written to an archive has no registry digest)
                image: "samples/hello-container:1.0"
                environment:
                  "GREETING": "built by ContainerTasks"

            """.ReplaceLineEndings("\n"), yaml);
        Assert.DoesNotContain("ports:", yaml);      // a console app exposes nothing
        Assert.False(File.Exists(dir["compose.yaml"]));
    }

    [Fact]
    public async Task Two_web_projects_on_default_ports_both_publish_the_later_on_8081_and_a_publish_with_no_change_leaves_the_file()
    {
        string aspnet = await RuntimeBases.GetAsync(http.Server, bases, "aspnet");
        using var dir = new TempDirectory();
        string file = dir["compose.yaml"];
        ProcessResult Publish(string folder, string repository)
            => feed.Dotnet(["publish", Path.Combine(dir[folder], "HelloWeb.csproj"), "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
                $"-p:ContainerBaseImage={aspnet}", $"-p:ContainerArchiveOutputPath={dir["images"]}/{folder}/", $"-p:ContainerRepository={repository}",
                $"-p:ContainerComposeFile={file}", "-v:n"]);
        feed.CopySample("HelloWeb", dir["web"]);
        feed.CopySample("HelloWeb", dir["api"]);
        // Both images expose 8080 (ASP.NET's default) and neither chooses ports: the publish must not fail.
        Publish("web", "shop/web").EnsureSuccess("dotnet publish of the first web project");
        ProcessResult second = Publish("api", "shop/api").EnsureSuccess("dotnet publish of the second web project");
        Assert.Contains("compose.yaml: service 'web' publishes host port 8081 for container port 8080/tcp, as 'api' publishes 8080", second.StandardOutput);
        string yaml = File.ReadAllText(file);
        Assert.Contains("""
              "api":
            """.ReplaceLineEndings("\n"), yaml);
        Assert.Contains("""
                # host port 8081 for container port 8080/tcp, as 'api' publishes 8080; set ContainerComposePorts in HelloWeb.csproj to choose
                image: "shop/web:latest"
                ports:
                  - "8081:8080"

            """.ReplaceLineEndings("\n"), yaml);
        Assert.Contains("    image: \"shop/api:latest\"\n    ports:\n      - \"8080:8080\"\n", yaml);

        ProcessResult again = Publish("web", "shop/web").EnsureSuccess("dotnet publish of the first web project, unchanged");
        Assert.Contains($"HelloWeb -> {file} (2 services: api, web; unchanged)", again.StandardOutput);
        Assert.Equal(yaml, File.ReadAllText(file));
    }

    // A store and CNI network folder of the test's own (podman-compose creates a network even for --dry-run); the sandbox refuses the default rlimits.
    private static PrivatePodman Podman(string folder)
    {
        Directory.CreateDirectory(Path.Combine(folder, "cni"));
        return new PrivatePodman(folder, $"[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n[network]\nnetwork_config_dir = \"{Path.Combine(folder, "cni")}\"\n");
    }

    private static ProcessResult PodmanCompose(PublishedSolution s, PrivatePodman podman, params string[] arguments)
        => Run.Process("podman-compose", ["-f", s.ComposeFile, .. arguments], workingDirectory: s.Directory.Path, environment: podman.EnvironmentWith(), timeout: TimeSpan.FromMinutes(3));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
