using System.Diagnostics;
using System.Text;
using ContainerTasks.Compose;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>
/// The compose records against what a hostile or careless hand leaves in <c>.containertasks/</c>: links (to a file to
/// overwrite, a folder to redirect to, /dev/zero), huge files, and records that are not what a publish writes.
/// </summary>
public class ComposeRecordsTests
{
    private static ComposeService Service(string name, string project) => ComposeFileTests.Service(name, project);

    [Fact]
    public void A_link_planted_at_the_old_temporary_name_or_at_the_record_leaves_its_target_untouched()
    {
        using var dir = new TempDirectory();
        string file = dir["compose.yaml"];
        var records = new ComposeRecords(file);
        ComposeService api = Service("api", dir["Api/Api.csproj"]);
        Directory.CreateDirectory(records.Directory);
        File.WriteAllText(dir["bashrc"], "keep me");
        File.WriteAllText(dir["profile"], "keep me too");
        File.CreateSymbolicLink(records.PathOf(api.Project) + ".tmp", dir["bashrc"]);
        File.CreateSymbolicLink(records.PathOf(api.Project), dir["profile"]);

        ComposeFile.Update(file, api, [api.Project], default);

        Assert.Equal("keep me", File.ReadAllText(dir["bashrc"]));
        Assert.Equal("keep me too", File.ReadAllText(dir["profile"]));
        Assert.Null(new FileInfo(records.PathOf(api.Project)).LinkTarget);   // the link itself was replaced by the record
        Assert.Equal("api", Assert.Single(records.ReadAll()).Name);
        Assert.Empty(Directory.EnumerateFiles(records.Directory, ".*.tmp"));
    }

    public static TheoryData<string> LinkedPlaces() => new() { ".containertasks", ".containertasks/compose.yaml.d", ".containertasks/compose.yaml.d/lock" };

    [Theory]
    [MemberData(nameof(LinkedPlaces))]
    public void A_linked_records_folder_or_lock_is_CT4136_naming_the_link_to_remove(string linked)
    {
        using var dir = new TempDirectory();
        string file = dir["compose.yaml"];
        Directory.CreateDirectory(dir["elsewhere"]);
        Directory.CreateDirectory(Path.GetDirectoryName(dir[linked])!);
        if (linked.EndsWith("lock", StringComparison.Ordinal))
        {
            File.CreateSymbolicLink(dir[linked], dir["elsewhere/created-by-the-lock"]); // dangling: opening it would create the target
        }
        else
        {
            Directory.CreateSymbolicLink(dir[linked], dir["elsewhere"]);
        }
        var e = Assert.Throws<ContainerTasksException>(() => ComposeFile.Update(file, Service("api", dir["Api/Api.csproj"]), null, default));
        Assert.Equal(ErrorCodes.ComposeFileFailed, e.Code);
        Assert.Contains($"'{dir[linked]}' is a symbolic link", e.Message);
        Assert.Contains("Remove the link", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir["elsewhere"]));
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void A_record_linked_to_dev_zero_or_of_2_MB_is_skipped_quickly_and_said()
    {
        using var dir = new TempDirectory();
        string file = dir["compose.yaml"];
        var records = new ComposeRecords(file);
        ComposeService api = Service("api", dir["Api/Api.csproj"]);
        ComposeFile.Update(file, api, null, default);
        File.CreateSymbolicLink(records.PathOf(dir["Zero/Zero.csproj"]), "/dev/zero");
        File.WriteAllBytes(records.PathOf(dir["Big/Big.csproj"]), Encoding.UTF8.GetBytes("{\"name\":\"" + new string('x', 2 * 1024 * 1024) + "\"}"));

        var watch = Stopwatch.StartNew();
        var skipped = new List<string>();
        var read = records.ReadAll(skipped);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal("api", Assert.Single(read).Name);
        Assert.Equal(2, skipped.Count);
        Assert.Contains(skipped, m => m.Contains("Big-", StringComparison.Ordinal) && m.Contains("at most 1 MiB", StringComparison.Ordinal));
        Assert.Contains(skipped, m => m.Contains("Zero-", StringComparison.Ordinal) && m.Contains("symbolic link", StringComparison.Ordinal));
    }

    [Fact]
    public void A_compose_file_linked_to_dev_zero_or_to_another_file_is_replaced_never_read_nor_written_through()
    {
        using var dir = new TempDirectory();
        string file = dir["compose.yaml"];
        ComposeService api = Service("api", dir["Api/Api.csproj"]);
        File.CreateSymbolicLink(file, "/dev/zero");
        var watch = Stopwatch.StartNew();
        Assert.True(ComposeFile.Update(file, api, null, default).Written);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Null(new FileInfo(file).LinkTarget);

        // A link to a file holding the very bytes: still replaced, its target untouched.
        byte[] bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(dir["victim"], bytes);
        File.Delete(file);
        File.CreateSymbolicLink(file, dir["victim"]);
        File.SetLastWriteTimeUtc(dir["victim"], new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.True(ComposeFile.Update(file, api, null, default).Written);
        Assert.Null(new FileInfo(file).LinkTarget);
        Assert.Equal(new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc), File.GetLastWriteTimeUtc(dir["victim"]));
    }

    public static TheoryData<string, string> BrokenRecords() => new()
    {
        { "\"ports\":[\"80\"]", "its port '80'" },
        { "\"ports\":[\"99999999999:1/tcp\"]", "its port '99999999999:1/tcp'" },
        { "\"ports\":[\"70000:80/tcp\"]", "from 1 to 65535" },
        { "\"ports\":[\"0:80/tcp\"]", "from 1 to 65535" },
        { "\"ports\":[\"8080:80/http\"]", "its port" },
        { "\"ports\":\"8080:80/tcp\"", "'ports' is missing or not an array" },
        { "\"ports\":[null]", "'ports' holds a Null" },
        { "\"published\":null", "'published'" },
        { "\"published\":\"yesterday\"", "'published' is not a date" },
        { "\"name\":\"bad name\"", "'bad name' is not a service name" },
        { "\"name\":null", "'name'" },
        { "\"image\":42", "'image'" },
        { "\"byTag\":\"no\"", "'byTag'" },
        { "\"environment\":{\"A\":1}", "variable 'A'" },
        { "\"environment\":[]", "'environment'" },
        { "\"volumes\":[null]", "'volumes' holds a Null" },
        { "\"references\":null", "'references'" },
    };

    [Theory]
    [MemberData(nameof(BrokenRecords))]
    public void A_hand_edited_record_is_skipped_with_the_reason_and_the_publish_goes_on(string field, string reason)
    {
        using var dir = new TempDirectory();
        string file = dir["compose.yaml"];
        var records = new ComposeRecords(file);
        string other = dir["Other/Other.csproj"];
        ComposeFile.Update(file, Service("other", other), null, default);
        // The record a publish writes, with one field replaced.
        var record = System.Text.Json.Nodes.JsonNode.Parse(ComposeRecordJson.ToJson(Service("other", other)))!.AsObject();
        foreach (var (key, value) in System.Text.Json.Nodes.JsonNode.Parse("{" + field + "}")!.AsObject().ToList())
        {
            record[key] = value?.DeepClone();
        }
        string broken = record.ToJsonString();
        File.WriteAllText(records.PathOf(other), broken);

        var skipped = new List<string>();
        Assert.Empty(records.ReadAll(skipped));
        Assert.Contains(reason, Assert.Single(skipped));
        ComposeFileResult result = ComposeFile.Update(file, Service("api", dir["Api/Api.csproj"]) with { Ports = [] }, null, default);
        Assert.Equal(["api"], result.Services.Select(s => s.Name));
        Assert.Single(result.Skipped);
    }

    [Fact]
    public void A_record_not_under_its_projects_own_name_is_skipped_so_a_planted_one_adds_no_service()
    {
        using var dir = new TempDirectory();
        string file = dir["compose.yaml"];
        var records = new ComposeRecords(file);
        ComposeService api = Service("api", dir["Api/Api.csproj"]);
        ComposeFile.Update(file, api, [api.Project], default);
        // The same project again, under another service name and image, in a file of another name.
        ComposeService evil = api with { Name = "evil", Image = "evil.example/miner:latest" };
        File.WriteAllBytes(Path.Combine(records.Directory, "Planted-000000000000.json"), ComposeRecordJson.ToJson(evil));
        File.WriteAllBytes(Path.Combine(records.Directory, "Copy-111111111111.json"), ComposeRecordJson.ToJson(api with { Name = "api2" }));

        var skipped = new List<string>();
        Assert.Equal(["api"], records.ReadAll(skipped).Select(s => s.Name));
        Assert.Equal(2, skipped.Count);
        Assert.All(skipped, m => Assert.Contains($"whose record is '{Path.GetFileName(records.PathOf(api.Project))}'", m));
        ComposeFileResult result = ComposeFile.Update(file, Service("web", dir["Web/Web.csproj"]) with { Ports = [] }, [api.Project, dir["Web/Web.csproj"]], default);
        Assert.Equal(["api", "web"], result.Services.Select(s => s.Name));
        Assert.DoesNotContain("evil", File.ReadAllText(file));
    }

    [Fact]
    public void A_record_reads_back_as_written_with_its_digest_and_whether_its_ports_were_chosen()
    {
        ComposeService service = Service("api", "/src/Api/Api.csproj") with
        {
            ByTag = true,
            Image = "api:1.0",
            Digest = "sha256:" + new string('d', 64),
            PortsChosen = true,
            Ports = [new ComposePort(8081, 8080, "tcp"), new ComposePort(5353, 53, "udp")],
            Environment = [new("A", "x\ny $HOME")],
            Volumes = ["/data"],
            References = ["/src/Lib/Lib.csproj"],
        };
        ComposeService read = ComposeRecordJson.FromJson(ComposeRecordJson.ToJson(service));
        Assert.True(read.SameAs(service));
        Assert.Equal(service.Published, read.Published);
        Assert.False(read.SameAs(service with { Digest = "sha256:" + new string('e', 64) }));
    }

    [Fact]
    public void A_record_written_before_digests_and_chosen_ports_were_kept_still_reads()
    {
        const string Earlier = """
            {"name":"api","project":"/src/Api/Api.csproj","image":"api:1.0","byTag":true,"published":"2026-12-01T10:00:00.0000000Z",
             "ports":["8080:8080/tcp"],"environment":{"A":"1"},"volumes":["/data"],"references":[]}
            """;
        ComposeService read = ComposeRecordJson.FromJson(Encoding.UTF8.GetBytes(Earlier));
        Assert.Null(read.Digest);
        Assert.False(read.PortsChosen);
        Assert.Equal([new ComposePort(8080, 8080, "tcp")], read.Ports);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero), read.Published);
    }
}
