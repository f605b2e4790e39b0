using System.Security.Cryptography;
using System.Text;
using ContainerTasks.Model;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>Answers of the wrong JSON type, from registries, manifests and credential helpers, are coded errors (or no answer), never CT9999.</summary>
public class MalformedAnswerTests
{
    private const string Layer = "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:" + Hex + "\",\"size\":1}";
    private const string Config = "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:" + Hex + "\",\"size\":1}";
    private const string Hex = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    private static string Manifest(string layer = Layer, string extra = "")
        => "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":" + Config + ",\"layers\":[" + layer + "]" + extra + "}";

    [Theory]
    [InlineData("\"urls\":[1]", "urls")]
    [InlineData("\"urls\":\"https://x\"", "urls")]
    [InlineData("\"annotations\":[1]", "annotations")]
    [InlineData("\"platform\":\"linux/amd64\"", "platform")]
    [InlineData("\"artifactType\":1", "artifactType")]
    [InlineData("\"data\":{}", "data")]
    [InlineData("\"mediaType\":1", "mediaType")]
    public void A_descriptor_member_of_the_wrong_JSON_type_is_CT1003_naming_it(string member, string name)
    {
        string layer = Layer.TrimEnd('}') + "," + member + "}";
        var error = Assert.Throws<ContainerTasksException>(() => ImageManifest.Parse(Encoding.UTF8.GetBytes(Manifest(layer))));
        Assert.Equal("CT1003", error.Code);
        Assert.Contains(name, error.Message);
    }

    [Theory]
    [InlineData(",\"annotations\":[\"a\"]", "annotations")]
    [InlineData(",\"subject\":\"sha256:x\"", "subject")]
    [InlineData(",\"artifactType\":[]", "artifactType")]
    public void A_manifest_member_of_the_wrong_JSON_type_is_CT1003_naming_it(string extra, string name)
    {
        var error = Assert.Throws<ContainerTasksException>(() => ImageManifest.Parse(Encoding.UTF8.GetBytes(Manifest(extra: extra))));
        Assert.Equal("CT1003", error.Code);
        Assert.Contains(name, error.Message);
    }

    [Fact]
    public void Layers_and_manifests_that_are_not_arrays_are_CT1003_not_an_empty_image()
    {
        string layersObject = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":" + Config + ",\"layers\":{}}";
        Assert.Equal("CT1003", Assert.Throws<ContainerTasksException>(() => ImageManifest.Parse(Encoding.UTF8.GetBytes(layersObject))).Code);
        string manifestsString = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":\"x\"}";
        Assert.Equal("CT1003", Assert.Throws<ContainerTasksException>(() => ImageIndex.Parse(Encoding.UTF8.GetBytes(manifestsString))).Code);
        string entryNumber = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[1]}";
        Assert.Equal("CT1003", Assert.Throws<ContainerTasksException>(() => ImageIndex.Parse(Encoding.UTF8.GetBytes(entryNumber))).Code);
    }

    [Theory]
    [InlineData(400, "{\"errors\":[1]}", "CT3006")]
    [InlineData(400, "{\"errors\":\"x\"}", "CT3006")]
    [InlineData(400, "{\"errors\":[{\"code\":1,\"message\":[\"m\"]}]}", "CT3006")]
    [InlineData(400, "[1,2]", "CT3006")]
    [InlineData(404, "{\"errors\":[1]}", "CT3004")]
    [InlineData(403, "{\"errors\":[null,{\"code\":\"DENIED\"}]}", "CT3003")]
    public async Task A_registry_error_body_of_the_wrong_shape_still_gives_the_coded_error_of_its_status(int status, string body, string code)
    {
        // The tag resolves (HEAD has no body to read); the GET of the manifest gets the error body.
        await using var registry = new ScriptedRegistry(r => r.Method == "HEAD"
            ? new ScriptedResponse(200, "", ("Content-Type", "application/vnd.oci.image.manifest.v1+json"), ("Docker-Content-Digest", "sha256:" + Hex))
            : ScriptedResponse.Json(status, body));
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), registry.Host, null);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => kit.PullAsync(session, $"{registry.Host}/app:1"));
        Assert.Equal(code, error.Code);
    }

    [Theory]
    [InlineData("{\"token\":\"t\",\"expires_in\":\"300\"}", "CT3004")]
    [InlineData("{\"token\":1}", "CT3007")]
    [InlineData("[\"t\"]", "CT3007")]
    public async Task A_token_answer_with_members_of_the_wrong_type_is_used_or_refused_with_a_code(string answer, string code)
    {
        await using var realm = new ScriptedRegistry(_ => ScriptedResponse.Json(200, answer));
        await using var registry = new ScriptedRegistry(r => r.Authorization is null
            ? new ScriptedResponse(401, "", ("WWW-Authenticate", $"Bearer realm=\"http://{realm.Host}/token\",service=\"scripted\""))
            : ScriptedResponse.Json(404, "{}"));
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), registry.Host, null);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => kit.PullAsync(session, $"{registry.Host}/app:1"));
        Assert.Equal(code, error.Code);
    }

    [Fact]
    public async Task A_manifest_from_a_registry_with_a_url_that_is_a_number_is_CT1003()
    {
        string manifest = Manifest(Layer.TrimEnd('}') + ",\"urls\":[1]}");
        string digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(manifest)));
        await using var registry = new ScriptedRegistry(r => r.Target.Contains("/manifests/", StringComparison.Ordinal)
            ? new ScriptedResponse(200, manifest, ("Content-Type", "application/vnd.oci.image.manifest.v1+json"), ("Docker-Content-Digest", digest))
            : ScriptedResponse.Json(404, "{}"));
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), registry.Host, null);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => kit.PullAsync(session, $"{registry.Host}/app:1"));
        Assert.Equal("CT1003", error.Code);
        Assert.Contains("urls", error.Message);
    }

    [Fact]
    public void A_credential_helper_that_exits_without_reading_the_server_name_has_no_credentials()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["bin"]);
        // /bin/true exits at once: writing the server name then meets a closed pipe about half the time.
        File.CreateSymbolicLink(dir["bin/docker-credential-mute"], "/bin/true");
        Directory.CreateDirectory(dir[".docker"]);
        File.WriteAllText(dir[".docker/config.json"], """{"credsStore":"mute"}""");
        var store = new CredentialStore(new Dictionary<string, string> { ["HOME"] = dir.Path, ["PATH"] = dir["bin"] }, null, null);
        for (int i = 0; i < 20; i++)
        {
            Assert.Null(store.Find($"reg{i}.example", "app", RegistryRole.Pull));
        }
    }

    [Fact]
    public void Auth_file_values_of_the_wrong_JSON_type_count_as_absent()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir[".docker"]);
        File.WriteAllText(dir[".docker/config.json"], """{"auths":{"a.example":{"identitytoken":1,"auth":[],"username":{},"password":2}}}""");
        Assert.Null(new CredentialStore(new Dictionary<string, string> { ["HOME"] = dir.Path }, null, null).Find("a.example", "x", RegistryRole.Pull));
    }
}
