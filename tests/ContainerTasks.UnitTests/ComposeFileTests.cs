using System.Text;
using ContainerTasks.Compose;
using ContainerTasks.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace ContainerTasks.Tests;

/// <summary>The compose file: its YAML read back by a real YAML parser, its determinism, and several projects writing it at once.</summary>
public class ComposeFileTests
{
    private static readonly DateTimeOffset Earlier = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private static ComposeService Service(string name, string project, params string[] references) => new()
    {
        Name = name,
        Project = project,
        Image = $"localhost:5000/apps/{name}@sha256:{new string('a', 64)}",
        Published = Earlier,
        Ports = [new ComposePort(8080, 8080, "tcp")],
        References = references,
    };

    private static YamlMappingNode Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static YamlNode At(YamlNode node, params string[] keys)
        => keys.Aggregate(node, (current, key) => ((YamlMappingNode)current).Children[new YamlScalarNode(key)]);

    public static TheoryData<string> AwkwardValues() => new()
    {
        "host: port", "# not a comment", "a #b", "it's \"quoted\"", "line one\nline two\r\n", "cost $5, ${HOME} and $$", "true", "no", "~", "null",
        "08", "1e3", "", " padded ", "tab\there", "back\\slash", "next\u0085line", "sep\u2028arator", "bell\u0007", "- dash", "[list]", "{map}", "&anchor *alias !tag",
        "%directive", "@at `tick`", "|literal", ">folded", "? key", "h\u00e9llo \U0001F680",
    };

    [Theory]
    [MemberData(nameof(AwkwardValues))]
    public void An_environment_value_reads_back_as_written_with_dollars_doubled_for_compose(string value)
    {
        var service = Service("api", "/src/Api/Api.csproj") with { Environment = [new("VALUE", value), new("true", "key that YAML 1.1 reads as a boolean")] };
        YamlMappingNode root = Parse(ComposeYaml.Write([service], "/src"));
        var environment = (YamlMappingNode)At(root, "services", "api", "environment");
        // Compose reads "$$" as one "$": the YAML holds the value with each "$" doubled, and nothing else changed.
        Assert.Equal(value.Replace("$", "$$", StringComparison.Ordinal), ((YamlScalarNode)environment.Children[new YamlScalarNode("VALUE")]).Value);
        Assert.Equal("key that YAML 1.1 reads as a boolean", ((YamlScalarNode)environment.Children[new YamlScalarNode("true")]).Value);
        Assert.All(environment.Children.Values, v => Assert.Equal(YamlDotNet.Core.ScalarStyle.DoubleQuoted, ((YamlScalarNode)v).Style));
    }

    [Fact]
    public void Every_scalar_is_double_quoted_and_each_line_is_plain_ascii_structure_or_a_quoted_value()
    {
        var service = Service("api", "/src/Api/Api.csproj") with { Environment = [new("A", "x\ny")] };
        string yaml = ComposeYaml.Write([service], "/src");
        Assert.DoesNotContain("\ny", yaml);   // the newline is escaped, not written
        Assert.Contains("      \"A\": \"x\\ny\"\n", yaml);
        Assert.Contains("    image: \"localhost:5000/apps/api@sha256:", yaml);
        Assert.Contains("      - \"8080:8080\"\n", yaml);
        Assert.DoesNotContain("\r", yaml);
    }

    [Fact]
    public void The_same_services_in_any_order_give_the_same_bytes_sorted_by_name()
    {
        ComposeService web = Service("web", "/src/Web/Web.csproj", "/src/Api/Api.csproj", "/src/Lib/Lib.csproj") with
        {
            Environment = [new("Z", "1"), new("A", "2")],
            Volumes = ["/var/lib/data", "/cache"],
            Ports = [new ComposePort(9090, 8080, "tcp"), new ComposePort(5353, 53, "udp")],
        };
        ComposeService api = Service("api", "/src/Api/Api.csproj");
        ComposeService worker = Service("worker", "/src/Worker/Worker.csproj", "/src/Api/Api.csproj", "/src/Web/Web.csproj") with { Ports = [] };
        string one = ComposeYaml.Write([web, api, worker], "/src");
        string two = ComposeYaml.Write([worker, api, web with { Environment = [new("A", "2"), new("Z", "1")], Volumes = ["/cache", "/var/lib/data"] }], "/src");
        Assert.Equal(one, two);

        YamlMappingNode root = Parse(one);
        var services = (YamlMappingNode)At(root, "services");
        Assert.Equal(["api", "web", "worker"], services.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        Assert.Equal(["A", "Z"], ((YamlMappingNode)At(services, "web", "environment")).Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        // Only references that are services become depends_on (Lib is a library).
        Assert.Equal(["api"], ((YamlSequenceNode)At(services, "web", "depends_on")).Select(n => ((YamlScalarNode)n).Value));
        Assert.Equal(["api", "web"], ((YamlSequenceNode)At(services, "worker", "depends_on")).Select(n => ((YamlScalarNode)n).Value));
        Assert.Equal(["web-cache:/cache", "web-var-lib-data:/var/lib/data"], ((YamlSequenceNode)At(services, "web", "volumes")).Select(n => ((YamlScalarNode)n).Value));
        Assert.Equal(["web-cache", "web-var-lib-data"], ((YamlMappingNode)At(root, "volumes")).Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        Assert.Equal(["9090:8080", "5353:53/udp"], ((YamlSequenceNode)At(services, "web", "ports")).Select(n => ((YamlScalarNode)n).Value));
        Assert.False(((YamlMappingNode)At(services, "worker")).Children.ContainsKey(new YamlScalarNode("ports")));
        Assert.Contains("    # Web/Web.csproj, image published 2026-12-01 10:00:00 UTC\n", one);
    }

    [Fact]
    public void Ports_default_to_each_exposed_port_on_the_same_host_port_and_can_be_chosen_or_left_out()
    {
        Assert.Equal([new ComposePort(53, 53, "udp"), new ComposePort(8080, 8080, "tcp")], ComposePort.From(null, ["8080/tcp", "53/udp", "8080"]));
        Assert.Equal([new ComposePort(8081, 8080, "tcp"), new ComposePort(9000, 53, "udp")], ComposePort.From(" 9000:53/udp; 8081:8080 ", ["8080/tcp"]));
        Assert.Empty(ComposePort.From("None", ["8080/tcp"]));
        foreach (string bad in new[] { "8080", "0:8080", "8081:70000", "a:80", "8081:8080/http", ":80" })
        {
            var e = Assert.Throws<ContainerTasksException>(() => ComposePort.From(bad, []));
            Assert.Equal(ErrorCodes.ComposeFileFailed, e.Code);
            Assert.Contains("ContainerComposePorts", e.Message);
        }
    }

    [Fact]
    public void A_publish_with_no_change_leaves_the_file_untouched_and_a_changed_image_rewrites_it()
    {
        using var dir = new TempDirectory();
        string file = dir["compose.yaml"];
        ComposeService api = Service("api", dir["Api/Api.csproj"]);
        ComposeService web = Service("web", dir["Web/Web.csproj"], dir["Api/Api.csproj"]) with { Ports = [new ComposePort(8081, 8080, "tcp")] };
        string[] solution = [api.Project, web.Project];
        ComposeFile.Update(file, api, solution, default);
        ComposeFileResult both = ComposeFile.Update(file, web, solution, default);
        Assert.True(both.Written);
        Assert.Equal(["api", "web"], both.Services.Select(s => s.Name));
        byte[] bytes = File.ReadAllBytes(file);
        File.SetLastWriteTimeUtc(file, Earlier.UtcDateTime);

        // Published again with the same image, at a later time: the records keep their first time, the file its bytes and mtime.
        ComposeFileResult again = ComposeFile.Update(file, api with { Published = DateTimeOffset.UtcNow }, solution, default);
        Assert.False(again.Written);
        Assert.Equal(bytes, File.ReadAllBytes(file));
        Assert.Equal(Earlier.UtcDateTime, File.GetLastWriteTimeUtc(file));

        ComposeFileResult changed = ComposeFile.Update(file, api with { Image = "localhost:5000/apps/api@sha256:" + new string('b', 64), Published = DateTimeOffset.UtcNow }, solution, default);
        Assert.True(changed.Written);
        Assert.Contains(new string('b', 64), File.ReadAllText(file));
        Assert.DoesNotContain(new string('a', 64) + "\"\n    ports:\n      - \"8080", File.ReadAllText(file));
        Assert.Empty(Directory.EnumerateFiles(dir.Path, ".*.tmp"));
    }

    [Fact]
    public void Services_of_projects_no_longer_in_the_solution_are_left_out_and_alone_a_project_keeps_those_whose_files_exist()
    {
        using var dir = new TempDirectory();
        string file = dir["compose.yaml"];
        Directory.CreateDirectory(dir["Api"]);
        File.WriteAllText(dir["Api/Api.csproj"], "<Project />");
        ComposeFile.Update(file, Service("api", dir["Api/Api.csproj"]), null, default);
        ComposeFile.Update(file, Service("gone", dir["Gone/Gone.csproj"]) with { Ports = [] }, null, default);

        // In a solution that no longer lists Gone, its record is ignored.
        ComposeFileResult solution = ComposeFile.Update(file, Service("web", dir["Web/Web.csproj"]) with { Ports = [] }, [dir["Api/Api.csproj"], dir["Web/Web.csproj"]], default);
        Assert.Equal(["api", "web"], solution.Services.Select(s => s.Name));
        // Alone: the services of other projects whose files exist (Api; not Gone, not Web, whose files are not there).
        ComposeFileResult alone = ComposeFile.Update(file, Service("tool", dir["Tool/Tool.csproj"]) with { Ports = [] }, null, default);
        Assert.Equal(["api", "tool"], alone.Services.Select(s => s.Name));
    }

    [Fact]
    public void Two_projects_with_one_service_name_or_one_host_port_fail_with_CT4135_naming_both()
    {
        using var dir = new TempDirectory();
        string file = dir["compose.yaml"];
        string[] solution = [dir["A/Api.csproj"], dir["B/Api.csproj"], dir["C/Web.csproj"]];
        ComposeFile.Update(file, Service("api", solution[0]), solution, default);
        var name = Assert.Throws<ContainerTasksException>(() => ComposeFile.Update(file, Service("api", solution[1]) with { Ports = [] }, solution, default));
        Assert.Equal(ErrorCodes.ComposeServiceClash, name.Code);
        Assert.Contains(solution[0], name.Message);
        Assert.Contains(solution[1], name.Message);
        Assert.Contains("ContainerComposeService", name.Message);

        using var other = new TempDirectory();
        ComposeFile.Update(other["compose.yaml"], Service("api", solution[0]), solution, default);
        var port = Assert.Throws<ContainerTasksException>(() => ComposeFile.Update(other["compose.yaml"], Service("web", solution[2]), solution, default));
        Assert.Equal(ErrorCodes.ComposeServiceClash, port.Code);
        Assert.Contains("host port 8080/tcp", port.Message);
        Assert.Contains("<ContainerComposePorts>8081:8080</ContainerComposePorts>", port.Message);
    }

    [Fact]
    public void Projects_writing_at_once_each_add_their_service_and_the_last_write_holds_them_all()
    {
        using var dir = new TempDirectory();
        string file = dir["compose.yaml"];
        var services = Enumerable.Range(0, 12).Select(i => Service($"svc{i:00}", dir[$"P{i}/P{i}.csproj"]) with { Ports = [new ComposePort(9000 + i, 8080, "tcp")] }).ToList();
        string[] solution = services.Select(s => s.Project).ToArray();
        Parallel.ForEach(services, new ParallelOptions { MaxDegreeOfParallelism = 12 }, s => ComposeFile.Update(file, s, solution, default));
        var names = ((YamlMappingNode)At(Parse(File.ReadAllText(file)), "services")).Children.Keys.Select(k => ((YamlScalarNode)k).Value).ToList();
        Assert.Equal(services.Select(s => s.Name), names);
        Assert.Equal(12, Directory.EnumerateFiles(new ComposeRecords(file).Directory, "*.json").Count());
    }

    [Fact]
    public void A_record_that_cannot_be_read_is_skipped_and_its_project_writes_it_again()
    {
        using var dir = new TempDirectory();
        string file = dir["compose.yaml"];
        var records = new ComposeRecords(file);
        ComposeService api = Service("api", dir["Api/Api.csproj"]);
        ComposeFile.Update(file, api, [api.Project], default);
        File.WriteAllText(records.PathOf(api.Project), "{\"name\":null}");
        Assert.Empty(records.ReadAll());
        ComposeFile.Update(file, api, [api.Project], default);
        Assert.Equal(api with { Published = Earlier }, Assert.Single(records.ReadAll()), new ServiceComparer());
    }

    private sealed class ServiceComparer : IEqualityComparer<ComposeService>
    {
        public bool Equals(ComposeService? x, ComposeService? y) => x is not null && y is not null && x.SameAs(y) && x.Published == y.Published;
        public int GetHashCode(ComposeService obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }

    [Fact]
    public void A_compose_path_that_is_a_folder_fails_with_CT4136()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<ContainerTasksException>(() => ComposeFile.Update(dir.Path, Service("api", dir["Api/Api.csproj"]), null, default));
        Assert.Equal(ErrorCodes.ComposeFileFailed, e.Code);
        Assert.Contains("a folder", e.Message);
    }
}
