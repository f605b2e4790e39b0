using System.Text.Json;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// The same project published by the SDK's built-in container support and by ContainerTasks gives the
/// same image config, except for the differences the committed allow-list names with their reasons.
/// </summary>
[Collection(ImageCollection.Name)]
public sealed class ParityTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>
{
    private static readonly string[] ComparedFields = ["Env", "Entrypoint", "Cmd", "WorkingDir", "User", "ExposedPorts", "Volumes", "Labels"];

    [Fact]
    public async Task The_builtin_and_ContainerTasks_agree_on_the_config_but_for_the_allowed_differences()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        // The built-in treats only "localhost" as insecure by itself.
        var env = new Dictionary<string, string?> { ["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = server.Host };
        string[] common = ["publish", project, "-c", "Release", "-t:PublishContainer", $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}"];

        feed.Dotnet([.. common, "-p:ContainerRepository=parity/builtin"], env).EnsureSuccess("built-in publish");
        feed.Dotnet([.. common, "-p:ContainerRepository=parity/ours", $"-p:ContainerTasksVersion={feed.Version}"], env).EnsureSuccess("ContainerTasks publish");

        JsonElement builtin = Config(server, "parity/builtin:latest");
        JsonElement ours = Config(server, "parity/ours:latest");
        var allowed = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "parity-allowlist.json"))).RootElement
            .GetProperty("differences").EnumerateArray().Select(d => d.GetProperty("field").GetString()!).ToHashSet();

        var differences = new List<string>();
        foreach (string field in ComparedFields)
        {
            JsonElement? a = builtin.TryGetProperty(field, out var av) && av.ValueKind != JsonValueKind.Null ? av : null;
            JsonElement? b = ours.TryGetProperty(field, out var bv) && bv.ValueKind != JsonValueKind.Null ? bv : null;
            if (field == "Labels")
            {
                var left = Map(a);
                var right = Map(b);
                foreach (string key in left.Keys.Union(right.Keys))
                {
                    left.TryGetValue(key, out string? l);
                    right.TryGetValue(key, out string? r);
                    if (l != r && !allowed.Contains($"Labels.{key}"))
                    {
                        differences.Add($"Labels.{key}: built-in '{l}', ContainerTasks '{r}'");
                    }
                }
                continue;
            }
            string left1 = Normalize(a);
            string right1 = Normalize(b);
            if (left1 != right1 && !allowed.Contains(field))
            {
                differences.Add($"{field}: built-in {left1}, ContainerTasks {right1}");
            }
        }
        Assert.True(differences.Count == 0, "Differences not in parity-allowlist.json:\n" + string.Join("\n", differences));
        // The comparison is not hollow: both images have the sample's settings.
        Assert.Contains("GREETING=built by ContainerTasks", ours.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("1654", builtin.GetProperty("User").GetString());
        // And the first image really is the built-in's: it carries the build-time label ours leaves out.
        Assert.True(builtin.GetProperty("Labels").TryGetProperty("org.opencontainers.image.created", out _));
        Assert.False(ours.GetProperty("Labels").TryGetProperty("org.opencontainers.image.created", out _));
    }

    private static JsonElement Config(RegistryServer server, string reference)
    {
        string json = Run.Process("skopeo", ["inspect", "--config", "--tls-verify=false", $"docker://{server.Reference(reference)}"]).EnsureSuccess("skopeo inspect").StandardOutput;
        return JsonDocument.Parse(json).RootElement.GetProperty("config").Clone();
    }

    private static Dictionary<string, string> Map(JsonElement? element)
        => element is { ValueKind: JsonValueKind.Object } e ? e.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString()) : new();

    // Objects compare by their keys (ExposedPorts, Volumes are sets); empty and missing are the same.
    private static string Normalize(JsonElement? element) => element switch
    {
        null => "(none)",
        { ValueKind: JsonValueKind.Object } o => o.EnumerateObject().Any() ? string.Join(",", o.EnumerateObject().Select(p => p.Name).Order()) : "(none)",
        { ValueKind: JsonValueKind.Array } a => a.GetArrayLength() == 0 ? "(none)" : a.GetRawText(),
        { ValueKind: JsonValueKind.String } s => s.GetString() is { Length: > 0 } text ? text : "(none)",
        var other => other.Value.GetRawText(),
    };
}
