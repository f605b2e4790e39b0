using ContainerTasks.MSBuild;
using ContainerTasks.Tests.Infrastructure;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ContainerTasks.Tests.Tasks;

/// <summary>The compose task as MSBuild runs it: image.json and the config in, the service and its errors out.</summary>
public sealed class WriteContainerComposeTaskTests
{
    private const string Config = """{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/bin","GREETING=hi $USER"],"ExposedPorts":{"8080/tcp":{}},"Volumes":{"/data":{}}}}""";

    private static (WriteContainerCompose Task, RecordingBuildEngine Engine) Task(TempDirectory dir, string? registry, string repository = "team/api")
    {
        Directory.CreateDirectory(dir["Api/obj"]);
        string registryJson = registry is null ? "null" : $"\"{registry}\"";
        File.WriteAllText(dir["Api/obj/image.json"], $$"""{"registry":{{registryJson}},"repository":"{{repository}}","names":["{{repository}}:1.0"],"digest":"sha256:{{new string('c', 64)}}"}""");
        var engine = new RecordingBuildEngine();
        var task = new WriteContainerCompose
        {
            BuildEngine = engine,
            ComposeFile = dir["compose.yaml"],
            ProjectPath = dir["Api/Api.csproj"],
            InSolution = true,
            SolutionProjects = [new TaskItem(dir["Api/Api.csproj"]), new TaskItem(dir["Web/Web.csproj"])],
            ResultFile = dir["Api/obj/image.json"],
            Configuration = Config,
            EnvironmentVariables = [new TaskItem("GREETING"), new TaskItem("bad name"), new TaskItem("MISSING")],
            ProjectReferences = [new TaskItem(dir["Web/Web.csproj"])],
        };
        return (task, engine);
    }

    [Fact]
    public void A_pushed_image_is_named_by_digest_a_loaded_one_by_its_tag()
    {
        using var dir = new TempDirectory();
        var (pushed, engine) = Task(dir, "registry.example:5000");
        Assert.True(pushed.Execute());
        string yaml = File.ReadAllText(dir["compose.yaml"]);
        Assert.Contains($"  \"api\":\n    # Api/Api.csproj, image published ", yaml);
        Assert.Contains($"    image: \"registry.example:5000/team/api@sha256:{new string('c', 64)}\"\n    ports:\n      - \"8080:8080\"\n", yaml);
        // Only the project's own variables, with the image's values; a name the image left out (CT4113, or none at all) is left out.
        Assert.Contains("    environment:\n      \"GREETING\": \"hi $$USER\"\n    volumes:\n      - \"api-data:/data\"\n", yaml);
        Assert.DoesNotContain("PATH", yaml);
        Assert.DoesNotContain("depends_on", yaml);     // Web has no service (yet)
        Assert.Equal(dir["compose.yaml"], pushed.GeneratedComposeFile);
        Assert.Contains(engine.MessagesAt(MessageImportance.High), m => m == $"Api -> {dir["compose.yaml"]} (1 service: api)");

        var (loaded, _) = Task(dir, null);
        loaded.Ports = "none";
        Assert.True(loaded.Execute());
        yaml = File.ReadAllText(dir["compose.yaml"]);
        Assert.Contains("(by tag: an image loaded into an engine or written to an archive has no registry digest)\n    image: \"team/api:1.0\"\n    environment:", yaml);
    }

    [Fact]
    public void Bad_settings_are_coded_errors_never_exceptions()
    {
        using var dir = new TempDirectory();
        var (named, engine) = Task(dir, "registry.example");
        named.ServiceName = "my service";
        Assert.False(named.Execute());
        Assert.Equal("CT4136", Assert.Single(engine.Errors).Code);
        Assert.Contains("ContainerComposeService is 'my service'", engine.Errors[0].Message);

        var (ports, portsEngine) = Task(dir, "registry.example");
        ports.Ports = "8080";
        Assert.False(ports.Execute());
        Assert.Equal("CT4136", Assert.Single(portsEngine.Errors).Code);

        var (broken, brokenEngine) = Task(dir, "registry.example");
        broken.ResultFile = dir["nowhere/image.json"];
        Assert.False(broken.Execute());
        Assert.Equal("CT9999", Assert.Single(brokenEngine.Errors).Code);
        Assert.False(File.Exists(dir["compose.yaml"]));
    }

    [Fact]
    public void Two_web_projects_exposing_8080_by_default_both_publish_the_second_on_8081_said_at_normal_importance()
    {
        using var dir = new TempDirectory();
        var (api, _) = Task(dir, "registry.example");
        Assert.True(api.Execute());
        Directory.CreateDirectory(dir["Web/obj"]);
        File.WriteAllText(dir["Web/obj/image.json"], $$"""{"registry":"registry.example","repository":"team/web","names":["team/web:1.0"],"digest":"sha256:{{new string('d', 64)}}"}""");
        var (web, engine) = Task(dir, "registry.example");
        web.ProjectPath = dir["Web/Web.csproj"];
        web.ResultFile = dir["Web/obj/image.json"];
        web.ProjectReferences = [];
        Assert.True(web.Execute());
        Assert.Empty(engine.Errors);
        Assert.Contains(engine.MessagesAt(MessageImportance.Normal),
            m => m == "compose.yaml: service 'web' publishes host port 8081 for container port 8080/tcp, as 'api' publishes 8080; set ContainerComposePorts in Web.csproj to choose.");
        string yaml = File.ReadAllText(dir["compose.yaml"]);
        Assert.Contains("  \"web\":\n", yaml);
        Assert.Contains("    ports:\n      - \"8081:8080\"\n", yaml);

        // Chosen ports that clash stay an error.
        var (chosen, chosenEngine) = Task(dir, "registry.example");
        chosen.ProjectPath = dir["Web/Web.csproj"];
        chosen.ResultFile = dir["Web/obj/image.json"];
        chosen.Ports = "8080:8080";
        var (apiChosen, _) = Task(dir, "registry.example");
        apiChosen.Ports = "8080:8080";
        Assert.True(apiChosen.Execute());
        Assert.False(chosen.Execute());
        Assert.Equal("CT4135", Assert.Single(chosenEngine.Errors).Code);
    }
}
