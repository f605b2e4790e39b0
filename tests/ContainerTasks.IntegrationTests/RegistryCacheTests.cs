using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// The registry as the layer cache of ephemeral CI runners: each runner here is a new git clone in a new folder with
/// a new, empty content cache (NuGet packages present), publishing with real <c>dotnet publish</c> to a real registry.
/// </summary>
[Collection(EngineImageCollection.Name)]
public sealed class RegistryCacheTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http, TokenRegistryFixture token)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>, IClassFixture<TokenRegistryFixture>
{
    private const string Greeting = "Hello from a container built without a daemon!";

    [Fact]
    public async Task A_fresh_runner_compresses_and_uploads_only_the_changed_layer_and_the_same_commit_gets_the_same_digest_with_nothing_uploaded()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        using var dir = new TempDirectory();
        string origin = Origin(dir);
        string repository = RegistryServer.NewRepository("fresh");

        var a = Runner(dir, origin, "a", server, baseImage, repository);
        string first = a.ImageDigest();

        // The same commit on another runner: every layer is found in the tag's image, nothing is compressed or uploaded.
        int mark = server.AccessLog().Count;
        var same = Runner(dir, origin, "same", server, baseImage, repository);
        Assert.Equal(first, same.ImageDigest());
        Assert.Contains("Layers compressed: 0.", same.Output);
        Assert.Empty(BlobUploads(server, mark, repository));

        // A one-line change on a third runner: only the app layer is compressed, only it and the config are uploaded.
        Commit(origin, "Hello from", "Hi from");
        mark = server.AccessLog().Count;
        var changed = Runner(dir, origin, "changed", server, baseImage, repository);
        Assert.Contains("Layers compressed: 1.", changed.Output);
        Assert.Matches(@"Layers: 1 built, 0 from the local layer cache, [1-9]\d* found in the destination's image", changed.Output);
        Assert.Equal(2, ImageBlobUploads(server, mark, repository, changed).Count); // the app layer and the config (and the new provenance, not counted)
        Assert.NotEqual(first, changed.ImageDigest());
        var sources = changed.LayerSources();
        Assert.Equal(1, sources.Count(s => s == "built"));
        Assert.Contains("destination", sources);

        string[] output = TestImage.RunImage(Pull(server, repository + ":latest", dir["pulled"]));
        Assert.Equal("Hi from a container built without a daemon!", output[0]);
    }

    [Fact]
    public async Task A_fresh_runner_of_a_two_platform_image_finds_each_platforms_layers_in_the_tags_index()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetTwoPlatformAsync(server, bases);
        using var dir = new TempDirectory();
        string origin = Origin(dir, project => project.Replace("</TargetFramework>", "</TargetFramework>\n    <RuntimeIdentifiers>linux-x64;linux-arm64</RuntimeIdentifiers>", StringComparison.Ordinal));
        string repository = RegistryServer.NewRepository("fresh-multi");
        var a = Runner(dir, origin, "a", server, baseImage, repository, "-p:ContainerRuntimeIdentifiers=linux-x64%3Blinux-arm64");

        int mark = server.AccessLog().Count;
        var same = Runner(dir, origin, "same", server, baseImage, repository, "-p:ContainerRuntimeIdentifiers=linux-x64%3Blinux-arm64");
        Assert.Equal(a.ImageDigest(), same.ImageDigest()); // the index
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(same.Output, "Layers compressed: 0\\.").Count); // each platform
        Assert.DoesNotContain("Layers compressed: 1", same.Output);
        Assert.Empty(BlobUploads(server, mark, repository));
    }

    [Fact]
    public async Task Cache_from_another_repository_mounts_its_layers_and_a_tag_by_commit_uses_the_branch_tag()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        using var dir = new TempDirectory();
        string origin = Origin(dir);
        string branch = RegistryServer.NewRepository("branch");
        Runner(dir, origin, "main", server, baseImage, branch, "-p:ContainerImageTags=main");

        // A job that tags by commit, in another repository, with the branch tag as its cache: the layers are mounted.
        string byCommit = RegistryServer.NewRepository("commit");
        Commit(origin, "Hello from", "Hi from");
        int mark = server.AccessLog().Count;
        var job = Runner(dir, origin, "job", server, baseImage, byCommit, "-p:ContainerImageTags=abc123", $"-p:ContainerCacheFrom={server.Host}/{branch}:main");
        Assert.Contains("Layers compressed: 1.", job.Output);
        Assert.Contains("cache-from", job.LayerSources());
        Assert.Contains(PackageFeed.ImageJson(job.Project).GetProperty("platforms")[0].GetProperty("layers").EnumerateArray(),
            l => l.TryGetProperty("foundIn", out JsonElement found) && found.GetString() == $"{server.Host}/{branch}:main");
        var log = server.AccessLog().Skip(mark).ToList();
        Assert.Contains(log, e => e.Method == "POST" && e.Path.Contains(byCommit, StringComparison.Ordinal) && (e.Query ?? "").Contains("mount=", StringComparison.Ordinal) && e.Status == 201);
        Assert.Equal(2, ImageBlobUploads(server, mark, byCommit, job).Count); // the app layer and the config (and the documents attached, not counted)
        Assert.Equal("Hi from a container built without a daemon!", TestImage.RunImage(Pull(server, byCommit + ":abc123", dir["pulled"]))[0]);

        // A cache image that does not exist yet (the first build of a branch) is said, not an error.
        var newBranch = Runner(dir, origin, "new-branch", server, baseImage, RegistryServer.NewRepository("commit"), $"-p:ContainerCacheFrom={server.Host}/{branch}:no-such-branch");
        Assert.Contains("no-such-branch", newBranch.Output);
        Assert.DoesNotContain("warning CT", newBranch.Output);
    }

    [Fact]
    public async Task A_private_cache_image_on_the_push_registry_is_read_with_the_push_credentials_as_ci_jobs_have_only_those()
    {
        string baseImage = await RuntimeBases.GetAsync(http.Server, bases, "dotnet"); // anonymous: the job has credentials for its own registry only
        RegistryServer server = token.Server;
        using var dir = new TempDirectory();
        string origin = Origin(dir);
        var credentials = new Dictionary<string, string?>(server.ChildEnvironment)
        {
            ["DOTNET_CONTAINER_PUSH_REGISTRY_UNAME"] = RegistryUsers.Pusher.User,
            ["DOTNET_CONTAINER_PUSH_REGISTRY_PWORD"] = RegistryUsers.Pusher.Password,
            ["HOME"] = Directory.CreateDirectory(dir["home"]).FullName,
        };
        string branch = "private/" + RegistryServer.NewRepository("branch");
        Runner(dir, origin, "main", server, baseImage, branch, credentials, "-p:ContainerImageTags=main");

        Commit(origin, "Hello from", "Hi from");
        var job = Runner(dir, origin, "job", server, baseImage, "private/" + RegistryServer.NewRepository("commit"), credentials, "-p:ContainerImageTags=abc123",
            $"-p:ContainerCacheFrom={server.Host}/{branch}:main");
        Assert.DoesNotContain("CT3017", job.Output);
        Assert.Contains("cache-from", job.LayerSources());
        Assert.Contains("Layers compressed: 1.", job.Output);
        Assert.DoesNotContain(RegistryUsers.Pusher.Password, job.Output);
    }

    [Fact]
    public async Task Cache_from_another_registry_copies_the_layers_without_compressing_them()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        await using RegistryServer other = await RegistryServer.StartAsync(RegistryMode.Http);
        using var dir = new TempDirectory();
        string origin = Origin(dir);
        string repository = RegistryServer.NewRepository("elsewhere");
        var first = Runner(dir, origin, "first", server, baseImage, repository);

        var copy = Runner(dir, origin, "copy", other, baseImage, repository, $"-p:ContainerCacheFrom={server.Host}/{repository}:latest");
        Assert.Contains("Layers compressed: 0.", copy.Output);
        Assert.Equal(first.ImageDigest(), copy.ImageDigest());
        Assert.Equal(Greeting, TestImage.RunImage(Pull(other, repository + ":latest", dir["pulled"]))[0]);
    }

    [Fact]
    public async Task A_cache_image_that_lies_about_a_diff_id_is_caught_with_verify_and_without_it_gives_an_image_that_fails_to_unpack()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        using var dir = new TempDirectory();
        string origin = Origin(dir);
        string honest = RegistryServer.NewRepository("honest");
        Runner(dir, origin, "honest", server, baseImage, honest);
        string forged = await ForgeAsync(server, honest);

        // ContainerCacheVerify: the false claim is found, said (CT3016), and the layer is built instead.
        string verifiedRepository = RegistryServer.NewRepository("verified");
        var verified = Runner(dir, origin, "verified", server, baseImage, verifiedRepository, $"-p:ContainerCacheFrom={forged}", "-p:ContainerCacheVerify=true");
        Assert.Contains("CT3016", verified.Output);
        Assert.Equal(Greeting, TestImage.RunImage(Pull(server, verifiedRepository + ":latest", dir["pulled-verified"]))[0]);

        // Without it the claim is taken: the image names a blob that does not hold its diff_id, and a real client refuses it.
        string trustingRepository = RegistryServer.NewRepository("trusting");
        var trusting = Runner(dir, origin, "trusting", server, baseImage, trustingRepository, $"-p:ContainerCacheFrom={forged}");
        Assert.DoesNotContain("CT3016", trusting.Output);
        string layout = Pull(server, trustingRepository + ":latest", dir["pulled-trusting"]);
        var unpack = Run.Process("umoci", ["unpack", "--rootless", "--image", layout[4..], dir["bundle"]]);
        Assert.NotEqual(0, unpack.ExitCode);
        Assert.Contains("diffid", (unpack.StandardError + unpack.StandardOutput).ToLowerInvariant().Replace("_", "").Replace(" ", ""));
    }

    [Fact]
    public async Task A_layer_image_that_claims_an_app_layers_diff_id_is_not_taken_for_that_layer_by_the_next_build_of_this_machine()
    {
        RegistryServer server = http.Server;
        string baseImage = await RuntimeBases.GetAsync(server, bases, "dotnet");
        using var dir = new TempDirectory();
        string origin = Origin(dir, p => p.Replace("</Project>", """
            <ItemGroup Condition="'$(AgentImage)' != ''"><ContainerLayerImage Include="$(AgentImage)" /></ItemGroup>
            </Project>
            """, StringComparison.Ordinal));
        // What the app's top layer will be: its blob and diff_id, from a build elsewhere.
        string honest = RegistryServer.NewRepository("honest");
        Runner(dir, origin, "honest", server, baseImage, honest);
        (string appBlob, string appDiffId) = await TopLayerAsync(server, honest + ":latest");
        string agent = await ForgeAgentAsync(server, appDiffId);
        string repository = RegistryServer.NewRepository("laundered");
        var machine = new Dictionary<string, string?> { ["CONTAINERTASKS_CACHE"] = dir["cache-machine"] };
        Runner(dir, origin, "with-agent", server, baseImage, repository, machine, $"-p:AgentImage={agent}");

        // The agent is removed: its layer (in the pushed image, below the app's) must not stand in for the app layer.
        Runner(dir, origin, "without-agent", server, baseImage, repository, machine);
        Assert.Equal(appBlob, (await TopLayerAsync(server, repository + ":latest")).Blob);
        Assert.Equal(Greeting, TestImage.RunImage(Pull(server, repository + ":latest", dir["pulled-reuse"]))[0]);

        // Nor when the app layer is looked up by content (no layer cache) in the image with the agent, with ContainerCacheVerify.
        Runner(dir, origin, "agent-again", server, baseImage, repository, machine, $"-p:AgentImage={agent}");
        Directory.Delete(Path.Combine(dir["cache-machine"], "layers"), recursive: true);
        var lookedUp = Runner(dir, origin, "looked-up", server, baseImage, repository, machine, "-p:ContainerCacheVerify=true");
        Assert.Equal(appBlob, (await TopLayerAsync(server, repository + ":latest")).Blob);
        Assert.Equal(Greeting, TestImage.RunImage(Pull(server, repository + ":latest", dir["pulled-lookup"]))[0]);
        Assert.DoesNotContain("CT3016", lookedUp.Output);
    }

    // The top layer of an image: its blob digest and the diff_id its config claims.
    private static async Task<(string Blob, string DiffId)> TopLayerAsync(RegistryServer server, string repositoryAndTag)
    {
        using HttpClient client = server.CreateHttpClient();
        string[] parts = repositoryAndTag.Split(':');
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUri, $"v2/{parts[0]}/manifests/{parts[1]}"));
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        request.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        using HttpResponseMessage got = await client.SendAsync(request);
        got.EnsureSuccessStatusCode();
        JsonNode manifest = JsonNode.Parse(await got.Content.ReadAsStringAsync())!;
        string configDigest = manifest["config"]!["digest"]!.GetValue<string>();
        JsonNode config = JsonNode.Parse(await client.GetStringAsync(new Uri(server.BaseUri, $"v2/{parts[0]}/blobs/{configDigest}")))!;
        return (manifest["layers"]!.AsArray()[^1]!["digest"]!.GetValue<string>(), config["rootfs"]!["diff_ids"]!.AsArray()[^1]!.GetValue<string>());
    }

    // An "agent" image of one layer (evil.txt) whose config claims the diff_id of the app's layer for it.
    private static async Task<string> ForgeAgentAsync(RegistryServer server, string diffId)
    {
        using HttpClient client = server.CreateHttpClient();
        string repository = RegistryServer.NewRepository("agent");
        byte[] layer = EvilLayer();
        byte[] config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject(),
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffId) },
        }.ToJsonString());
        string layerDigest = await UploadAsync(client, server, repository, layer);
        string configDigest = await UploadAsync(client, server, repository, config);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip", ["digest"] = layerDigest, ["size"] = layer.Length }),
        };
        var body = new ByteArrayContent(Encoding.UTF8.GetBytes(manifest.ToJsonString()));
        body.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.oci.image.manifest.v1+json");
        using var put = await client.PutAsync(new Uri(server.BaseUri, $"v2/{repository}/manifests/1.9"), body);
        put.EnsureSuccessStatusCode();
        return $"{server.Host}/{repository}:1.9";
    }

    private static async Task<string> UploadAsync(HttpClient client, RegistryServer server, string repository, byte[] blob)
    {
        string digest = "sha256:" + Convert.ToHexString(SHA256.HashData(blob)).ToLowerInvariant();
        using var start = await client.PostAsync(new Uri(server.BaseUri, $"v2/{repository}/blobs/uploads/"), null);
        Uri location = new(server.BaseUri, start.Headers.Location!);
        string separator = location.Query.Length > 0 ? "&" : "?";
        using var put = await client.PutAsync(new Uri(location + separator + "digest=" + digest), new ByteArrayContent(blob));
        put.EnsureSuccessStatusCode();
        return digest;
    }

    private sealed record RunnerResult(string Project, string Output)
    {
        public string ImageDigest() => PackageFeed.ImageJson(Project).GetProperty("digest").GetString()!;

        public List<string> LayerSources() => PackageFeed.ImageJson(Project).GetProperty("platforms")[0].GetProperty("layers").EnumerateArray()
            .Select(l => l.GetProperty("source").GetString()!).ToList();
    }

    // A new clone of the origin at its current commit, a new empty content cache, one publish with -v:d.
    private RunnerResult Runner(TempDirectory dir, string origin, string name, RegistryServer server, string baseImage, string repository, params string[] extra)
        => Runner(dir, origin, name, server, baseImage, repository, new Dictionary<string, string?>(), extra);

    private RunnerResult Runner(TempDirectory dir, string origin, string name, RegistryServer server, string baseImage, string repository,
        Dictionary<string, string?> environment, params string[] extra)
    {
        string checkout = dir[$"runner-{name}"];
        Run.Process("git", ["clone", "-q", origin, checkout]).EnsureSuccess("git clone");
        string project = Path.Combine(checkout, "HelloContainer.csproj");
        // ContinuousIntegrationBuild maps source paths, so a clone elsewhere compiles to the same bytes (as CI builds do).
        var result = feed.Dotnet(["publish", project, "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerRegistry={server.Host}", $"-p:ContainerBaseImage={baseImage}", $"-p:ContainerRepository={repository}", "-p:ContinuousIntegrationBuild=true",
            "-v:d", .. extra], new Dictionary<string, string?>(environment) { ["CONTAINERTASKS_CACHE"] = environment.GetValueOrDefault("CONTAINERTASKS_CACHE") ?? dir[$"cache-{name}"] }).EnsureSuccess($"publish on runner {name}");
        return new RunnerResult(project, result.StandardOutput);
    }

    private string Origin(TempDirectory dir, Func<string, string>? editProject = null)
    {
        string origin = dir["origin"];
        string project = feed.CopySample("HelloContainer", origin);
        if (editProject is not null)
        {
            File.WriteAllText(project, editProject(File.ReadAllText(project)));
        }
        File.WriteAllText(Path.Combine(origin, ".gitignore"), "bin/\nobj/\n");
        Git(origin, "init", "-q");
        Git(origin, "add", "-A");
        Git(origin, "commit", "-qm", "first");
        return origin;
    }

    private static void Commit(string origin, string from, string to)
    {
        string program = Path.Combine(origin, "Program.cs");
        File.WriteAllText(program, File.ReadAllText(program).Replace(from, to, StringComparison.Ordinal));
        Git(origin, "commit", "-qam", "one line");
    }

    private static void Git(string directory, params string[] args)
        => Run.Process("git", ["-C", directory, "-c", "user.email=test@example.invalid", "-c", "user.name=test", .. args]).EnsureSuccess("git " + string.Join(' ', args));

    // Completed blob uploads into the repository since the mark (the registry's access log).
    // The image's blob uploads only: not those of the SBOM and provenance attached to it.
    private static List<AccessLogEntry> ImageBlobUploads(RegistryServer server, int mark, string repository, RunnerResult runner)
        => BlobUploads(server, mark, repository).Where(e => !PackageFeed.IsDocumentRequest(e, runner.Project)).ToList();

    private static List<AccessLogEntry> BlobUploads(RegistryServer server, int mark, string repository) => server.AccessLog().Skip(mark)
        .Where(e => e.Method == "PUT" && e.Path.Contains($"/{repository}/blobs/uploads/", StringComparison.Ordinal) && e.Status == 201).ToList();

    private static string Pull(RegistryServer server, string repositoryAndTag, string folder)
    {
        Run.Process("skopeo", ["copy", "--src-tls-verify=false", $"docker://{server.Reference(repositoryAndTag)}", $"oci:{folder}:p"]).EnsureSuccess("skopeo copy");
        return $"oci:{folder}:p";
    }

    // The honest image again under another name, its app layer's blob swapped for another tar (one file, evil.txt) while
    // the config still claims the app layer's diff_id for it: what a careless or hostile pusher of a cache image could do.
    private static async Task<string> ForgeAsync(RegistryServer server, string honest)
    {
        using HttpClient client = server.CreateHttpClient();
        string forged = RegistryServer.NewRepository("forged");
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUri, $"v2/{honest}/manifests/latest"));
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        request.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        using HttpResponseMessage got = await client.SendAsync(request);
        got.EnsureSuccessStatusCode();
        string mediaType = got.Content.Headers.ContentType!.MediaType!;
        JsonNode manifest = JsonNode.Parse(await got.Content.ReadAsStringAsync())!;
        JsonArray layers = manifest["layers"]!.AsArray();
        foreach (string digest in layers.Take(layers.Count - 1).Append(manifest["config"]).Select(d => d!["digest"]!.GetValue<string>()))
        {
            using var mount = await client.PostAsync(new Uri(server.BaseUri, $"v2/{forged}/blobs/uploads/?mount={digest}&from={honest}"), null);
            Assert.Equal(System.Net.HttpStatusCode.Created, mount.StatusCode);
        }
        byte[] evil = EvilLayer();
        string evilDigest = "sha256:" + Convert.ToHexString(SHA256.HashData(evil)).ToLowerInvariant();
        using (var start = await client.PostAsync(new Uri(server.BaseUri, $"v2/{forged}/blobs/uploads/"), null))
        {
            Uri location = new(server.BaseUri, start.Headers.Location!);
            string separator = location.Query.Length > 0 ? "&" : "?";
            using var put = await client.PutAsync(new Uri(location + separator + "digest=" + evilDigest), new ByteArrayContent(evil));
            put.EnsureSuccessStatusCode();
        }
        layers[^1]!["digest"] = evilDigest;
        layers[^1]!["size"] = evil.Length;
        var body = new ByteArrayContent(Encoding.UTF8.GetBytes(manifest.ToJsonString()));
        body.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var putManifest = await client.PutAsync(new Uri(server.BaseUri, $"v2/{forged}/manifests/latest"), body);
        putManifest.EnsureSuccessStatusCode();
        return $"{server.Host}/{forged}:latest";
    }

    private static byte[] EvilLayer()
    {
        using var tar = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(tar, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "evil.txt")
            {
                DataStream = new MemoryStream("not what the config says\n"u8.ToArray()),
            };
            writer.WriteEntry(entry);
        }
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(tar.ToArray());
        }
        return compressed.ToArray();
    }
}
