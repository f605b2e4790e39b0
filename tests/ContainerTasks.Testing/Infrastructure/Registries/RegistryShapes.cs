using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>An image pushed by <see cref="RegistryShapes"/>, as the registry serves it.</summary>
/// <param name="Reference"><c>HOST/REPOSITORY:TAG</c>.</param>
/// <param name="MediaType">The Content-Type the registry serves the top-level manifest with.</param>
/// <param name="MediaTypeField">The manifest's own <c>mediaType</c> field; null when absent (umoci writes none).</param>
/// <param name="Digest">The digest of the top-level manifest bytes the registry serves.</param>
/// <param name="Children">For lists: platform (<c>os/arch[/variant]</c>, or <c>unknown/unknown</c>) → child manifest digest.</param>
public sealed record PublishedImage(string Reference, string Repository, string Tag, string MediaType, string? MediaTypeField, string Digest,
    IReadOnlyDictionary<string, string> Children);

/// <summary>The test base images in each shape of a real registry (see registry-shapes research notes).</summary>
/// <param name="Oci">Single OCI manifest (<c>shapes/oci:1</c>): the busybox base as umoci made it.</param>
/// <param name="Docker">Single Docker v2 schema 2 manifest (<c>shapes/docker:1</c>), converted by skopeo.</param>
/// <param name="OciIndex">OCI index (<c>shapes/oci-index:1</c>): linux/amd64 (the busybox base), linux/arm64/v8 and linux/arm/v7
/// (copies whose configs say so, same layer), and a BuildKit-style attestation manifest (unknown/unknown).</param>
/// <param name="DockerList">Docker manifest list (<c>shapes/docker-list:1</c>): amd64, arm64/v8 and arm/v7 as Docker manifests (no attestation).</param>
/// <param name="PublicBusybox">The busybox base at <c>public/busybox:1</c>, which anonymous users may pull in token mode.</param>
public sealed record RegistryShapeSet(PublishedImage Oci, PublishedImage Docker, PublishedImage OciIndex, PublishedImage DockerList, PublishedImage PublicBusybox)
{
    /// <summary>All five.</summary>
    public IReadOnlyList<PublishedImage> All => [Oci, Docker, OciIndex, DockerList, PublicBusybox];
}

/// <summary>
/// Publishes the test bases in the shapes registries serve, with skopeo (an independent writer), so registry
/// readers are tested against what real registries hold.
/// </summary>
public static class RegistryShapes
{
    /// <summary>OCI image manifest.</summary>
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";

    /// <summary>OCI image index.</summary>
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";

    /// <summary>Docker v2 schema 2 manifest.</summary>
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

    /// <summary>Docker manifest list.</summary>
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

    /// <summary>Compact JSON without System.Text.Json's default escaping of '+', '&lt;' and the like (media types have '+').</summary>
    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The index/list platform keys of the relabelled copies.</summary>
    public const string Amd64 = "linux/amd64", Arm64 = "linux/arm64/v8", ArmV7 = "linux/arm/v7", Attestation = "unknown/unknown";

    /// <summary>
    /// Pushes every shape into <paramref name="server"/> as <paramref name="pusher"/> (default <c>pusher</c>) and reads
    /// each back (<see cref="InspectAsync"/>).
    /// </summary>
    public static async Task<RegistryShapeSet> PushAsync(RegistryServer server, BaseImages bases, RegistryCredential? pusher = null)
    {
        pusher ??= RegistryUsers.Pusher;
        string busybox = bases.Get("busybox");   // oci:LAYOUT:busybox
        using var scratch = new TempDirectory("ct-shapes-");
        string layout = scratch["layout"];
        BuildMultiPlatformLayout(bases.Layout, "busybox", layout);

        // Independent pushes, two at a time (the machine has two cores).
        (string Source, string Repository, string[] Options)[] copies =
        [
            (busybox, "shapes/oci:1", []),
            (busybox, "shapes/docker:1", ["--format", "v2s2"]),
            ($"oci:{layout}:index", "shapes/oci-index:1", ["--all"]),
            ($"oci:{layout}:list", "shapes/docker-list:1", ["--all", "--format", "v2s2"]),
            (busybox, "public/busybox:1", []),
        ];
        using var slots = new SemaphoreSlim(2);
        PublishedImage[] images = await Task.WhenAll(copies.Select(async copy =>
        {
            await slots.WaitAsync();
            try
            {
                await Task.Run(() => Skopeo(server,
                    ["copy", "--quiet", .. copy.Options, .. server.SkopeoOptions("dest", pusher), copy.Source, $"docker://{server.Reference(copy.Repository)}"]));
                return await InspectAsync(server, copy.Repository, pusher);
            }
            finally
            {
                slots.Release();
            }
        }));
        return new RegistryShapeSet(images[0], images[1], images[2], images[3], images[4]);
    }

    /// <summary>
    /// Reads a pushed image back with <c>skopeo inspect --raw</c> (the manifest bytes exactly as served, so their hash is
    /// the digest), and its Content-Type with a raw HEAD request, checking <c>Docker-Content-Digest</c> against the bytes.
    /// </summary>
    public static async Task<PublishedImage> InspectAsync(RegistryServer server, string repositoryAndTag, RegistryCredential? credential = null)
    {
        string raw = await Task.Run(() => Skopeo(server,
            ["inspect", "--raw", .. server.SkopeoOptions("", credential), $"docker://{server.Reference(repositoryAndTag)}"]));
        byte[] bytes = Encoding.UTF8.GetBytes(raw);
        string[] parts = repositoryAndTag.Split(':', 2);
        string digest = Digest(bytes);

        using HttpClient client = await server.CreateAuthorizedClientAsync(credential, $"repository:{parts[0]}:pull");
        using var head = new HttpRequestMessage(HttpMethod.Head, $"/v2/{parts[0]}/manifests/{parts[1]}");
        foreach (string type in new[] { OciManifest, OciIndex, DockerManifest, DockerManifestList })
        {
            head.Headers.Accept.ParseAdd(type);
        }
        using HttpResponseMessage response = await client.SendAsync(head);
        response.EnsureSuccessStatusCode();
        string contentType = response.Content.Headers.ContentType?.MediaType ?? "";
        string served = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.First() : "";
        if (served != digest)
        {
            throw new InvalidOperationException($"{repositoryAndTag}: Docker-Content-Digest {served} differs from the digest {digest} of the bytes skopeo read.");
        }

        using JsonDocument manifest = JsonDocument.Parse(bytes);
        JsonElement root = manifest.RootElement;
        var children = new Dictionary<string, string>();
        if (root.TryGetProperty("manifests", out JsonElement entries))
        {
            foreach (JsonElement entry in entries.EnumerateArray())
            {
                JsonElement platform = entry.GetProperty("platform");
                string key = $"{platform.GetProperty("os").GetString()}/{platform.GetProperty("architecture").GetString()}"
                    + (platform.TryGetProperty("variant", out JsonElement variant) ? $"/{variant.GetString()}" : "");
                children[key] = entry.GetProperty("digest").GetString()!;
            }
        }
        return new PublishedImage(server.Reference(repositoryAndTag), parts[0], parts[1], contentType,
            root.TryGetProperty("mediaType", out JsonElement field) ? field.GetString() : null, digest, children);
    }

    private static string Skopeo(RegistryServer server, string[] arguments)
        => Run.Process("skopeo", arguments, environment: server.ChildEnvironment, timeout: TimeSpan.FromMinutes(2))
            .EnsureSuccess($"skopeo {string.Join(' ', arguments.Where(a => !a.Contains("creds=", StringComparison.Ordinal)))}").StandardOutput;

    /// <summary>
    /// Writes an OCI layout with two indexes built from the single-platform image <paramref name="tag"/> of
    /// <paramref name="source"/>: <c>index</c> (amd64, arm64/v8, arm/v7, attestation) and <c>list</c> (the same
    /// without the attestation, which cannot be converted to Docker media types).
    /// </summary>
    private static void BuildMultiPlatformLayout(string source, string tag, string layout)
    {
        string blobs = Path.Combine(layout, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        File.WriteAllText(Path.Combine(layout, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");

        JsonNode sourceIndex = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "index.json")))!;
        JsonNode amd64Descriptor = sourceIndex["manifests"]!.AsArray()
            .Single(m => m!["annotations"]?["org.opencontainers.image.ref.name"]?.GetValue<string>() == tag)!;
        string amd64Digest = amd64Descriptor["digest"]!.GetValue<string>();
        byte[] amd64Manifest = File.ReadAllBytes(BlobPath(source, amd64Digest));
        JsonNode manifest = JsonNode.Parse(amd64Manifest)!;
        // Every blob of the base goes into the new layout unchanged.
        foreach (string digest in new[] { amd64Digest, manifest["config"]!["digest"]!.GetValue<string>() }
                     .Concat(manifest["layers"]!.AsArray().Select(l => l!["digest"]!.GetValue<string>())))
        {
            File.Copy(BlobPath(source, digest), BlobPath(layout, digest), overwrite: true);
        }
        JsonNode config = JsonNode.Parse(File.ReadAllBytes(BlobPath(source, manifest["config"]!["digest"]!.GetValue<string>())))!;

        JsonObject Relabelled(string architecture, string variant)
        {
            // Same layer, but a config (hence a manifest) of its own that names the other platform.
            JsonNode copy = config.DeepClone();
            copy["architecture"] = architecture;
            copy["variant"] = variant;
            JsonObject descriptor = Write(layout, copy, "application/vnd.oci.image.config.v1+json");
            JsonNode platformManifest = manifest.DeepClone();
            platformManifest["config"] = descriptor;
            JsonObject result = Write(layout, platformManifest, OciManifest);
            result["platform"] = new JsonObject { ["architecture"] = architecture, ["os"] = "linux", ["variant"] = variant };
            return result;
        }

        var amd64 = new JsonObject
        {
            ["mediaType"] = OciManifest,
            ["digest"] = amd64Digest,
            ["size"] = amd64Manifest.Length,
            ["platform"] = new JsonObject { ["architecture"] = "amd64", ["os"] = "linux" },
        };
        JsonObject arm64 = Relabelled("arm64", "v8");
        JsonObject arm = Relabelled("arm", "v7");

        // A BuildKit-style attestation manifest: an in-toto provenance statement about the amd64 image, listed in the
        // index with platform unknown/unknown and annotations naming the image it attests.
        var statement = new JsonObject
        {
            ["_type"] = "https://in-toto.io/Statement/v0.1",
            ["predicateType"] = "https://slsa.dev/provenance/v0.2",
            ["subject"] = new JsonArray(new JsonObject
            {
                ["name"] = "pkg:docker/shapes/oci-index@1?platform=linux%2Famd64",
                ["digest"] = new JsonObject { ["sha256"] = amd64Digest["sha256:".Length..] },
            }),
            ["predicate"] = new JsonObject { ["builder"] = new JsonObject { ["id"] = "" }, ["buildType"] = "https://mobyproject.org/buildkit@v1" },
        };
        JsonObject statementDescriptor = Write(layout, statement, "application/vnd.in-toto+json");
        statementDescriptor["annotations"] = new JsonObject { ["in-toto.io/predicate-type"] = "https://slsa.dev/provenance/v0.2" };
        var attestationConfig = new JsonObject
        {
            ["architecture"] = "unknown",
            ["os"] = "unknown",
            ["config"] = new JsonObject(),
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(statementDescriptor["digest"]!.GetValue<string>()) },
        };
        var attestationManifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciManifest,
            ["config"] = Write(layout, attestationConfig, "application/vnd.oci.image.config.v1+json"),
            ["layers"] = new JsonArray(statementDescriptor),
        };
        JsonObject attestation = Write(layout, attestationManifest, OciManifest);
        attestation["annotations"] = new JsonObject
        {
            ["vnd.docker.reference.digest"] = amd64Digest,
            ["vnd.docker.reference.type"] = "attestation-manifest",
        };
        attestation["platform"] = new JsonObject { ["architecture"] = "unknown", ["os"] = "unknown" };

        JsonObject Index(params JsonObject[] entries) => new()
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciIndex,
            ["manifests"] = new JsonArray(entries.Select(e => (JsonNode)e.DeepClone()).ToArray()),
        };
        JsonObject index = Write(layout, Index(amd64, arm64, arm, attestation), OciIndex);
        JsonObject list = Write(layout, Index(amd64, arm64, arm), OciIndex);
        index["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "index" };
        list["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "list" };
        var layoutIndex = new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(index, list) };
        File.WriteAllText(Path.Combine(layout, "index.json"), layoutIndex.ToJsonString(Compact));
    }

    /// <summary>Stores <paramref name="node"/> as a blob; returns its descriptor.</summary>
    private static JsonObject Write(string layout, JsonNode node, string mediaType)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(node.ToJsonString(Compact));
        string digest = Digest(bytes);
        File.WriteAllBytes(BlobPath(layout, digest), bytes);
        return new JsonObject { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = bytes.Length };
    }

    private static string BlobPath(string layout, string digest) => Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..]);

    private static string Digest(byte[] bytes) => "sha256:" + Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
}
