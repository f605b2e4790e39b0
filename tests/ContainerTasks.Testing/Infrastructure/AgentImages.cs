using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests.Infrastructure;

/// <summary>
/// "Agent" images as vendors ship them (an APM agent, a profiler): built FROM scratch by umoci (an independent writer),
/// two layers (<c>/otel/</c>, then <c>/opt/profiler/</c>) and environment variables, pushed with skopeo.
/// </summary>
public static class AgentImages
{
    /// <summary>The file each agent image holds: <c>/otel/agent.txt</c>, whose text is <c>agent for ARCH</c>.</summary>
    public const string MarkerPath = "otel/agent.txt";

    /// <summary>
    /// Builds an agent image for each of <paramref name="architectures"/> (linux) and pushes it to
    /// <paramref name="repositoryAndTag"/> of <paramref name="server"/>: the image itself for one architecture, an OCI index
    /// over them for several. Returns the reference.
    /// </summary>
    public static string Push(RegistryServer server, string repositoryAndTag, string[] environment, params string[] architectures)
    {
        using var dir = new TempDirectory("ct-agent-");
        string layout = dir["layout"];
        Run.Checked("umoci", "init", "--layout", layout);
        foreach (string arch in architectures)
        {
            string content = dir[$"content-{arch}"];
            Directory.CreateDirectory(Path.Combine(content, "otel"));
            Directory.CreateDirectory(Path.Combine(content, "profiler"));
            File.WriteAllText(Path.Combine(content, MarkerPath), $"agent for {arch}\n");
            File.WriteAllText(Path.Combine(content, "profiler", "libprofiler.so"), $"profiler for {arch}\n");
            string image = $"{layout}:{arch}";
            Run.Checked("umoci", "new", "--image", image);
            Run.Checked("umoci", "insert", "--image", image, Path.Combine(content, "otel"), "/otel");
            Run.Checked("umoci", "insert", "--image", image, Path.Combine(content, "profiler"), "/opt/profiler");
            Run.Checked("umoci", ["config", "--image", image, "--os", "linux", "--architecture", arch, .. environment.SelectMany(e => new[] { "--config.env", e })]);
        }
        string tag = architectures.Length == 1 ? architectures[0] : WriteIndex(layout, architectures);
        string reference = server.Reference(repositoryAndTag);
        Run.Process("skopeo", ["copy", "--quiet", "--all", .. server.SkopeoOptions("dest", RegistryUsers.Pusher), $"oci:{layout}:{tag}", $"docker://{reference}"],
            environment: server.ChildEnvironment, timeout: TimeSpan.FromMinutes(2)).EnsureSuccess($"skopeo copy of the agent to {reference}");
        return reference;
    }

    // An OCI index over the layout's tags, one entry per architecture, tagged "index".
    private static string WriteIndex(string layout, string[] architectures)
    {
        string indexFile = Path.Combine(layout, "index.json");
        JsonNode root = JsonNode.Parse(File.ReadAllText(indexFile))!;
        JsonArray manifests = root["manifests"]!.AsArray();
        var entries = new JsonArray();
        foreach (string arch in architectures)
        {
            JsonNode entry = manifests.Single(m => m!["annotations"]?["org.opencontainers.image.ref.name"]?.GetValue<string>() == arch)!.DeepClone();
            entry.AsObject().Remove("annotations");
            entry["platform"] = new JsonObject { ["architecture"] = arch, ["os"] = "linux" };
            entries.Add(entry);
        }
        byte[] index = System.Text.Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = entries,
        }.ToJsonString());
        string digest = Convert.ToHexString(SHA256.HashData(index)).ToLowerInvariant();
        File.WriteAllBytes(Path.Combine(layout, "blobs", "sha256", digest), index);
        manifests.Add(new JsonObject
        {
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["digest"] = "sha256:" + digest,
            ["size"] = index.Length,
            ["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "index" },
        });
        File.WriteAllText(indexFile, root.ToJsonString());
        return "index";
    }
}
