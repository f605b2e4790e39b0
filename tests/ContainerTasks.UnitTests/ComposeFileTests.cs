using System.Text;
using ContainerTasks.Compose;
using ContainerTasks.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace ContainerTasks.Tests;

/// <summary>The compose file: its YAML read back by a real YAML parser, its determinism, and several projects writing it at once.</summary>
public class ComposeFileTests
{
    private static readonly DateTimeOffset Earlier = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    /// <summary>A pushed service publishing 8080, published at <see cref="Earlier"/>.</summary>
    internal static ComposeService Service(string name, string project, params string[] references) => new()
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
    public void Two_projects_with_one_service_name_or_one_chosen_host_port_fail_with_CT4135_naming_both_and_a_free_port()
    {
        using var dir = new TempDirectory();
        string file = dir["compose.yaml"];
        string[] solution = [dir["A/Api.csproj"], dir["B/Api.csproj"], dir["C/Web.csproj"], dir["D/Admin.csproj"]];
        ComposeFile.Update(file, Service("api", solution[0]), solution, default);
        var name = Assert.Throws<ContainerTasksException>(() => ComposeFile.Update(file, Service("api", solution[1]) with { Ports = [] }, solution, default));
        Assert.Equal(ErrorCodes.ComposeServiceClash, name.Code);
        Assert.Contains(solution[0], name.Message);
        Assert.Contains(solution[1], name.Message);
        Assert.Contains("ContainerComposeService", name.Message);

        using var other = new TempDirectory();
        ComposeFile.Update(other["compose.yaml"], Service("api", solution[0]) with { PortsChosen = true }, solution, default);
        ComposeFile.Update(other["compose.yaml"], Service("admin", solution[3]) with { PortsChosen = true, Ports = [new ComposePort(8081, 80, "tcp")] }, solution, default);
        var port = Assert.Throws<ContainerTasksException>(() => ComposeFile.Update(other["compose.yaml"], Service("web", solution[2]) with { PortsChosen = true }, solution, default));
        Assert.Equal(ErrorCodes.ComposeServiceClash, port.Code);
        Assert.Contains("host port 8080/tcp", port.Message);
        // 8081 is admin's: the suggestion is a port no service of the file publishes.
        Assert.Contains("<ContainerComposePorts>8082:8080</ContainerComposePorts> in Web.csproj (8082 is free in this file)", port.Message);
    }

    [Fact]
    public void Two_web_projects_on_default_ports_get_the_next_free_host_port_in_name_order_said_in_the_file()
    {
        using var dir = new TempDirectory();
        string file = dir["compose.yaml"];
        ComposeService web = Service("web", dir["Web/Web.csproj"]);
        ComposeService api = Service("api", dir["Api/Api.csproj"]);
        ComposeService admin = Service("admin", dir["Admin/Admin.csproj"]) with { PortsChosen = true, Ports = [new ComposePort(8081, 80, "tcp")] };
        string[] solution = [web.Project, api.Project, admin.Project];
        ComposeFile.Update(file, web, solution, default);
        ComposeFile.Update(file, admin, solution, default);
        ComposeFileResult all = ComposeFile.Update(file, api, solution, default);

        // admin chose 8081; api comes before web: api keeps 8080, web gets the next port nobody asks for.
        Assert.Equal(["8081:80", "8080:8080", "8082:8080"], all.Services.Select(s => s.Ports.Single().ToString()));
        ComposeService moved = all.Services.Single(s => s.Name == "web");
        Assert.Equal("host port 8082 for container port 8080/tcp, as 'api' publishes 8080; set ContainerComposePorts in Web.csproj to choose", Assert.Single(moved.Notes));
        string yaml = File.ReadAllText(file);
        Assert.Contains("    # host port 8082 for container port 8080/tcp, as 'api' publishes 8080; set ContainerComposePorts in Web.csproj to choose\n    image:", yaml);
        Assert.Equal(["8082:8080"], ((YamlSequenceNode)At(Parse(yaml), "services", "web", "ports")).Select(n => ((YamlScalarNode)n).Value));

        // Published again, in another order: the same bytes, not written.
        Assert.False(ComposeFile.Update(file, api, solution, default).Written);
        Assert.False(ComposeFile.Update(file, web, solution, default).Written);
        Assert.Equal(yaml, File.ReadAllText(file));
        // The saved record keeps the port the image asks for, not the one it was given.
        Assert.Equal(8080, new ComposeRecords(file).ReadAll().Single(s => s.Name == "web").Ports.Single().Host);
    }

    [Fact]
    public void A_default_port_with_no_free_port_above_it_is_CT4135()
    {
        using var dir = new TempDirectory();
        ComposeService a = Service("a", dir["A/A.csproj"]) with { Ports = [new ComposePort(65535, 80, "tcp")] };
        ComposeService b = Service("b", dir["B/B.csproj"]) with { Ports = [new ComposePort(65535, 80, "tcp")] };
        var e = Assert.Throws<ContainerTasksException>(() => HostPorts.Assign([a, b]));
        Assert.Equal(ErrorCodes.ComposeServiceClash, e.Code);
        Assert.Contains("No host port above 65535 is free", e.Message);
    }

    [Fact]
    public void A_service_named_by_tag_moves_its_publish_time_when_the_image_digest_changes()
    {
        using var dir = new TempDirectory();
        string file = dir["compose.yaml"];
        ComposeService api = Service("api", dir["Api/Api.csproj"]) with { Image = "api:latest", ByTag = true, Digest = "sha256:" + new string('1', 64) };
        ComposeFile.Update(file, api, null, default);
        Assert.False(ComposeFile.Update(file, api with { Published = Earlier.AddDays(1) }, null, default).Written);
        Assert.True(ComposeFile.Update(file, api with { Published = Earlier.AddDays(1), Digest = "sha256:" + new string('2', 64) }, null, default).Written);
        string yaml = File.ReadAllText(file);
        Assert.Contains("image published 2026-12-02 10:00:00 UTC (by tag", yaml);
        Assert.DoesNotContain(new string('2', 64), yaml); // the digest is in the record only
    }

    [Fact]
    public void Characters_YAML_does_not_allow_are_escaped_so_the_file_stays_valid_UTF8_YAML()
    {
        string value = "a\uFFFEb\uFFFFc\uD800d\uDC00e\U0001F680f\u0080g";
        string quoted = ComposeYaml.Quote(value);
        // A lone surrogate cannot be in a UTF-8 file, and libyaml-based parsers (compose's) refuse its escape: U+FFFD.
        Assert.Equal("\"a\\uFFFEb\\uFFFFc\\uFFFDd\\uFFFDe\U0001F680f\\u0080g\"", quoted);
        var service = Service("api", "/src/Api\uFFFE\U0001F680/Api.csproj") with { Environment = [new("V", "x\uFFFFy"), new("W", "c\uD800d")] };
        string yaml = ComposeYaml.Write([service], "/src");
        _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(yaml);
        Assert.DoesNotContain(yaml, c => c is '\uFFFE' or '\uFFFF');   // and no lone surrogate: the strict encoder above would throw
        Assert.Contains("    # Api?\U0001F680/Api.csproj, image published", yaml);
        Assert.Equal("x\uFFFFy", ((YamlScalarNode)At(Parse(yaml), "services", "api", "environment", "V")).Value);
        Assert.Equal("c\uFFFDd", ((YamlScalarNode)At(Parse(yaml), "services", "api", "environment", "W")).Value);
    }

    [Fact]
    public void Volume_paths_that_would_share_a_name_each_get_a_short_hash_the_same_every_time()
    {
        var service = Service("svc", "/src/Svc/Svc.csproj") with { Volumes = ["/a-b", "/a/b", "/data"] };
        var other = Service("svc-a", "/src/Other/Other.csproj") with { Volumes = ["/b", "/c"], Ports = [] };
        string yaml = ComposeYaml.Write([service, other], "/src");
        Assert.Equal(yaml, ComposeYaml.Write([other, service], "/src"));
        var names = ((YamlMappingNode)At(Parse(yaml), "volumes")).Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();
        // svc's /a-b and /a/b, and svc-a's /b, would all be svc-a-b; the others keep their plain names.
        Assert.Equal(5, names.Count);
        Assert.Contains("svc-data", names);
        Assert.Contains("svc-a-c", names);
        Assert.Equal(3, names.Count(n => System.Text.RegularExpressions.Regex.IsMatch(n, "^svc-a-b-[0-9a-f]{8}$")));
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
