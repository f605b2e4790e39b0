using System.Text;
using System.Text.Json;
using ContainerTasks.Model;
using ContainerTasks.Registry.Referrers;

namespace ContainerTasks.Tests;

public sealed class ReferrerManifestTests
{
    private static readonly Descriptor Image = new(MediaTypes.OciManifest, Digest.Sha256("image"u8), 1234)
    {
        Platform = Platform.Parse("linux/amd64"),
        Annotations = new Dictionary<string, string> { ["a"] = "b" },
    };

    private static ReferrerArtifact Sbom(string content = "{\"spdxVersion\":\"SPDX-2.3\"}", string? created = null) => new(
        "application/spdx+json", "application/spdx+json", Encoding.UTF8.GetBytes(content))
    {
        Annotations = created is null ? null : new Dictionary<string, string> { ["org.opencontainers.image.created"] = created },
    };

    [Fact]
    public void The_artifact_manifest_is_the_OCI_1_1_form_with_the_empty_config_the_blob_and_the_image_as_subject()
    {
        ArtifactManifest manifest = ArtifactManifest.For(Sbom(), Image);
        using JsonDocument json = JsonDocument.Parse(manifest.Bytes);
        JsonElement root = json.RootElement;
        Assert.Equal(2, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(MediaTypes.OciManifest, root.GetProperty("mediaType").GetString());
        Assert.Equal("application/spdx+json", root.GetProperty("artifactType").GetString());
        JsonElement config = root.GetProperty("config");
        Assert.Equal("application/vnd.oci.empty.v1+json", config.GetProperty("mediaType").GetString());
        Assert.Equal("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", config.GetProperty("digest").GetString());
        Assert.Equal(2, config.GetProperty("size").GetInt32());
        JsonElement layer = Assert.Single(root.GetProperty("layers").EnumerateArray());
        Assert.Equal("application/spdx+json", layer.GetProperty("mediaType").GetString());
        Assert.Equal(Digest.Sha256(Sbom().Content).ToString(), layer.GetProperty("digest").GetString());
        Assert.False(layer.TryGetProperty("annotations", out _));
        JsonElement subject = root.GetProperty("subject");
        Assert.Equal(Image.Digest.ToString(), subject.GetProperty("digest").GetString());
        Assert.Equal(1234, subject.GetProperty("size").GetInt64());
        Assert.False(subject.TryGetProperty("platform", out _));
        Assert.False(subject.TryGetProperty("annotations", out _));
        Assert.False(root.TryGetProperty("annotations", out _));
        Assert.Equal(manifest.Descriptor.Digest, Digest.Sha256(manifest.Bytes));
    }

    [Fact]
    public void Same_artifact_and_subject_give_the_same_bytes_and_annotations_appear_only_when_given()
    {
        var created = new Dictionary<string, string> { ["z"] = "1", ["org.opencontainers.image.created"] = "2026-01-01T00:00:00Z" };
        var reordered = new Dictionary<string, string> { ["org.opencontainers.image.created"] = "2026-01-01T00:00:00Z", ["z"] = "1" };
        byte[] first = ArtifactManifest.For(Sbom() with { Annotations = created }, Image).Bytes;
        byte[] second = ArtifactManifest.For(Sbom() with { Annotations = reordered }, Image with { Platform = null }).Bytes;
        Assert.Equal(first, second);
        Assert.Contains("\"annotations\":{\"org.opencontainers.image.created\":\"2026-01-01T00:00:00Z\",\"z\":\"1\"}", Encoding.UTF8.GetString(first));
        Assert.NotEqual(first, ArtifactManifest.For(Sbom(), Image).Bytes);
        Assert.NotEqual(ArtifactManifest.For(Sbom(), Image).Bytes, ArtifactManifest.For(Sbom("{}"), Image).Bytes);

        ArtifactManifest withCreated = ArtifactManifest.For(Sbom(created: "2026-01-01T00:00:00Z"), Image);
        Assert.Equal("application/spdx+json", withCreated.ReferrerEntry.ArtifactType);
        Assert.Equal("2026-01-01T00:00:00Z", withCreated.ReferrerEntry.Annotations!["org.opencontainers.image.created"]);
    }

    [Fact]
    public void The_referrers_tag_is_the_algorithm_dash_hex_of_the_subject_digest()
        => Assert.Equal("sha256-" + Image.Digest.Hex, ReferrersTagIndex.TagFor(Image.Digest));

    [Fact]
    public void Adding_to_the_tag_index_keeps_every_other_entry_and_adds_nothing_twice()
    {
        Descriptor other = new(MediaTypes.OciManifest, Digest.Sha256("other"u8), 10) { ArtifactType = "application/vnd.dev.cosign.artifact.sig.v1+json" };
        ImageIndex existing = ReferrersTagIndex.Empty with { Manifests = [other] };
        Descriptor ours = ArtifactManifest.For(Sbom(), Image).ReferrerEntry;

        ImageIndex merged = ReferrersTagIndex.With(existing, ours)!;
        Assert.Equal([other, ours], merged.Manifests);
        Assert.Null(ReferrersTagIndex.With(merged, ours));
        Assert.Null(ReferrersTagIndex.With(merged, ours with { Annotations = null }));

        ImageIndex reread = ImageIndex.Parse(merged.ToBytes());
        Assert.Equal(MediaTypes.OciIndex, reread.MediaType);
        Assert.Equal("application/spdx+json", reread.Manifests[1].ArtifactType);
        Assert.True(ReferrersTagIndex.Contains(reread, ours.Digest));
        Assert.Equal(merged.ToBytes(), ReferrersTagIndex.With(ReferrersTagIndex.Empty, other) is { } one ? ReferrersTagIndex.With(one, ours)!.ToBytes() : null);
    }

    [Theory]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"a\",\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2},\"layers\":[]}", "application/vnd.oci.image.manifest.v1+json")]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\",\"manifests\":[]}", null)]
    [InlineData("[1]", null)]
    public void A_referrers_tag_that_holds_no_OCI_index_is_CT3019(string body, string? contentType)
    {
        var error = Assert.Throws<ContainerTasksException>(() => ReferrersTagIndex.Parse(new(Encoding.UTF8.GetBytes(body), contentType, null), "The referrers tag r/app:sha256-x"));
        Assert.Equal("CT3019", error.Code);
        Assert.StartsWith("The referrers tag r/app:sha256-x is not an OCI image index", error.Message);
    }
}
