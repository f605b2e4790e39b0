using System.Text;
using System.Text.Json;
using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Registry.Referrers;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// Artifacts attached to a pushed image as OCI 1.1 referrers. Distribution 2.8 has no referrers API: against it the
/// <c>sha256-HEX</c> tag schema is what is tested; the API path is tested against a scripted registry that has it.
/// </summary>
public sealed class ReferrerTests(HttpRegistryFixture http) : IClassFixture<HttpRegistryFixture>
{
    private const string Spdx = "application/spdx+json";
    private const string Provenance = "application/vnd.in-toto+json";

    [Fact]
    public async Task An_attached_artifact_is_listed_in_the_referrers_tag_index_and_attaching_it_again_writes_nothing()
    {
        RegistryServer server = http.Server;
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), server.Host, server.Host);
        string repository = RegistryServer.NewRepository("referrers");
        RegistryClient client = session.Client(server.Host, repository, RegistryRole.Push);
        Descriptor image = await PushImageAsync(client, repository);
        ReferrerArtifact sbom = Artifact(Spdx, "{\"spdxVersion\":\"SPDX-2.3\"}", created: "2026-01-01T00:00:00Z");

        AttachedReferrer first = await new ReferrerAttacher(client).AttachAsync(repository, image, sbom, CancellationToken.None);
        Assert.False(first.ThroughReferrersApi);
        Assert.True(first.Changed);

        string tag = "sha256-" + image.Digest.Hex;
        string raw = Run.Process("skopeo", ["inspect", "--raw", .. server.SkopeoOptions(""), $"docker://{server.Reference($"{repository}:{tag}")}"],
            environment: server.ChildEnvironment).EnsureSuccess("skopeo inspect --raw of the referrers tag").StandardOutput;
        ImageIndex index = ImageIndex.Parse(Encoding.UTF8.GetBytes(raw));
        Assert.Equal(MediaTypes.OciIndex, index.MediaType);
        Descriptor entry = Assert.Single(index.Manifests);
        Assert.Equal(first.Manifest.Digest, entry.Digest);
        Assert.Equal(Spdx, entry.ArtifactType);
        Assert.Equal("2026-01-01T00:00:00Z", entry.Annotations!["org.opencontainers.image.created"]);
        using (JsonDocument manifest = JsonDocument.Parse(Run.Process("skopeo", ["inspect", "--raw", .. server.SkopeoOptions(""),
            $"docker://{server.Reference($"{repository}@{entry.Digest}")}"], environment: server.ChildEnvironment).EnsureSuccess("skopeo inspect of the artifact").StandardOutput))
        {
            Assert.Equal(image.Digest.ToString(), manifest.RootElement.GetProperty("subject").GetProperty("digest").GetString());
        }

        int before = server.AccessLog().Count;
        AttachedReferrer again = await new ReferrerAttacher(client).AttachAsync(repository, image, sbom, CancellationToken.None);
        Assert.False(again.Changed);
        var requests = server.AccessLog().Skip(before).ToList();
        Assert.NotEmpty(requests);
        Assert.DoesNotContain(requests, e => e.Method is "PUT" or "POST" or "PATCH");

        IReadOnlyList<Descriptor> listed = await ReferrerList.ListReferrersAsync(client, repository, image.Digest, null, CancellationToken.None);
        Assert.Equal([first.Manifest.Digest], listed.Select(d => d.Digest));
        Assert.Empty(await ReferrerList.ListReferrersAsync(client, repository, image.Digest, Provenance, CancellationToken.None));
        var lines = Run.CtImage(["referrers", server.Reference($"{repository}@{image.Digest}")], server.ChildEnvironment)
            .EnsureSuccess("ctimage referrers").StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"{Spdx} {first.Manifest.Digest} {first.Manifest.Size} org.opencontainers.image.created=2026-01-01T00:00:00Z", Assert.Single(lines));
        string json = Run.CtImage(["referrers", server.Reference($"{repository}:v1"), "--json", "--artifact-type", Spdx], server.ChildEnvironment)
            .EnsureSuccess("ctimage referrers --json").StandardOutput.Trim();
        using (JsonDocument line = JsonDocument.Parse(json))
        {
            Assert.Equal(Spdx, line.RootElement.GetProperty("artifactType").GetString());
            Assert.Equal(first.Manifest.Digest.ToString(), line.RootElement.GetProperty("digest").GetString());
            Assert.Equal(first.Manifest.Size, line.RootElement.GetProperty("size").GetInt64());
            Assert.Equal("2026-01-01T00:00:00Z", line.RootElement.GetProperty("annotations").GetProperty("org.opencontainers.image.created").GetString());
        }
    }

    [Fact]
    public async Task Two_builds_attaching_different_artifacts_to_one_image_at_once_are_both_listed()
    {
        RegistryServer server = http.Server;
        using var kit = new RegistryTestKit();
        using var first = kit.Session(kit.Environment(), server.Host, server.Host);
        using var second = kit.Session(kit.Environment(), server.Host, server.Host);
        for (int round = 0; round < 5; round++)
        {
            string repository = RegistryServer.NewRepository("referrers-race");
            RegistryClient a = first.Client(server.Host, repository, RegistryRole.Push);
            RegistryClient b = second.Client(server.Host, repository, RegistryRole.Push);
            Descriptor image = await PushImageAsync(a, repository);
            AttachedReferrer[] attached = await Task.WhenAll(
                new ReferrerAttacher(a).AttachAsync(repository, image, Artifact(Spdx, $"{{\"round\":{round}}}"), CancellationToken.None),
                new ReferrerAttacher(b).AttachAsync(repository, image, Artifact(Provenance, $"{{\"round\":{round}}}"), CancellationToken.None));

            IReadOnlyList<Descriptor> listed = await ReferrerList.ListReferrersAsync(a, repository, image.Digest, null, CancellationToken.None);
            Assert.Equal(attached.Select(r => r.Manifest.Digest.ToString()).Order(), listed.Select(d => d.Digest.ToString()).Order());
            Assert.Equal([Spdx, Provenance], listed.Select(d => d.ArtifactType!).Order(StringComparer.Ordinal));
        }
        // Both read the empty tag before either wrote: the race the rule is for did happen (Distribution ignores If-Match).
        Assert.Contains(kit.LogLines, line => line.Contains("changed while it was updated", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_artifact_is_attached_and_listed_through_the_API_against_a_scripted_registry_with_the_referrers_api()
    {
        Descriptor image = new(MediaTypes.OciManifest, Digest.Sha256("image"u8), 100);
        ReferrerArtifact sbom = Artifact(Spdx, "{}");
        ArtifactManifest expected = ArtifactManifest.For(sbom, image);
        string listing = Encoding.UTF8.GetString(ReferrersTagIndex.With(ReferrersTagIndex.Empty, expected.ReferrerEntry)!.ToBytes());
        bool stored = false;
        await using var registry = new ScriptedRegistry(r => (r.Method, r.Target) switch
        {
            ("HEAD", var t) when t.Contains("/blobs/", StringComparison.Ordinal) => new ScriptedResponse(200, ""),
            ("HEAD", var t) when t.EndsWith($"/manifests/{expected.Descriptor.Digest}", StringComparison.Ordinal) => stored
                ? new ScriptedResponse(200, "", ("Content-Type", MediaTypes.OciManifest), ("Docker-Content-Digest", expected.Descriptor.Digest.ToString()))
                : ScriptedResponse.Json(404, "{}"),
            ("PUT", var t) when t.EndsWith($"/manifests/{expected.Descriptor.Digest}", StringComparison.Ordinal) => Stored(ref stored,
                new ScriptedResponse(201, "", ("OCI-Subject", image.Digest.ToString()), ("Docker-Content-Digest", expected.Descriptor.Digest.ToString()))),
            // As registries with the API answer: an empty list before anything is attached.
            ("GET", var t) when t.StartsWith($"/v2/app/referrers/{image.Digest}", StringComparison.Ordinal)
                => new ScriptedResponse(200, stored ? listing : Encoding.UTF8.GetString(ReferrersTagIndex.Empty.ToBytes()), ("Content-Type", MediaTypes.OciIndex)),
            _ => ScriptedResponse.Json(404, "{\"errors\":[{\"code\":\"NAME_UNKNOWN\"}]}"),
        });
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), registry.Host, registry.Host);
        RegistryClient client = session.Client(registry.Host, "app", RegistryRole.Push);

        AttachedReferrer attached = await new ReferrerAttacher(client).AttachAsync("app", image, sbom, CancellationToken.None);
        Assert.True(attached.ThroughReferrersApi);
        AttachedReferrer again = await new ReferrerAttacher(client).AttachAsync("app", image, sbom, CancellationToken.None);
        Assert.True(again.ThroughReferrersApi);
        Assert.False(again.Changed);
        IReadOnlyList<Descriptor> listed = await ReferrerList.ListReferrersAsync(client, "app", image.Digest, Spdx, CancellationToken.None);

        Assert.Equal([expected.Descriptor.Digest], listed.Select(d => d.Digest));
        Assert.Equal(Spdx, listed[0].ArtifactType);
        var requests = registry.Requests;
        Assert.Single(requests, r => r.Method == "PUT");
        Assert.DoesNotContain(requests, r => r.Method is "POST" or "PATCH");
        Assert.DoesNotContain(requests, r => r.Target.Contains("/manifests/sha256-", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Method == "GET" && r.Target == $"/v2/app/referrers/{image.Digest}?artifactType={Uri.EscapeDataString(Spdx)}");
    }

    private static ScriptedResponse Stored(ref bool stored, ScriptedResponse response)
    {
        stored = true;
        return response;
    }

    private static ReferrerArtifact Artifact(string type, string content, string? created = null) => new(type, type, Encoding.UTF8.GetBytes(content))
    {
        Annotations = created is null ? null : new Dictionary<string, string> { ["org.opencontainers.image.created"] = created },
    };

    /// <summary>A small image (a config and one layer of random bytes): a subject to attach to.</summary>
    internal static async Task<Descriptor> PushImageAsync(RegistryClient client, string repository)
    {
        byte[] config = """{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"""u8.ToArray();
        byte[] layer = new byte[512];
        Random.Shared.NextBytes(layer);
        var configBlob = new Descriptor(MediaTypes.OciConfig, Digest.Sha256(config), config.Length);
        var layerBlob = new Descriptor(MediaTypes.OciLayerGzip, Digest.Sha256(layer), layer.Length);
        await client.UploadBlobAsync(repository, configBlob, _ => Task.FromResult<Stream>(new MemoryStream(config)));
        await client.UploadBlobAsync(repository, layerBlob, _ => Task.FromResult<Stream>(new MemoryStream(layer)));
        byte[] manifest = new ImageManifest(MediaTypes.OciManifest, configBlob, [layerBlob]).ToBytes();
        var descriptor = new Descriptor(MediaTypes.OciManifest, Digest.Sha256(manifest), manifest.Length);
        await client.PutManifestAsync(repository, "v1", manifest, MediaTypes.OciManifest);
        return descriptor;
    }
}
