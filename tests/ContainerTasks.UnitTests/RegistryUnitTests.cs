using System.Text;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

public class AuthChallengeTests
{
    [Fact]
    public void Bearer_challenges_with_quoted_values_several_scopes_and_escapes_are_parsed()
    {
        var challenges = AuthChallenge.Parse("Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull repository:c:pull,push\",error=\"invalid_token\"");
        var bearer = Assert.Single(challenges);
        Assert.True(bearer.IsBearer);
        Assert.Equal("https://auth.example/token", bearer.Realm);
        Assert.Equal("registry.example", bearer.Service);
        Assert.Equal(["repository:a/b:pull", "repository:c:pull,push"], bearer.Scopes);

        var two = AuthChallenge.Parse("Basic realm=\"x \\\"quoted\\\"\", Bearer realm=https://t/token,service=s");
        Assert.Equal(2, two.Count);
        Assert.Equal("x \"quoted\"", two[0].Realm);
        Assert.Equal("https://t/token", two[1].Realm);
        Assert.Equal("s", two[1].Service);
    }

    [Fact]
    public void Scopes_of_one_repository_are_merged_and_ordered()
    {
        Assert.Equal(["repository:a:pull,push", "repository:b:pull"],
            RegistryAuthenticator.MergeScopes(["repository:b:pull", "repository:a:push", "repository:a:pull", "repository:a:pull"]));
    }
}

public class ProxySettingsTests
{
    private static ProxySettings Proxy(string noProxy) => ProxySettings.FromEnvironment(new Dictionary<string, string>
    {
        ["HTTPS_PROXY"] = "http://user:p%40ss@proxy.example:3128",
        ["http_proxy"] = "proxy.example:3129",
        ["NO_PROXY"] = noProxy,
    });

    [Theory]
    [InlineData("corp", "https://myreg.corp/v2/", true)]
    [InlineData("corp", "https://corp/v2/", true)]
    [InlineData(".corp", "https://myreg.corp/v2/", true)]
    [InlineData(".corp", "https://corp/v2/", false)]
    [InlineData("corp", "https://notcorp/v2/", false)]
    [InlineData("*", "https://anything.example/", true)]
    [InlineData("10.0.0.0/8", "https://10.1.2.3:5000/", true)]
    [InlineData("10.0.0.0/8", "https://11.1.2.3:5000/", false)]
    [InlineData("reg.example:5000", "https://reg.example:5000/", true)]
    [InlineData("reg.example:5000", "https://reg.example:443/", false)]
    [InlineData("", "https://127.0.0.1:5000/", true)]
    [InlineData("", "https://localhost:5000/", true)]
    [InlineData("", "https://[::1]:5000/", true)]
    [InlineData("", "https://ghcr.io/", false)]
    public void No_proxy_rules_match_as_go_does(string noProxy, string url, bool bypassed)
    {
        Assert.Equal(bypassed, Proxy(noProxy).IsBypassed(new Uri(url)));
    }

    [Fact]
    public void The_proxy_follows_the_scheme_and_its_credentials_come_from_the_url()
    {
        var proxy = Proxy("");
        Assert.Equal(new Uri("http://user:p%40ss@proxy.example:3128"), proxy.GetProxy(new Uri("https://ghcr.io/v2/")));
        Assert.Equal(3129, proxy.GetProxy(new Uri("http://ghcr.io/v2/"))!.Port);
        var credential = proxy.GetCredential(new Uri("http://proxy.example:3128"), "Basic")!;
        Assert.Equal("user", credential.UserName);
        Assert.Equal("p@ss", credential.Password);
        Assert.Equal("CT3012", Assert.Throws<ContainerTasksException>(() => ProxySettings.FromEnvironment(new Dictionary<string, string> { ["HTTPS_PROXY"] = "ftp://x" })).Code);
    }
}

public class RegistrySettingsTests
{
    [Fact]
    public void Compatibility_switches_and_insecure_lists_in_both_separators_are_read()
    {
        var settings = RegistrySettings.FromEnvironment(new Dictionary<string, string>
        {
            ["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = "a.example:5000;b.example, c.example",
            ["DOTNET_CONTAINER_REGISTRY_PARALLEL_UPLOAD"] = "false",
            ["SDK_CONTAINER_REGISTRY_CHUNKED_UPLOAD_SIZE_BYTES"] = "65536",
            ["DOTNET_CONTAINER_DEBUG_REGISTRY_FORCE_CHUNKED_UPLOAD"] = "true",
            ["CONTAINERTASKS_RETRY_BASE_MS"] = "5",
        });
        Assert.True(settings.IsInsecure("a.example:5000"));
        Assert.True(settings.IsInsecure("b.example"));
        Assert.True(settings.IsInsecure("c.example"));
        Assert.True(settings.IsInsecure("localhost:5000"));
        Assert.True(settings.IsInsecure("127.0.0.1:5000"));
        Assert.False(settings.IsInsecure("ghcr.io"));
        Assert.Equal(1, settings.ParallelUploads);
        Assert.Equal(65536, settings.ChunkSize);
        Assert.True(settings.ForceChunkedUpload);
        Assert.Equal(TimeSpan.FromMilliseconds(5), settings.RetryBaseDelay);
        Assert.Equal("CT3012", Assert.Throws<ContainerTasksException>(() => RegistrySettings.FromEnvironment(new Dictionary<string, string> { ["DOTNET_CONTAINER_REGISTRY_PARALLEL_UPLOAD"] = "maybe" })).Code);
    }

    [Fact]
    public void Quirks_are_chosen_by_host_and_named_by_behaviour()
    {
        Assert.True(RegistryQuirks.For("123456789012.dkr.ecr.eu-west-1.amazonaws.com").SequentialUploads);
        Assert.Equal(5 * 1024 * 1024, RegistryQuirks.For("123456789012.dkr.ecr.eu-west-1.amazonaws.com").MinimumChunkSize);
        Assert.True(RegistryQuirks.For("europe-docker.pkg.dev").RequiresChunkedUpload);
        Assert.Equal(RegistryQuirks.None, RegistryQuirks.For("ghcr.io"));
    }
}

public class CredentialStoreTests
{
    private static string Auth(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    [Fact]
    public void Environment_credentials_are_scoped_to_the_output_or_base_registry_as_the_sdk_does()
    {
        var env = new Dictionary<string, string>
        {
            ["HOME"] = "/nonexistent",
            ["DOTNET_CONTAINER_REGISTRY_UNAME"] = "generic",
            ["DOTNET_CONTAINER_REGISTRY_PWORD"] = "generic-secret",
            ["DOTNET_CONTAINER_PULL_REGISTRY_UNAME"] = "puller",
            ["DOTNET_CONTAINER_PULL_REGISTRY_PWORD"] = "pull-secret",
        };
        var store = new CredentialStore(env, baseRegistry: "base.example", outputRegistry: "out.example");
        Assert.Equal("generic", store.Find("out.example", "app", RegistryRole.Push)!.Username);
        Assert.Equal("puller", store.Find("base.example", "dotnet/runtime", RegistryRole.Pull)!.Username);
        // The push pair never reaches the base registry, nor any other registry.
        Assert.Null(new CredentialStore(env, "base.example", "out.example").Find("third.example", "x", RegistryRole.Pull));
        var noPull = new CredentialStore(new Dictionary<string, string>(env.Where(p => !p.Key.Contains("PULL"))), "base.example", "out.example");
        Assert.Null(noPull.Find("base.example", "dotnet/runtime", RegistryRole.Pull));
        // Same registry for both: the generic pair serves the pull when no PULL pair is set.
        var same = new CredentialStore(new Dictionary<string, string>(env.Where(p => !p.Key.Contains("PULL"))), "reg.example", "reg.example");
        Assert.Equal("generic", same.Find("reg.example", "base", RegistryRole.Pull)!.Username);

        var pushPair = new CredentialStore(new Dictionary<string, string>(env) { ["DOTNET_CONTAINER_PUSH_REGISTRY_UNAME"] = "pusher", ["DOTNET_CONTAINER_PUSH_REGISTRY_PWORD"] = "push-secret" }, "b", "out.example");
        var credential = pushPair.Find("out.example", "app", RegistryRole.Push)!;
        Assert.Equal("pusher", credential.Username);
        Assert.DoesNotContain("push-secret", credential.ToString());
        Assert.Contains("DOTNET_CONTAINER_PUSH_REGISTRY_UNAME/PWORD", credential.ToString());
    }

    [Fact]
    public void Auth_files_normalise_keys_and_the_most_specific_repository_key_wins()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir[".docker"]);
        File.WriteAllText(dir[".docker/config.json"], $$$"""
            {"auths": {
              "https://index.docker.io/v1/": {"auth": "{{{Auth("hubuser", "hub-secret")}}}"},
              "https://ghcr.io": {"username": "gh", "password": "gh-secret"},
              "myreg.example:5000/v2/": {"identitytoken": "refresh-123"},
              "quay.example": {"auth": "{{{Auth("org", "org-secret")}}}"},
              "quay.example/team/app": {"auth": "{{{Auth("team", "team-secret")}}}"}
            }}
            """);
        var store = new CredentialStore(new Dictionary<string, string> { ["HOME"] = dir.Path }, null, null);
        Assert.Equal("hubuser", store.Find("docker.io", "library/nginx", RegistryRole.Pull)!.Username);
        Assert.Equal("gh", store.Find("ghcr.io", "o/r", RegistryRole.Pull)!.Username);
        Assert.Equal("refresh-123", store.Find("myreg.example:5000", "x", RegistryRole.Push)!.IdentityToken);
        Assert.Equal("team", store.Find("quay.example", "team/app", RegistryRole.Pull)!.Username);
        Assert.Equal("org", store.Find("quay.example", "team/other", RegistryRole.Pull)!.Username);
        Assert.Null(store.Find("other.example", "x", RegistryRole.Pull));

        // REGISTRY_AUTH_FILE (podman) comes before the docker config.
        File.WriteAllText(dir["auth.json"], """{"auths":{"ghcr.io":{"auth":"cG9kOnBvZC1zZWNyZXQ="}}}""");
        var podman = new CredentialStore(new Dictionary<string, string> { ["HOME"] = dir.Path, ["REGISTRY_AUTH_FILE"] = dir["auth.json"] }, null, null);
        Assert.Equal("pod", podman.Find("ghcr.io", "o/r", RegistryRole.Pull)!.Username);
    }

    [Fact]
    public void A_credential_helper_on_path_is_asked_and_token_users_become_identity_tokens()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["bin"]);
        // A helper that answers for two registries and logs which server it was asked about.
        File.WriteAllText(dir["bin/docker-credential-test"], $$"""
            #!/bin/sh
            read server
            echo "$1 $server" >> {{dir["helper.log"]}}
            case "$server" in
              helped.example) echo '{"ServerURL":"helped.example","Username":"helper-user","Secret":"helper-secret"}' ;;
              https://index.docker.io/v1/) echo '{"ServerURL":"x","Username":"<token>","Secret":"hub-identity"}' ;;
              *) echo "credentials not found in native keychain"; exit 1 ;;
            esac
            """);
        File.SetUnixFileMode(dir["bin/docker-credential-test"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(dir[".docker"]);
        File.WriteAllText(dir[".docker/config.json"], """{"credsStore":"test","credHelpers":{"other.example":"missing"}}""");
        var env = new Dictionary<string, string> { ["HOME"] = dir.Path, ["PATH"] = dir["bin"] + ":" + Environment.GetEnvironmentVariable("PATH") };
        var store = new CredentialStore(env, null, null);
        var helped = store.Find("helped.example", "x", RegistryRole.Pull)!;
        Assert.Equal("helper-user", helped.Username);
        Assert.Equal("helper-secret", helped.Password);
        Assert.Contains("docker-credential-test", helped.Source);
        Assert.Equal("hub-identity", store.Find("docker.io", "library/x", RegistryRole.Pull)!.IdentityToken);
        Assert.Null(store.Find("nothing.example", "x", RegistryRole.Pull));
        Assert.Contains("get helped.example", File.ReadAllText(dir["helper.log"]));
        var missing = Assert.Throws<ContainerTasksException>(() => store.Find("other.example", "x", RegistryRole.Pull));
        Assert.Equal("CT3008", missing.Code);
        Assert.Contains("docker-credential-missing", missing.Message);
    }

    [Fact]
    public void A_malformed_auth_file_is_CT3008_naming_the_file()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir[".docker"]);
        File.WriteAllText(dir[".docker/config.json"], "{not json");
        var error = Assert.Throws<ContainerTasksException>(() => new CredentialStore(new Dictionary<string, string> { ["HOME"] = dir.Path }, null, null).Find("x.example", "y", RegistryRole.Pull));
        Assert.Equal("CT3008", error.Code);
        Assert.Contains("config.json", error.Message);
    }

    [Theory]
    [InlineData("https://index.docker.io/v1/", "docker.io")]
    [InlineData("registry-1.docker.io", "docker.io")]
    [InlineData("https://ghcr.io", "ghcr.io")]
    [InlineData("ghcr.io/v1/", "ghcr.io")]
    [InlineData("http://Reg.Example:5000/v2", "reg.example:5000")]
    [InlineData("quay.io/org/repo", "quay.io/org/repo")]
    public void Auth_keys_are_normalised(string key, string normalised)
    {
        Assert.Equal(normalised, CredentialStore.NormalizeKey(key));
    }
}

public class UploadVerificationTests
{
    [Fact]
    public void A_blob_read_in_chunks_is_verified_when_its_last_byte_is_read_and_a_chunk_read_again_is_not_hashed_twice()
    {
        byte[] blob = System.Security.Cryptography.RandomNumberGenerator.GetBytes(1000);
        var descriptor = new Model.Descriptor(Model.MediaTypes.OciLayerGzip, Model.Digest.Sha256(blob), blob.Length);
        using (var good = new Outputs.VerifyingReadStream(new MemoryStream(blob), descriptor))
        {
            SendChunk(good, 0, 600);
            SendChunk(good, 0, 600);   // sent again after a failed PATCH
            SendChunk(good, 600, 400);
        }
        byte[] damaged = (byte[])blob.Clone();
        damaged[700] ^= 0xff;
        using var bad = new Outputs.VerifyingReadStream(new MemoryStream(damaged), descriptor);
        SendChunk(bad, 0, 600);
        Assert.Equal("CT1007", Assert.Throws<ContainerTasksException>(() => SendChunk(bad, 600, 400)).Code);
    }

    // As a PATCH body does: reads its window to the end, never past it.
    private static void SendChunk(Stream content, long start, long length)
    {
        using var chunk = new SubStream(content, start, length);
        chunk.CopyTo(Stream.Null);
    }
}

public class RegistryTextTests
{
    [Fact]
    public void Control_characters_newlines_and_bidirectional_overrides_become_single_spaces_and_long_text_is_capped()
    {
        Assert.Equal("[31m red [0m next line fake", RegistryText.Clean("\u001b[31m red\u001b[0m\r\n next line\u202E fake\u0007"));
        string capped = RegistryText.Clean(new string('x', 5000));
        Assert.Equal(RegistryText.MaxLength + 1, capped.Length);
        Assert.EndsWith("…", capped);
        Assert.Equal("", RegistryText.Clean(null));
    }
}
