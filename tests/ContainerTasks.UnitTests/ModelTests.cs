using System.Text;
using ContainerTasks.Model;

namespace ContainerTasks.Tests;

public class DigestTests
{
    [Fact]
    public void Sha256_of_known_bytes_matches_the_published_test_vector()
    {
        Assert.Equal("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Digest.Sha256("abc"u8).ToString());
    }

    [Theory]
    [InlineData("sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")]
    [InlineData("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    public void Valid_digests_round_trip(string value)
    {
        Assert.Equal(value, Digest.Parse(value).ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("ba7816bf", "prefix")]
    [InlineData("md5:900150983cd24fb0d6963f7d28e17f72", "not supported")]
    [InlineData("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", "lower-case")]
    [InlineData("sha256:ba7816bf", "64 hex")]
    public void Malformed_digests_are_rejected_with_CT1001_and_a_reason(string value, string reason)
    {
        var error = Assert.Throws<ContainerTasksException>(() => Digest.Parse(value));
        Assert.Equal("CT1001", error.Code);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void IsDigestOf_checks_sha512_content_too()
    {
        byte[] data = Encoding.ASCII.GetBytes("abc");
        Assert.True(Digest.Parse("sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f").IsDigestOf(data));
        Assert.False(Digest.Sha256("abd"u8).IsDigestOf(data));
    }
}

public class ImageReferenceTests
{
    [Theory]
    [InlineData("nginx", "docker.io/library/nginx:latest", "registry-1.docker.io")]
    [InlineData("nginx:1.25", "docker.io/library/nginx:1.25", "registry-1.docker.io")]
    [InlineData("index.docker.io/library/nginx", "docker.io/library/nginx:latest", "registry-1.docker.io")]
    [InlineData("bitnami/redis", "docker.io/bitnami/redis:latest", "registry-1.docker.io")]
    [InlineData("mcr.microsoft.com/dotnet/runtime:8.0", "mcr.microsoft.com/dotnet/runtime:8.0", "mcr.microsoft.com")]
    [InlineData("localhost:5000/app", "localhost:5000/app:latest", "localhost:5000")]
    [InlineData("localhost/app:v1", "localhost/app:v1", "localhost")]
    [InlineData("127.0.0.1:5000/a/b/c:t", "127.0.0.1:5000/a/b/c:t", "127.0.0.1:5000")]
    [InlineData("[::1]:5000/app:1", "[::1]:5000/app:1", "[::1]:5000")]
    [InlineData("ghcr.io/o/r@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "ghcr.io/o/r@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "ghcr.io")]
    [InlineData("my_app/x-y.z__w:1.0-rc_1", "docker.io/my_app/x-y.z__w:1.0-rc_1", "registry-1.docker.io")]
    public void References_are_normalised_as_docker_does(string input, string normalised, string apiHost)
    {
        var reference = ImageReference.Parse(input);
        Assert.Equal(normalised, reference.ToString());
        Assert.Equal(apiHost, reference.ApiHost);
    }

    [Fact]
    public void Tag_and_digest_together_keep_both_and_the_digest_wins_for_pulls()
    {
        var reference = ImageReference.Parse("ghcr.io/o/r:1.0@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        Assert.Equal("1.0", reference.Tag);
        Assert.Equal("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", reference.ManifestReference);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("MyApp", "upper-case")]
    [InlineData("app:-bad", "tag")]
    [InlineData("app:" + "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789", "tag")]
    [InlineData("app@sha256:1234", "digest")]
    [InlineData("a..b/c", "repository")]
    [InlineData("reg.io/-x", "repository")]
    [InlineData("host_name.io:5000/app", "registry")]
    public void Invalid_references_fail_with_CT1002_naming_the_problem(string input, string problem)
    {
        var error = Assert.Throws<ContainerTasksException>(() => ImageReference.Parse(input));
        Assert.Equal("CT1002", error.Code);
        Assert.Contains(problem, error.Message);
    }

    [Theory]
    [InlineData("nginx:1", "nginx:1")]
    [InlineData("bitnami/redis:7", "bitnami/redis:7")]
    [InlineData("localhost:5000/app:2", "localhost:5000/app:2")]
    public void Familiar_names_are_what_docker_shows(string input, string familiar)
    {
        Assert.Equal(familiar, ImageReference.Parse(input).FamiliarName);
    }
}

public class IndexTests
{
    private static readonly string Hex = new('a', 64);

    private static string Entry(string mediaType, string platform, string digestChar, string extra = "")
        => $$"""{"mediaType":"{{mediaType}}","digest":"sha256:{{new string(digestChar[0], 64)}}","size":100,"platform":{{platform}}{{extra}}}""";

    [Fact]
    public void Attestations_and_artifacts_are_never_chosen_and_variants_are_honoured()
    {
        string json = $$"""
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
          {{Entry(MediaTypes.OciManifest, """{"os":"unknown","architecture":"unknown"}""", "1", ""","annotations":{"vnd.docker.reference.type":"attestation-manifest","vnd.docker.reference.digest":"sha256:{{Hex}}"}""")}},
          {{Entry(MediaTypes.OciManifest, """{"os":"linux","architecture":"amd64"}""", "2", ""","artifactType":"application/vnd.example.sbom" """)}},
          {{Entry(MediaTypes.OciManifest, """{"os":"linux","architecture":"arm","variant":"v6"}""", "3")}},
          {{Entry(MediaTypes.OciManifest, """{"os":"linux","architecture":"arm","variant":"v7"}""", "4")}},
          {{Entry(MediaTypes.OciManifest, """{"os":"linux","architecture":"arm64"}""", "5")}},
          {{Entry(MediaTypes.OciManifest, """{"os":"linux","architecture":"amd64"}""", "6")}}
        ]}
        """;
        var index = ImageIndex.Parse(Encoding.UTF8.GetBytes(json));
        Assert.Equal(new string('6', 64), index.SelectPlatform(Platform.Parse("linux/amd64"), "x").Digest.Hex);
        Assert.Equal(new string('4', 64), index.SelectPlatform(Platform.Parse("linux/arm/v7"), "x").Digest.Hex);
        Assert.Equal(new string('5', 64), index.SelectPlatform(Platform.Parse("linux/arm64/v8"), "x").Digest.Hex);
        Assert.Equal(new string('5', 64), index.SelectPlatform(Platform.Parse("linux/aarch64"), "x").Digest.Hex);

        var error = Assert.Throws<ContainerTasksException>(() => index.SelectPlatform(Platform.Parse("linux/s390x"), "base:1"));
        Assert.Equal("CT1006", error.Code);
        Assert.Contains("linux/arm/v7", error.Message);
        Assert.DoesNotContain("unknown", error.Message);
    }

    [Fact]
    public void A_docker_manifest_list_is_read_from_its_content_type_when_the_body_has_no_media_type()
    {
        string entry = Entry(MediaTypes.DockerManifest, """{"os":"linux","architecture":"amd64"}""", "7");
        string json = "{\"schemaVersion\":2,\"manifests\":[" + entry + "]}";
        var index = ImageIndex.Parse(Encoding.UTF8.GetBytes(json), MediaTypes.DockerManifestList + "; charset=utf-8");
        Assert.Equal(MediaTypes.DockerManifestList, index.MediaType);
    }

    [Fact]
    public void Schema1_manifests_are_refused_with_CT1005()
    {
        string json = """{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[],"history":[],"signatures":[]}""";
        var error = Assert.Throws<ContainerTasksException>(() => ImageManifest.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Equal("CT1005", error.Code);
        error = Assert.Throws<ContainerTasksException>(() => ImageManifest.Parse(Encoding.UTF8.GetBytes("{}"), MediaTypes.DockerSchema1SignedManifest));
        Assert.Equal("CT1005", error.Code);
    }

    [Fact]
    public void A_manifest_round_trips_descriptor_fields()
    {
        string json = $$$"""
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{{{Hex}}}","size":7},
         "layers":[{"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip","digest":"sha256:{{{Hex}}}","size":9,"urls":["https://example.invalid/l"],"annotations":{"b":"2","a":"1"}},
                   {"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":"sha256:{{{Hex}}}","size":3,"data":"YWJj"}],
         "annotations":{"k":"v"}}
        """;
        var manifest = ImageManifest.Parse(Encoding.UTF8.GetBytes(json));
        var again = ImageManifest.Parse(manifest.ToBytes());
        Assert.Equal(["https://example.invalid/l"], again.Layers[0].Urls!);
        Assert.Equal("1", again.Layers[0].Annotations!["a"]);
        Assert.Equal("YWJj", again.Layers[1].Data);
        Assert.Equal("v", again.Annotations!["k"]);
        Assert.Contains("\"annotations\":{\"a\":\"1\",\"b\":\"2\"}", Encoding.UTF8.GetString(manifest.ToBytes()));
    }
}
