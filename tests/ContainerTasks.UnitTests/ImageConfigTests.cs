using System.Text;
using System.Text.Json;
using ContainerTasks.Model;
using ContainerTasks.Tests.Infrastructure;
using static ContainerTasks.Tests.Infrastructure.ConfigSamples;

namespace ContainerTasks.Tests;

public class ImageConfigTests
{
    // Objects the edit rewrites (the top level, "config", "Labels") lose only the white space between
    // their own members; every value they hold that was not edited keeps its bytes.
    [Fact]
    public void Untouched_members_keep_their_exact_bytes_escapes_and_number_spellings()
    {
        EditedConfig(out byte[] bytes);
        string output = Encoding.UTF8.GetString(bytes);
        Assert.Contains("\"author\":\"Jane \\u0026 <team> +1\"", output);
        Assert.Contains("\"x-unknown\":{\"nested\": {\"deep\": [1.0, 1e3, -0.0, 12345678901234567890], \"s\": \"a\\/b \\u00e9\"}}", output);
        Assert.Contains("\"created\": \"2024-05-06T07:08:09.123456789Z\", \"created_by\"", output);
        Assert.Contains("\"OnBuild\":[\"RUN echo \\u003cbuild\\u003e\"]", output);
        Assert.Contains("\"Healthcheck\":{\"Test\": [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"], \"Interval\": 30000000000, \"Retries\": 3}", output);
        Assert.Contains("\"KEEP=x\\u003dy\"", output);
        Assert.Contains("\"keep.me\":\"1\"", output);
        Assert.Contains("\"os.features\":[\"win32k\"]", output);
        Assert.Contains("\"2024-05-06T07:08:10.5Z\", \"created_by\": \"/bin/sh -c #(nop)  CMD [\\\"sh\\\"]\", \"empty_layer\": true}", output);
    }

    [Fact]
    public void Changed_members_hold_the_new_values_unescaped_where_json_allows()
    {
        var config = EditedConfig(out byte[] bytes);
        string output = Encoding.UTF8.GetString(bytes);
        Assert.Contains("\"NEW_VAR=a+b&c<d>\"", output);
        Assert.Contains("\"added\":\"+&<>\"", output);
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP_UID=1000", "KEEP=x=y", "NEW_VAR=a+b&c<d>"], config.Env);
        Assert.Equal(["dotnet", "/app/app.dll"], config.Entrypoint!);
        Assert.Null(config.Cmd); // ENTRYPOINT without CMD clears the base CMD, as a Dockerfile does.
        Assert.Equal(["80/tcp", "8080/tcp", "53/udp"], config.ExposedPorts);
        Assert.Equal(["/var/log", "/data"], config.Volumes);
        Assert.Equal("Us", config.Labels["org.opencontainers.image.vendor"]);
        Assert.Equal("1654", config.User);
        Assert.Equal("/app/", config.WorkingDirectory);
        Assert.Equal(2, config.DiffIds.Count);
        Assert.Equal(3, config.HistoryCount);
        Assert.Equal(new Platform("linux", "arm64", "v8", "10.0.17763.1"), config.Platform with { OsFeatures = null });
        using var document = JsonDocument.Parse(bytes);
        Assert.Equal("2023-11-14T22:13:20Z", document.RootElement.GetProperty("created").GetString());
        Assert.Equal("2023-11-14T22:13:20Z", document.RootElement.GetProperty("history")[2].GetProperty("created").GetString());
    }

    [Fact]
    public void Reading_fields_does_not_change_the_bytes()
    {
        var config = ImageConfig.Parse(Encoding.UTF8.GetBytes(BaseConfig));
        _ = config.Env;
        _ = config.Labels;
        _ = config.DiffIds;
        _ = config.Platform;
        byte[] bytes = config.ToBytes();
        // Top-level white space is the only thing re-written; each member is identical.
        using var original = JsonDocument.Parse(BaseConfig);
        foreach (var member in original.RootElement.EnumerateObject())
        {
            Assert.Contains(member.Value.GetRawText(), Encoding.UTF8.GetString(bytes));
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("80/sctpx")]
    [InlineData("http")]
    public void Bad_ports_are_CT1009(string port)
    {
        var config = ImageConfig.Parse(Encoding.UTF8.GetBytes(BaseConfig));
        var error = Assert.Throws<ContainerTasksException>(() => config.Apply(new ConfigChanges { ExposedPorts = [port] }));
        Assert.Equal("CT1009", error.Code);
    }

    [Fact]
    public void A_relative_working_directory_and_a_bad_env_name_are_CT1009()
    {
        var config = ImageConfig.Parse(Encoding.UTF8.GetBytes(BaseConfig));
        Assert.Equal("CT1009", Assert.Throws<ContainerTasksException>(() => config.Apply(new ConfigChanges { WorkingDirectory = "app" })).Code);
        Assert.Equal("CT1009", Assert.Throws<ContainerTasksException>(() => config.Apply(new ConfigChanges { Environment = [new("A=B", "c")] })).Code);
    }

    [Fact]
    public void A_config_with_null_sections_gets_them_created()
    {
        var config = ImageConfig.Parse("""{"architecture":"amd64","os":"linux","config":null,"rootfs":{"type":"layers","diff_ids":[]},"history":null}"""u8.ToArray());
        config.Apply(new ConfigChanges { Environment = [new("A", "1")] });
        config.AppendLayer(Digest.Sha256("x"u8), new HistoryEntry("x", Timestamps.Default));
        using var document = JsonDocument.Parse(config.ToBytes());
        Assert.Equal("A=1", document.RootElement.GetProperty("config").GetProperty("Env")[0].GetString());
        Assert.Equal(1, document.RootElement.GetProperty("history").GetArrayLength());
    }

    [Fact]
    public void SOURCE_DATE_EPOCH_is_parsed_strictly()
    {
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), Timestamps.FromSourceDateEpoch("1700000000"));
        Assert.Null(Timestamps.FromSourceDateEpoch(""));
        Assert.Equal("CT1009", Assert.Throws<ContainerTasksException>(() => Timestamps.FromSourceDateEpoch("yesterday")).Code);
        Assert.Equal("CT1009", Assert.Throws<ContainerTasksException>(() => Timestamps.FromSourceDateEpoch("-5")).Code);
    }

    [Theory]
    [InlineData("""{"architecture":"amd64","os":"linux","config":{"User":"app"},"Config":{"User":"root"},"rootfs":{"type":"layers","diff_ids":[]}}""", "Config")]
    [InlineData("""{"architecture":"amd64","os":"linux","config":{"User":"app","user":"root"},"rootfs":{"type":"layers","diff_ids":[]}}""", "user")]
    [InlineData("""{"architecture":"amd64","os":"linux","config":{"Entrypoint":["a"],"Entrypoint":["b"]},"rootfs":{"type":"layers","diff_ids":[]}}""", "Entrypoint")]
    [InlineData("""{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]},"RootFS":{"type":"layers","diff_ids":[]}}""", "RootFS")]
    [InlineData("""{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[],"Diff_IDs":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}""", "Diff_IDs")]
    public void A_base_config_with_a_member_repeated_in_another_case_is_refused(string json, string name)
    {
        // Go clients match names case-insensitively and keep the last: the base would override what the build sets.
        var error = Assert.Throws<ContainerTasksException>(() => ImageConfig.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Equal("CT1003", error.Code);
        Assert.Contains($"'{name}'", error.Message);
    }
}
