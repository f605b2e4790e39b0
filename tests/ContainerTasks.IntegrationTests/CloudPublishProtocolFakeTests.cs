using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;
using ContainerTasks.Tests.Infrastructure.Registries.Cloud;
using static ContainerTasks.Tests.Infrastructure.Registries.Cloud.AzureRegistryProtocolFakes;

namespace ContainerTasks.Tests;

/// <summary>
/// <c>dotnet publish</c> through the packed package to each cloud's protocol fakes, with no docker login: the package's
/// <c>tasks/cloud/</c> folder is found and loads inside MSBuild. Each build first runs another vendor's task built against
/// older versions of the same cloud libraries, in the same process and, with <c>MSBUILDSINGLELOADCONTEXT=1</c>, in
/// MSBuild's default load context; the push still gets its credential from the versions the package ships.
/// </summary>
[Collection(ImageCollection.Name)]
public class CloudPublishProtocolFakeTests(BaseImages bases, PackageFeed feed, HttpRegistryFixture http, BasicAuthRegistryFixture basic)
    : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>, IClassFixture<BasicAuthRegistryFixture>
{
    private const string EcrRegistry = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    private static readonly AwsTestKey Pusher = new("AKIAIOSFODNN7PUBLISH", "publish/Secret+Key/EXAMPLEKEY0123456789dd", null, "arn:aws:iam::123456789012:user/ci-publisher");

    [Fact]
    public async Task ProtocolFake_dotnet_publish_from_the_package_pushes_to_ACR_with_a_workload_identity_beside_older_Azure_libraries()
    {
        await using var fakes = await AzureRegistryProtocolFakes.StartAsync();
        using var dir = new TempDirectory();
        string project = await PrepareAsync(dir);

        ProcessResult result = Publish(project, RegistryName, fakes.ChildEnvironment(fakes.WorkloadIdentity()));

        result.EnsureSuccess("dotnet publish to the ACR fake");
        Assert.Contains($"credentials from Azure workload identity {PushClient}", result.StandardOutput);
        Assert.Equal(1, fakes.Acr.Exchanges);
        Assert.Contains(fakes.Registry.AccessLog("samples/hello-container"), e => e.Method == "PUT" && e.Path.EndsWith("/manifests/1.0", StringComparison.Ordinal) && e.Status == 201);
        Assert.Equal(RegistryName, PackageFeed.ImageJson(project).GetProperty("registry").GetString());
        AzureContainerRegistryProtocolFakeTests.NoSecrets(result);
    }

    [Fact]
    public async Task ProtocolFake_dotnet_publish_from_the_package_pushes_to_ECR_with_the_AWS_keys_beside_an_older_AWS_SDK()
    {
        using var dir = new TempDirectory();
        string project = await PrepareAsync(dir);
        await using var api = new EcrApiProtocolFake("us-east-1", Pusher);
        await using var front = new EcrRegistryProtocolFake(EcrRegistry, basic.Server, api, dir.Path);

        ProcessResult result = Publish(project, EcrRegistry, EcrEnvironment(dir, api, front));

        result.EnsureSuccess("dotnet publish to the ECR fake");
        Assert.Contains($"Credentials for {EcrRegistry}: ECR token from AWS environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, access key AKIA…LISH", result.StandardOutput);
        Assert.Equal(Pusher.AccessKeyId, Assert.Single(api.Calls, c => c.Status == 200).AccessKeyId);
        Assert.Contains(front.Requests, r => r.Method == "PUT" && r.Path.EndsWith("/manifests/1.0", StringComparison.Ordinal) && r.Status == 201);
        string output = result.StandardOutput + result.StandardError;
        Assert.DoesNotContain(Pusher.Secret, output);
        Assert.DoesNotContain(Pusher.AccessKeyId, output);
        Assert.All(api.Passwords, password => Assert.DoesNotContain(password, output));
    }

    [Fact]
    public async Task ProtocolFake_dotnet_publish_from_the_package_pushes_to_Artifact_Registry_with_a_service_account_beside_older_Google_libraries()
    {
        await using var google = new GoogleRegistryProtocolFake();
        await google.InitializeAsync();
        using var dir = new TempDirectory();
        string project = await PrepareAsync(dir);
        using var closed = Sockets.ClosedPort(out int port);
        google.OAuth.WriteServiceAccountKey(dir["key.json"]);
        var environment = google.ChildEnvironment(dir["google"], port);
        environment["GOOGLE_APPLICATION_CREDENTIALS"] = dir["key.json"];
        environment["HOME"] = null;                      // the runner's own: dotnet keeps its first-run state there
        environment["NO_PROXY"] = "127.0.0.1,localhost"; // the base image is on a plain local registry
        environment["CONTAINERTASKS_CACHE"] = null;      // the feed's

        ProcessResult result = Publish(project, GoogleRegistryProtocolFake.Host, environment, "test-project/apps/hello-container");

        result.EnsureSuccess("dotnet publish to the Artifact Registry fake");
        Assert.Contains($"Credentials for {GoogleRegistryProtocolFake.Host}: Google service account {google.OAuth.Email}", result.StandardOutput);
        Assert.NotEmpty(google.AcceptedTokens);
        Assert.Contains(google.Registry.AccessLog("test-project/apps/hello-container"), e => e.Method == "PUT" && e.Path.EndsWith("/manifests/1.0", StringComparison.Ordinal) && e.Status == 201);
        string output = result.StandardOutput + result.StandardError;
        Assert.All(google.OAuth.IssuedTokens, token => Assert.DoesNotContain(token, output));
        Assert.DoesNotContain("PRIVATE KEY", output);
    }

    private string? _baseImage;

    // The sample with the neighbour's task, restored outside the cloud's environment (its proxy fronts the cloud only).
    private async Task<string> PrepareAsync(TempDirectory dir)
    {
        _baseImage = await RuntimeBases.GetAsync(http.Server, bases, "dotnet");
        string project = feed.CopySample("HelloContainer", dir["app"]);
        NeighbourCloudTask.AddTo(dir["app"]);
        feed.Dotnet(["restore", project, $"-p:ContainerTasksVersion={feed.Version}"]).EnsureSuccess("dotnet restore");
        return project;
    }

    private ProcessResult Publish(string project, string registry, Dictionary<string, string?> environment, string repository = "samples/hello-container")
    {
        foreach (var pair in NeighbourCloudTask.SingleLoadContext())
        {
            environment[pair.Key] = pair.Value;
        }
        ProcessResult result = feed.Dotnet(["publish", project, "--no-restore", "-c", "Release", $"-p:ContainerTasksVersion={feed.Version}", "-p:PublishContainer=true",
            $"-p:ContainerRegistry={registry}", $"-p:ContainerRepository={repository}", $"-p:ContainerBaseImage={_baseImage}",
            "-p:ContainerImageTags=1.0", "-v:n"], environment);
        foreach (string version in NeighbourCloudTask.Versions)
        {
            Assert.True(result.StandardOutput.Contains($"Neighbour loaded {version} into 'Default'", StringComparison.Ordinal), $"no 'Neighbour loaded {version} into 'Default'':\n{result.StandardOutput}");
        }
        Assert.Contains("Loaded the cloud identity libraries from", result.StandardOutput, StringComparison.Ordinal);
        return result;
    }

    private static Dictionary<string, string?> EcrEnvironment(TempDirectory dir, EcrApiProtocolFake api, EcrRegistryProtocolFake front) => new()
    {
        ["DOCKER_CONFIG"] = Directory.CreateDirectory(dir["docker-config"]).FullName,
        ["REGISTRY_AUTH_FILE"] = null,
        ["DOTNET_CONTAINER_REGISTRY_UNAME"] = null,
        ["DOTNET_CONTAINER_REGISTRY_PWORD"] = null,
        ["HTTPS_PROXY"] = front.ProxyUri,
        ["https_proxy"] = null,
        ["NO_PROXY"] = "127.0.0.1,localhost",
        ["no_proxy"] = null,
        ["SSL_CERT_FILE"] = front.CaBundlePath,
        ["AWS_ENDPOINT_URL_ECR"] = api.Endpoint,
        ["AWS_EC2_METADATA_DISABLED"] = "true",
        ["AWS_SHARED_CREDENTIALS_FILE"] = dir["no-aws-credentials"],
        ["AWS_CONFIG_FILE"] = dir["no-aws-config"],
        ["AWS_PROFILE"] = null,
        ["AWS_ACCESS_KEY_ID"] = Pusher.AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = Pusher.Secret,
        ["AWS_SESSION_TOKEN"] = null,
        ["AWS_WEB_IDENTITY_TOKEN_FILE"] = null,
        ["AWS_ROLE_ARN"] = null,
        ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = null,
        ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = null,
    };
}
