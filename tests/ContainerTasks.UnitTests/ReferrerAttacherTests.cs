using System.Text;
using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Registry.Referrers;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>The referrers tag schema's read-modify-write against scripted registries without the referrers API, and the API's pages.</summary>
public sealed class ReferrerAttacherTests
{
    private static readonly Descriptor Image = new(MediaTypes.OciManifest, Digest.Sha256("image"u8), 100);
    private static readonly ReferrerArtifact Sbom = new("application/spdx+json", "application/spdx+json", "{}"u8.ToArray());
    private static readonly ArtifactManifest Expected = ArtifactManifest.For(Sbom, Image);
    private static readonly string Tag = "/v2/app/manifests/sha256-" + Image.Digest.Hex;
    private static readonly Descriptor Other = new(MediaTypes.OciManifest, Digest.Sha256("other"u8), 10) { ArtifactType = "application/example" };
    private static readonly Descriptor Another = new(MediaTypes.OciManifest, Digest.Sha256("another"u8), 11) { ArtifactType = "application/example" };

    [Fact]
    public async Task A_write_refused_with_412_is_read_and_merged_again_keeping_the_entry_written_meanwhile()
    {
        ImageIndex first = ReferrersTagIndex.Empty with { Manifests = [Other] };
        ImageIndex meanwhile = first with { Manifests = [Other, Another] };
        int tagPuts = 0;
        await using var registry = new ScriptedRegistry(r => Answer(r, tagPuts switch
        {
            0 => Index(first, "\"v1\""),
            1 => Index(meanwhile, "\"v2\""),
            _ => Index(ReferrersTagIndex.With(meanwhile, Expected.ReferrerEntry)!, "\"v3\""),
        }, () => ++tagPuts == 1 ? new ScriptedResponse(412, "") : new ScriptedResponse(201, "")));

        AttachedReferrer attached = await AttachAsync(registry);

        Assert.False(attached.ThroughReferrersApi);
        Assert.True(attached.Changed);
        Assert.Equal(2, tagPuts);
    }

    [Fact]
    public async Task Of_several_artifacts_one_listed_already_is_not_sent_and_the_others_join_the_tag_index_in_one_write()
    {
        var provenance = new ReferrerArtifact("application/vnd.in-toto+json", "application/vnd.in-toto+json", "{\"_type\":\"x\"}"u8.ToArray());
        ArtifactManifest provenanceManifest = ArtifactManifest.For(provenance, Image);
        ImageIndex before = ReferrersTagIndex.Empty with { Manifests = [Other, Expected.ReferrerEntry] };
        ImageIndex after = ReferrersTagIndex.With(before, provenanceManifest.ReferrerEntry)!;
        int tagPuts = 0;
        await using var registry = new ScriptedRegistry(r => (r.Method, r.Target) switch
        {
            ("PUT", var t) when t.EndsWith(provenanceManifest.Descriptor.Digest.ToString(), StringComparison.Ordinal)
                => new ScriptedResponse(201, "", ("Docker-Content-Digest", provenanceManifest.Descriptor.Digest.ToString())),
            _ => Answer(r, Index(tagPuts == 0 ? before : after, null), () => { tagPuts++; return new ScriptedResponse(201, ""); }),
        });
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), registry.Host, registry.Host);

        var attached = await new ReferrerAttacher(session.Client(registry.Host, "app", RegistryRole.Push)).AttachAllAsync("app", Image, [Sbom, provenance], CancellationToken.None);

        Assert.Equal([false, true], attached.Select(a => a.Changed));
        Assert.Equal([Expected.Descriptor.Digest, provenanceManifest.Descriptor.Digest], attached.Select(a => a.Manifest.Digest));
        Assert.Equal(1, tagPuts);
        Assert.DoesNotContain(registry.Requests, r => r.Method == "PUT" && r.Target.EndsWith(Expected.Descriptor.Digest.ToString(), StringComparison.Ordinal));
        // The referrers API first (404: none here), then the tag.
        Assert.StartsWith("/v2/app/referrers/", registry.Requests[0].Target, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tag_index_that_never_lists_our_entry_after_the_rounds_is_CT3019()
    {
        ImageIndex others = ReferrersTagIndex.Empty with { Manifests = [Other] };
        int tagPuts = 0;
        await using var registry = new ScriptedRegistry(r => Answer(r, Index(others, null), () =>
        {
            tagPuts++;
            return new ScriptedResponse(201, "");
        }));

        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => AttachAsync(registry));

        Assert.Equal("CT3019", error.Code);
        Assert.Equal(ReferrerAttacher.MaxIndexAttempts, tagPuts);
    }

    [Fact]
    public async Task A_referrers_tag_holding_a_docker_manifest_list_is_CT3019_and_nothing_is_written_to_it()
    {
        const string list = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\",\"manifests\":[]}";
        await using var registry = new ScriptedRegistry(r => Answer(r,
            new ScriptedResponse(200, list, ("Content-Type", MediaTypes.DockerManifestList)), () => new ScriptedResponse(201, "")));

        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => AttachAsync(registry));

        Assert.Equal("CT3019", error.Code);
        Assert.DoesNotContain(registry.Requests, r => r.Method == "PUT" && r.Target == Tag);
    }

    [Fact]
    public async Task A_registry_refusing_the_manifest_with_a_subject_is_CT3018()
    {
        await using var registry = new ScriptedRegistry(r => r.Method == "PUT"
            ? ScriptedResponse.Json(400, "{\"errors\":[{\"code\":\"MANIFEST_INVALID\",\"message\":\"unknown field subject\"}]}")
            : Answer(r, ScriptedResponse.Json(404, "{}"), () => new ScriptedResponse(201, "")));

        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => AttachAsync(registry));

        Assert.Equal("CT3018", error.Code);
        Assert.Contains("application/spdx+json", error.Message);
    }

    [Fact]
    public async Task A_referrers_list_in_pages_is_read_to_its_last_page_against_a_scripted_registry_with_the_referrers_api()
    {
        string first = $"/v2/app/referrers/{Image.Digest}";
        string second = first + "?n=1&last=x";
        await using var registry = new ScriptedRegistry(r => r.Target == first
            ? new ScriptedResponse(200, Encoding.UTF8.GetString((ReferrersTagIndex.Empty with { Manifests = [Other] }).ToBytes()),
                ("Content-Type", MediaTypes.OciIndex), ("Link", $"<{second}>; rel=\"next\""))
            : r.Target == second
                ? new ScriptedResponse(200, Encoding.UTF8.GetString((ReferrersTagIndex.Empty with { Manifests = [Another] }).ToBytes()), ("Content-Type", MediaTypes.OciIndex))
                : ScriptedResponse.Json(404, "{}"));
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), registry.Host, null);

        IReadOnlyList<Descriptor> listed = await ReferrerList.ListReferrersAsync(session.Client(registry.Host, "app", RegistryRole.Pull), "app", Image.Digest, null, CancellationToken.None);

        Assert.Equal([Other.Digest, Another.Digest], listed.Select(d => d.Digest));
        Assert.DoesNotContain(registry.Requests, r => r.Target.Contains("sha256-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_manifest_refused_once_for_a_blob_the_registry_just_confirmed_is_put_again_after_a_pause()
    {
        // The Distribution registry, while another build uploads the same blob, reads the repository's link to it empty.
        int manifestPuts = 0, tagPuts = 0;
        await using var registry = new ScriptedRegistry(r => (r.Method, r.Target) switch
        {
            ("PUT", var t) when t.EndsWith(Expected.Descriptor.Digest.ToString(), StringComparison.Ordinal) && ++manifestPuts == 1
                => ScriptedResponse.Json(400, "{\"errors\":[{\"code\":\"DIGEST_INVALID\"},{\"code\":\"MANIFEST_BLOB_UNKNOWN\",\"detail\":\"" + ArtifactManifest.EmptyDescriptor.Digest + "\"}]}"),
            _ => Answer(r, Index(tagPuts == 0 ? ReferrersTagIndex.Empty : ReferrersTagIndex.With(ReferrersTagIndex.Empty, Expected.ReferrerEntry)!, null),
                () => { tagPuts++; return new ScriptedResponse(201, ""); }),
        });

        AttachedReferrer attached = await AttachAsync(registry);

        Assert.True(attached.Changed);
        Assert.Equal(2, manifestPuts);
    }

    [Fact]
    public async Task A_manifest_whose_blob_stays_unknown_is_CT3018_after_the_last_attempt()
    {
        int manifestPuts = 0;
        await using var registry = new ScriptedRegistry(r => (r.Method, r.Target) switch
        {
            ("PUT", var t) when t.EndsWith(Expected.Descriptor.Digest.ToString(), StringComparison.Ordinal) && ++manifestPuts > 0
                => ScriptedResponse.Json(400, "{\"errors\":[{\"code\":\"MANIFEST_BLOB_UNKNOWN\"}]}"),
            _ => Answer(r, Index(ReferrersTagIndex.Empty, null), () => new ScriptedResponse(201, "")),
        });

        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => AttachAsync(registry));

        Assert.Equal(ErrorCodes.ReferrerRefused, error.Code);
        Assert.Equal(ReferrerAttacher.MaxPutAttempts, manifestPuts);
    }

    private static async Task<AttachedReferrer> AttachAsync(ScriptedRegistry registry)
    {
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), registry.Host, registry.Host);
        RegistryClient client = session.Client(registry.Host, "app", RegistryRole.Push);
        return await new ReferrerAttacher(client).AttachAsync("app", Image, Sbom, CancellationToken.None);
    }

    /// <summary>A registry without the referrers API: blobs present, the artifact manifest absent until put, the tag as given.</summary>
    private static ScriptedResponse Answer(ScriptedRequest r, ScriptedResponse tag, Func<ScriptedResponse> putTag) => (r.Method, r.Target) switch
    {
        ("HEAD", var t) when t.Contains("/blobs/", StringComparison.Ordinal) => new ScriptedResponse(200, ""),
        ("PUT", var t) when t == Tag => putTag(),
        ("GET", var t) when t == Tag => tag,
        ("PUT", var t) when t.EndsWith(Expected.Descriptor.Digest.ToString(), StringComparison.Ordinal)
            => new ScriptedResponse(201, "", ("Docker-Content-Digest", Expected.Descriptor.Digest.ToString())),
        _ => ScriptedResponse.Json(404, "{\"errors\":[{\"code\":\"NOT_FOUND\"}]}"),
    };

    private static ScriptedResponse Index(ImageIndex index, string? etag)
        => etag is null
            ? new ScriptedResponse(200, Encoding.UTF8.GetString(index.ToBytes()), ("Content-Type", MediaTypes.OciIndex))
            : new ScriptedResponse(200, Encoding.UTF8.GetString(index.ToBytes()), ("Content-Type", MediaTypes.OciIndex), ("ETag", etag));
}
