using System.Text;
using System.Text.Json;
using ContainerTasks.Supply;
using ContainerTasks.Supply.Provenance;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>
/// The provenance document: an in-toto statement with the SLSA provenance v1 predicate, its CI detection from an
/// allow-list, the same bytes for the same inputs, no secret of the environment, and the source read from real git
/// checkouts (made with git in a temporary folder).
/// </summary>
public sealed class ProvenanceTests
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private static readonly string IndexDigest = "sha256:" + new string('a', 64);
    private static readonly string OtherDigest = "sha256:" + new string('b', 64);
    private static readonly SbomBaseImage AspNet = new("mcr.microsoft.com", "dotnet/aspnet", "10.0", "sha256:" + new string('4', 64));
    private static readonly SbomBaseImage RuntimeDeps = new("mcr.microsoft.com", "dotnet/runtime-deps", "10.0", "sha256:" + new string('5', 64));

    private static readonly (string, string)[] ContainerParameters =
    [
        ("ContainerRepository", "team/app"),
        ("ContainerPort", "8080/tcp"),
        ("ContainerBaseImage", "mcr.microsoft.com/dotnet/aspnet:10.0"),
        ("ContainerImageTags", "1.0;latest"),
        ("ContainerPort", "443/tcp"),
        ("ContainerEnvironmentVariable", "ASPNETCORE_URLS"),
        ("ContainerUser", "app \"quoted\" <tag> +plus é"),
    ];

    private static ProvenanceInputs Inputs(IReadOnlyDictionary<string, string>? environment = null, SourceInfo? source = null) => new(
        [new ProvenanceSubject("registry.example.com/team/app", IndexDigest)],
        Path.Combine(Path.GetTempPath(), "checkout", "src", "App", "App.csproj"),
        "Release",
        ["linux-x64", "linux-arm64"],
        ContainerParameters,
        "10.0.100",
        "1.2.3",
        [AspNet],
        source ?? new SourceInfo("https://github.com/o/r", Commit, "refs/heads/main", Path.Combine(Path.GetTempPath(), "checkout")),
        environment ?? new Dictionary<string, string>());

    private static JsonElement Parse(byte[] document) => JsonDocument.Parse(document).RootElement;

    private static JsonElement Predicate(byte[] document) => Parse(document).GetProperty("predicate");

    [Fact]
    public void The_document_is_an_in_toto_v1_statement_about_the_subjects_with_the_SLSA_v1_predicate_and_our_build_type()
    {
        var inputs = Inputs() with
        {
            Subjects = [new("registry.example.com/team/app", OtherDigest), new("registry.example.com/team/app", IndexDigest), new("a.example/x", IndexDigest)],
        };
        var root = Parse(ProvenanceWriter.Write(inputs));

        Assert.Equal("https://in-toto.io/Statement/v1", root.GetProperty("_type").GetString());
        Assert.Equal("https://slsa.dev/provenance/v1", root.GetProperty("predicateType").GetString());
        Assert.Equal(ProvenanceWriter.PredicateType, root.GetProperty("predicateType").GetString());
        Assert.Equal("application/vnd.in-toto+json", ProvenanceWriter.MediaType);
        var subjects = root.GetProperty("subject").EnumerateArray()
            .Select(s => (s.GetProperty("name").GetString(), s.GetProperty("digest").GetProperty("sha256").GetString())).ToList();
        Assert.Equal([("a.example/x", new string('a', 64)), ("registry.example.com/team/app", new string('a', 64)),
            ("registry.example.com/team/app", new string('b', 64))], subjects);
        var definition = root.GetProperty("predicate").GetProperty("buildDefinition");
        Assert.Equal("https://containertasks.dev/provenance/dotnet-publish/v1", definition.GetProperty("buildType").GetString());
        var internalParameters = definition.GetProperty("internalParameters");
        Assert.Equal("10.0.100", internalParameters.GetProperty("dotnetSdkVersion").GetString());
        Assert.Equal("1.2.3", internalParameters.GetProperty("containerTasksVersion").GetString());
    }

    [Fact]
    public void External_parameters_are_sorted_relative_and_the_container_values_are_written_as_given()
    {
        byte[] document = ProvenanceWriter.Write(Inputs());
        var external = Predicate(document).GetProperty("buildDefinition").GetProperty("externalParameters");

        Assert.Equal(["configuration", "container", "project", "runtimeIdentifiers", "source"], external.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Release", external.GetProperty("configuration").GetString());
        Assert.Equal("src/App/App.csproj", external.GetProperty("project").GetString());
        Assert.Equal(["linux-arm64", "linux-x64"], external.GetProperty("runtimeIdentifiers").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("git+https://github.com/o/r@refs/heads/main", external.GetProperty("source").GetString());
        var container = external.GetProperty("container");
        Assert.Equal(["ContainerBaseImage", "ContainerEnvironmentVariable", "ContainerImageTags", "ContainerPort", "ContainerRepository", "ContainerUser"],
            container.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["8080/tcp", "443/tcp"], container.GetProperty("ContainerPort").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("app \"quoted\" <tag> +plus é", container.GetProperty("ContainerUser").GetString());
        Assert.Equal("1.0;latest", container.GetProperty("ContainerImageTags").GetString());
        // Written as a file, not for HTML: '+', '<' and 'é' stay themselves.
        Assert.Contains("\"app \\\"quoted\\\" <tag> +plus é\"", Encoding.UTF8.GetString(document));
    }

    [Fact]
    public void Every_object_of_the_document_has_its_members_sorted_by_name()
    {
        var inputs = Inputs(GitHubEnvironment());
        AssertSorted(Parse(ProvenanceWriter.Write(inputs)));

        static void AssertSorted(JsonElement element)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                var names = element.EnumerateObject().Select(p => p.Name).ToList();
                Assert.Equal(names.Order(StringComparer.Ordinal), names);
                element.EnumerateObject().ToList().ForEach(p => AssertSorted(p.Value));
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                element.EnumerateArray().ToList().ForEach(AssertSorted);
            }
        }
    }

    [Fact]
    public void A_project_outside_the_source_root_or_without_one_is_named_by_its_file_name_only()
    {
        var outside = Inputs(source: new SourceInfo(null, null, null, Path.Combine(Path.GetTempPath(), "elsewhere")));
        var none = Inputs(source: SourceInfo.None);

        foreach (var inputs in new[] { outside, none })
        {
            var external = Predicate(ProvenanceWriter.Write(inputs)).GetProperty("buildDefinition").GetProperty("externalParameters");
            Assert.Equal("App.csproj", external.GetProperty("project").GetString());
            Assert.False(external.TryGetProperty("source", out _));
            Assert.DoesNotContain(Path.GetTempPath().TrimEnd('/'), Encoding.UTF8.GetString(ProvenanceWriter.Write(inputs)));
        }
    }

    [Fact]
    public void Resolved_dependencies_are_the_source_commit_each_base_image_by_digest_and_the_SDK()
    {
        var inputs = Inputs() with { BaseImages = [RuntimeDeps, AspNet, AspNet] };
        var dependencies = Predicate(ProvenanceWriter.Write(inputs)).GetProperty("buildDefinition").GetProperty("resolvedDependencies")
            .EnumerateArray().ToList();

        Assert.Equal(4, dependencies.Count);
        Assert.Equal("git+https://github.com/o/r@refs/heads/main", dependencies[0].GetProperty("uri").GetString());
        Assert.Equal(Commit, dependencies[0].GetProperty("digest").GetProperty("gitCommit").GetString());
        Assert.Equal("pkg:oci/aspnet@sha256%3A" + new string('4', 64) + "?repository_url=mcr.microsoft.com/dotnet/aspnet&tag=10.0",
            dependencies[1].GetProperty("uri").GetString());
        Assert.Equal(new string('4', 64), dependencies[1].GetProperty("digest").GetProperty("sha256").GetString());
        Assert.Equal("pkg:oci/runtime-deps@sha256%3A" + new string('5', 64) + "?repository_url=mcr.microsoft.com/dotnet/runtime-deps&tag=10.0",
            dependencies[2].GetProperty("uri").GetString());
        Assert.Equal("dotnet-sdk", dependencies[3].GetProperty("name").GetString());
        Assert.Equal("pkg:generic/dotnet-sdk@10.0.100", dependencies[3].GetProperty("uri").GetString());
    }

    [Fact]
    public void A_commit_without_a_repository_URL_is_a_dependency_by_digest_only()
    {
        var dependencies = Predicate(ProvenanceWriter.Write(Inputs(source: new SourceInfo(null, Commit, null, null))))
            .GetProperty("buildDefinition").GetProperty("resolvedDependencies");
        var source = dependencies[0];
        Assert.False(source.TryGetProperty("uri", out _));
        Assert.Equal(Commit, source.GetProperty("digest").GetProperty("gitCommit").GetString());
    }

    private static Dictionary<string, string> GitHubEnvironment() => Variables(
        "GITHUB_ACTIONS=true", "GITHUB_SERVER_URL=https://github.com", "GITHUB_REPOSITORY=o/r", "GITHUB_RUN_ID=4242",
        "GITHUB_RUN_ATTEMPT=2", "GITHUB_WORKFLOW_REF=o/r/.github/workflows/publish.yml@refs/heads/main",
        "GITHUB_SHA=" + Commit, "GITHUB_REF=refs/heads/main", "GITHUB_EVENT_NAME=push",
        "RUNNER_ENVIRONMENT=github-hosted");

    private static Dictionary<string, string> GitLabEnvironment() => Variables(
        "GITLAB_CI=true", "CI_SERVER_URL=https://gitlab.example.com",
        "CI_PROJECT_URL=https://gitlab.example.com/group/app", "CI_PROJECT_PATH=group/app", "CI_PIPELINE_ID=777",
        "CI_JOB_ID=9001", "CI_JOB_URL=https://gitlab.example.com/group/app/-/jobs/9001", "CI_RUNNER_ID=12",
        "CI_COMMIT_SHA=" + Commit);

    private static Dictionary<string, string> AzureEnvironment() => Variables(
        "TF_BUILD=True", "SYSTEM_COLLECTIONURI=https://dev.azure.com/org/", "SYSTEM_TEAMPROJECT=My Project",
        "SYSTEM_DEFINITIONID=17", "BUILD_BUILDID=3141",
        "BUILD_REPOSITORY_URI=https://org@dev.azure.com/org/My%20Project/_git/app", "BUILD_SOURCEVERSION=" + Commit);

    // "NAME=value" pairs as a snapshot of the environment.
    private static Dictionary<string, string> Variables(params string[] pairs)
        => pairs.Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    private static Dictionary<string, string> EnvironmentOf(string system) => system switch
    {
        "github-actions" => GitHubEnvironment(),
        "gitlab-ci" => GitLabEnvironment(),
        "azure-pipelines" => AzureEnvironment(),
        _ => new Dictionary<string, string>(),
    };

    [Theory]
    [InlineData("github-actions", "https://github.com/o/r/.github/workflows/publish.yml@refs/heads/main",
        "https://github.com/o/r/actions/runs/4242/attempts/2", "GITHUB_RUN_ID", "4242")]
    [InlineData("gitlab-ci", "https://gitlab.example.com/group/app/-/runners/12",
        "https://gitlab.example.com/group/app/-/jobs/9001", "CI_PIPELINE_ID", "777")]
    [InlineData("azure-pipelines", "https://dev.azure.com/org/My%20Project/_build?definitionId=17",
        "https://dev.azure.com/org/My%20Project/_build/results?buildId=3141", "BUILD_REPOSITORY_URI", "https://dev.azure.com/org/My%20Project/_git/app")]
    public void Each_CI_system_is_detected_with_its_builder_invocation_and_variables_in_the_document(
        string system, string builderId, string invocationId, string variable, string value)
    {
        var environment = BuildEnvironment.From(EnvironmentOf(system));
        Assert.Equal(system, environment.System);
        Assert.Equal(builderId, environment.BuilderId);
        Assert.Equal(invocationId, environment.InvocationId);
        Assert.Contains((variable, value), environment.Metadata);

        var predicate = Predicate(ProvenanceWriter.Write(Inputs(EnvironmentOf(system))));
        Assert.Equal(builderId, predicate.GetProperty("runDetails").GetProperty("builder").GetProperty("id").GetString());
        Assert.Equal(invocationId, predicate.GetProperty("runDetails").GetProperty("metadata").GetProperty("invocationId").GetString());
        var ci = predicate.GetProperty("buildDefinition").GetProperty("internalParameters").GetProperty("ci");
        Assert.Equal(system, ci.GetProperty("system").GetString());
        Assert.Equal(value, ci.GetProperty("variables").GetProperty(variable).GetString());
        Assert.False(ci.GetProperty("variables").TryGetProperty("GITHUB_ACTIONS", out _));
    }

    [Fact]
    public void Outside_a_known_CI_the_builder_is_local_with_no_invocation_and_no_CI_parameters()
    {
        var environment = BuildEnvironment.From(new Dictionary<string, string> { ["CI"] = "true", ["GITHUB_ACTIONS"] = "false", ["PATH"] = "/usr/bin" });
        Assert.Equal("local", environment.System);
        Assert.Equal("https://containertasks.dev/builder/local", environment.BuilderId);
        Assert.Null(environment.InvocationId);
        Assert.Empty(environment.Metadata);

        var predicate = Predicate(ProvenanceWriter.Write(Inputs()));
        Assert.Equal(BuildEnvironment.LocalBuilderId, predicate.GetProperty("runDetails").GetProperty("builder").GetProperty("id").GetString());
        Assert.False(predicate.GetProperty("runDetails").TryGetProperty("metadata", out _));
        Assert.False(predicate.GetProperty("buildDefinition").GetProperty("internalParameters").TryGetProperty("ci", out _));
    }

    [Fact]
    public void A_CI_without_the_variables_of_its_ids_has_a_builder_id_of_its_own_and_no_invocation()
    {
        var environment = BuildEnvironment.From(new Dictionary<string, string> { ["GITLAB_CI"] = "true" });
        Assert.Equal("https://containertasks.dev/builder/gitlab-ci", environment.BuilderId);
        Assert.Null(environment.InvocationId);
    }

    [Fact]
    public void The_same_inputs_give_the_same_bytes_in_any_order_and_each_changed_input_changes_them()
    {
        byte[] first = ProvenanceWriter.Write(Inputs(GitHubEnvironment()));
        var shuffled = Inputs(new Dictionary<string, string>(GitHubEnvironment().Reverse())) with
        {
            RuntimeIdentifiers = ["linux-arm64", "linux-x64"],
            BaseImages = [AspNet, AspNet],
        };
        Assert.Equal(first, ProvenanceWriter.Write(Inputs(GitHubEnvironment())));
        Assert.Equal(first, ProvenanceWriter.Write(shuffled));
        Assert.DoesNotContain((byte)'\r', first);
        Assert.Equal((byte)'\n', first[^1]);
        Assert.DoesNotContain("startedOn", Encoding.UTF8.GetString(first));
        Assert.DoesNotContain("finishedOn", Encoding.UTF8.GetString(first));

        var inputs = Inputs(GitHubEnvironment());
        var changed = new[]
        {
            inputs with { Subjects = [new("registry.example.com/team/app", OtherDigest)] },
            inputs with { Configuration = "Debug" },
            inputs with { RuntimeIdentifiers = ["linux-x64"] },
            inputs with { ContainerParameters = [.. ContainerParameters, ("ContainerWorkingDirectory", "/app")] },
            inputs with { SdkVersion = "10.0.101" },
            inputs with { ToolVersion = "1.2.4" },
            inputs with { BaseImages = [RuntimeDeps] },
            inputs with { Source = inputs.Source with { Commit = new string('f', 40) } },
            Inputs(new Dictionary<string, string>(GitHubEnvironment()) { ["GITHUB_RUN_ATTEMPT"] = "3" }),
        };
        foreach (var input in changed)
        {
            Assert.NotEqual(first, ProvenanceWriter.Write(input));
        }
    }

    [Fact]
    public void No_clock_reading_enters_the_document_even_with_SOURCE_DATE_EPOCH()
    {
        byte[] document = ProvenanceWriter.Write(Inputs(new Dictionary<string, string> { ["SOURCE_DATE_EPOCH"] = "1700000000" }));
        Assert.Equal(ProvenanceWriter.Write(Inputs()), document);
    }

    [Theory]
    [InlineData("local")]
    [InlineData("github-actions")]
    [InlineData("gitlab-ci")]
    [InlineData("azure-pipelines")]
    public void No_environment_value_but_the_allow_listed_CI_metadata_enters_the_document(string system)
    {
        var environment = EnvironmentOf(system);
        var secrets = SecretLookingVariables();
        foreach (var (name, value) in secrets)
        {
            environment[name] = value;
        }
        // Credentials in allow-listed URLs are removed too.
        environment["CI_PROJECT_URL"] = environment.GetValueOrDefault("CI_PROJECT_URL", "https://gitlab.example.com/group/app")
            .Replace("https://", "https://gitlab-ci-token:glcbt-userinfo-secret-1@", StringComparison.Ordinal);
        environment["BUILD_REPOSITORY_URI"] = "https://build:azure-userinfo-secret-2@dev.azure.com/org/p/_git/app";

        string document = Encoding.UTF8.GetString(ProvenanceWriter.Write(Inputs(environment)));

        foreach (var (name, value) in secrets)
        {
            Assert.False(document.Contains(value, StringComparison.Ordinal), $"{name}'s value is in the document");
            Assert.False(document.Contains($"\"{name}\"", StringComparison.Ordinal), $"{name} is named in the document");
        }
        Assert.DoesNotContain("userinfo-secret", document, StringComparison.Ordinal);
        var metadata = BuildEnvironment.From(environment).Metadata;
        Assert.All(metadata, m => Assert.Contains(m.Name, CiSystem.All.SelectMany(s => s.AllowList)));
    }

    // Many variables a CI or a developer machine has, each with a unique secret-looking value; none allow-listed.
    private static Dictionary<string, string> SecretLookingVariables()
    {
        string[] names =
        [
            "GITHUB_TOKEN", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL", "GITHUB_ACTOR",
            "GITHUB_WORKSPACE", "GITHUB_ENV", "CI_JOB_TOKEN", "CI_REGISTRY_PASSWORD", "CI_REPOSITORY_URL", "CI_DEPLOY_PASSWORD",
            "CI_RUNNER_DESCRIPTION", "SYSTEM_ACCESSTOKEN", "AZURE_DEVOPS_EXT_PAT", "AGENT_HOMEDIRECTORY", "AWS_SECRET_ACCESS_KEY",
            "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "NUGET_API_KEY", "DOCKER_PASSWORD", "HOME", "USER", "PATH", "HOSTNAME",
            "SSH_AUTH_SOCK", "MY_DATABASE_CONNECTION", "connectionString", "x", "Secret With Spaces", "SOURCE_DATE_EPOCH_NOT",
        ];
        return names.Select((name, i) => (name, value: $"s3cr3t-{i:D2}-{Guid.NewGuid():N}"))
            .ToDictionary(p => p.name, p => p.value, StringComparer.Ordinal);
    }

    [Theory]
    [InlineData("https://user:ghp_token123@github.com/o/r.git", "https://github.com/o/r")]
    [InlineData("https://x-access-token:tok@github.com/o/r", "https://github.com/o/r")]
    [InlineData("https://github.com/o/r.git?private_token=abc#frag", "https://github.com/o/r")]
    [InlineData("git@github.com:o/r.git", "ssh://github.com/o/r")]
    [InlineData("ssh://git@gitlab.example.com:2222/group/app.git", "ssh://gitlab.example.com:2222/group/app")]
    [InlineData("https://dev.azure.com/org/My%20Project/_git/app", "https://dev.azure.com/org/My%20Project/_git/app")]
    [InlineData("/srv/git/app.git", null)]
    [InlineData("file:///srv/git/app.git", null)]
    [InlineData("C:/repos/app", null)]
    [InlineData("", null)]
    public void Repository_URLs_lose_their_user_information_query_and_dot_git(string url, string? expected)
        => Assert.Equal(expected, RepositoryUrls.Clean(url));

    [Fact]
    public void A_given_SourceRevisionId_or_RepositoryUrl_that_is_not_one_is_CT4127_without_the_credentials_in_the_message()
    {
        using var dir = new TempDirectory("ct-prov-");
        var error = Assert.Throws<ContainerTasksException>(() => SourceInfo.Find(dir.Path, "not-a-commit", null, null));
        Assert.Equal("CT4127", error.Code);
        error = Assert.Throws<ContainerTasksException>(() => SourceInfo.Find(dir.Path, null, "relative/path", null));
        Assert.Equal(ErrorCodes.InvalidProvenanceSource, error.Code);
        error = Assert.Throws<ContainerTasksException>(() => SourceInfo.Find(dir.Path, null, "file://u:tok-secret@host/share/x", null));
        Assert.Equal("CT4127", error.Code);
        Assert.DoesNotContain("tok-secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_subject_or_base_image_without_a_sha256_digest_or_no_subject_is_CT5013()
    {
        Assert.Equal("CT5013", Assert.Throws<ContainerTasksException>(() => ProvenanceWriter.Write(Inputs() with { Subjects = [] })).Code);
        Assert.Equal("CT5013", Assert.Throws<ContainerTasksException>(
            () => ProvenanceWriter.Write(Inputs() with { Subjects = [new("x", "sha512:" + new string('a', 128))] })).Code);
        Assert.Equal("CT5013", Assert.Throws<ContainerTasksException>(
            () => ProvenanceWriter.Write(Inputs() with { BaseImages = [AspNet with { ManifestDigest = "latest" }] })).Code);
        Assert.Equal("CT5013", Assert.Throws<ContainerTasksException>(
            () => ProvenanceWriter.Write(Inputs() with { ContainerParameters = [("", "x")] })).Code);
        Assert.Equal("CT5013", Assert.Throws<ContainerTasksException>(() => ProvenanceWriter.Write(Inputs() with { SdkVersion = "" })).Code);
        Assert.Equal(ErrorCodes.InvalidProvenanceInputs, "CT5013");
    }

    [Fact]
    public void Given_source_values_win_over_the_checkout_and_are_cleaned()
    {
        using var repo = GitRepo.Create();
        var source = SourceInfo.Find(repo.Dir["src/App"], Commit.ToUpperInvariant(), "https://me:tok@example.com/o/other.git", "release/1");
        Assert.Equal(Commit, source.Commit);
        Assert.Equal("https://example.com/o/other", source.RepositoryUrl);
        Assert.Equal("refs/heads/release/1", source.Ref);
        Assert.Equal(repo.Dir.Path, source.Root);
        Assert.Equal("git+https://example.com/o/other@refs/heads/release/1", source.GitUri);
    }

    [Fact]
    public void A_git_checkout_gives_the_origin_without_credentials_the_commit_and_the_branch()
    {
        using var repo = GitRepo.Create();
        var source = SourceInfo.Find(repo.Dir["src/App"], null, null, null);

        Assert.Equal(repo.Dir.Path, source.Root);
        Assert.Equal("https://github.com/o/r", source.RepositoryUrl);
        Assert.Equal(repo.Head, source.Commit);
        Assert.Equal("refs/heads/main", source.Ref);
        string document = Encoding.UTF8.GetString(ProvenanceWriter.Write(Inputs(source: source) with { ProjectPath = repo.Dir["src/App/App.csproj"] }));
        Assert.Contains("\"project\": \"src/App/App.csproj\"", document);
        Assert.Contains($"\"gitCommit\": \"{repo.Head}\"", document);
        Assert.DoesNotContain("ghp_secret", document);
        Assert.DoesNotContain(repo.Dir.Path, document);
    }

    [Fact]
    public void Packed_refs_are_read_when_the_branch_has_no_loose_ref()
    {
        using var repo = GitRepo.Create();
        repo.Git("pack-refs", "--all", "--prune");
        Assert.False(File.Exists(repo.Dir[".git/refs/heads/main"]));
        Assert.True(File.Exists(repo.Dir[".git/packed-refs"]));

        var source = SourceInfo.Find(repo.Dir.Path, null, null, null);
        Assert.Equal(repo.Head, source.Commit);
        Assert.Equal("refs/heads/main", source.Ref);
    }

    [Fact]
    public void A_worktree_reads_its_own_HEAD_and_the_main_checkout_s_refs_and_config()
    {
        using var repo = GitRepo.Create();
        repo.Git("pack-refs", "--all", "--prune");
        repo.Git("worktree", "add", "-b", "feature", repo.Dir["wt"]);
        repo.Git("-C", repo.Dir["wt"], "commit", "--allow-empty", "-m", "feature work");
        string featureHead = repo.Git("-C", repo.Dir["wt"], "rev-parse", "HEAD").Trim();
        Assert.True(File.Exists(repo.Dir["wt/.git"]));

        var source = SourceInfo.Find(repo.Dir["wt/src/App"], null, null, null);
        Assert.Equal(repo.Dir["wt"], source.Root);
        Assert.Equal(featureHead, source.Commit);
        Assert.NotEqual(repo.Head, source.Commit);
        Assert.Equal("refs/heads/feature", source.Ref);
        Assert.Equal("https://github.com/o/r", source.RepositoryUrl);
    }

    [Fact]
    public void A_detached_HEAD_has_its_commit_and_no_branch()
    {
        using var repo = GitRepo.Create();
        repo.Git("checkout", "--detach", "HEAD");
        var source = SourceInfo.Find(repo.Dir.Path, null, null, null);
        Assert.Equal(repo.Head, source.Commit);
        Assert.Null(source.Ref);
        Assert.Equal("git+https://github.com/o/r", source.GitUri);
    }

    [Fact]
    public void A_malformed_or_missing_git_checkout_means_no_source_and_no_error()
    {
        using var dir = new TempDirectory("ct-prov-");
        Directory.CreateDirectory(dir["a/b"]);
        Assert.Equal(SourceInfo.None, SourceInfo.Find(dir["a/b"], null, null, null));

        File.WriteAllText(dir["a/.git"], "gitdir: ../nowhere");
        Assert.Equal(new SourceInfo(null, null, null, dir["a"]), SourceInfo.Find(dir["a/b"], null, null, null));

        File.Delete(dir["a/.git"]);
        Directory.CreateDirectory(dir["a/.git/refs/heads"]);
        File.WriteAllText(dir["a/.git/HEAD"], "ref: refs/heads/../../../../etc/passwd");
        File.WriteAllText(dir["a/.git/config"], "[remote \"origin\"\n\turl");
        Assert.Equal(new SourceInfo(null, null, null, dir["a"]), SourceInfo.Find(dir["a/b"], null, null, null));

        File.WriteAllText(dir["a/.git/HEAD"], "ref: refs/heads/main");
        File.WriteAllText(dir["a/.git/refs/heads/main"], "not a commit id");
        File.WriteAllText(dir["a/.git/config"], "[remote \"upstream\"]\n\turl = https://example.com/x\n[remote \"origin\"] # comment\n\tURL = \"https://example.com/o/r.git\" ; comment\n");
        Assert.Equal(new SourceInfo("https://example.com/o/r", null, "refs/heads/main", dir["a"]), SourceInfo.Find(dir["a/b"], null, null, null));
    }

    /// <summary>A real git repository in a temporary folder: one commit on main, origin with credentials in its URL.</summary>
    private sealed class GitRepo : IDisposable
    {
        private GitRepo()
        {
            Dir = new TempDirectory("ct-prov-git-");
        }

        public TempDirectory Dir { get; }

        public string Head { get; private set; } = "";

        public static GitRepo Create()
        {
            var repo = new GitRepo();
            Directory.CreateDirectory(repo.Dir["src/App"]);
            File.WriteAllText(repo.Dir["src/App/App.csproj"], "<Project Sdk=\"Microsoft.NET.Sdk\" />");
            repo.Git("init", "-q", "-b", "main");
            repo.Git("remote", "add", "origin", "https://user:ghp_secret@github.com/o/r.git");
            repo.Git("add", ".");
            repo.Git("commit", "-q", "-m", "first");
            repo.Head = repo.Git("rev-parse", "HEAD").Trim();
            return repo;
        }

        public string Git(params string[] arguments)
            => Run.Process("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", .. arguments],
                    Dir.Path, new Dictionary<string, string?> { ["GIT_CONFIG_GLOBAL"] = "/dev/null", ["GIT_CONFIG_NOSYSTEM"] = "1" })
                .EnsureSuccess("git " + string.Join(' ', arguments)).StandardOutput;

        public void Dispose() => Dir.Dispose();
    }
}
