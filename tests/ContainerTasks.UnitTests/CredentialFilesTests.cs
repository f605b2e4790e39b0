using ContainerTasks.DotNet;
using ContainerTasks.Layers;
using ContainerTasks.Pipeline;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>Files that look like credential stores are found by name and content, cheaply, and never quoted.</summary>
public sealed class CredentialFilesTests
{
    private const string Secret = "feed-password-4711";

    [Theory]
    [InlineData("app/nuget.config", "<configuration><packageSourceCredentials><feed><add key=\"ClearTextPassword\" value=\"" + Secret + "\" /></feed></packageSourceCredentials></configuration>", "packageSourceCredentials")]
    [InlineData("app/NuGet.Config", "<configuration><packageSourceCredentials><feed><add key=\"Password\" value=\"" + Secret + "\" /></feed></packageSourceCredentials></configuration>", "packageSourceCredentials")]
    [InlineData("app/.npmrc", "//registry.npmjs.org/:_authToken=" + Secret, "npm")]
    [InlineData("root/.docker/config.json", "{\"auths\":{\"ghcr.io\":{\"auth\":\"" + Secret + "\"}}}", "registry credentials")]
    [InlineData("app/certs/server.key", "-----BEGIN RSA PRIVATE KEY-----\n" + Secret + "\n-----END RSA PRIVATE KEY-----", "private key")]
    [InlineData("app/tls.pem", "-----BEGIN PRIVATE KEY-----\n" + Secret + "\n-----END PRIVATE KEY-----", "private key")]
    [InlineData("app/dev-cert.pfx", "binary", "PKCS#12")]
    public void A_credential_store_is_named_by_kind(string pathInImage, string content, string kind)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["file"], content);
        Assert.Contains(kind, CredentialFiles.Describe(pathInImage, dir["file"]));
    }

    [Theory]
    [InlineData("app/nuget.config", "<configuration><packageSources><add key=\"feed\" value=\"https://example.com/v3/index.json\" /></packageSources></configuration>")]
    [InlineData("app/.npmrc", "registry=https://registry.npmjs.org/")]
    [InlineData("app/appsettings.json", "{\"auths\":{\"x\":{\"auth\":\"y\"}},\"Password\":\"z\"}")]
    [InlineData("app/config.json", "{\"auths\":{\"x\":{\"auth\":\"y\"}}}")]
    [InlineData("app/public.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")]
    public void Ordinary_files_and_stores_without_secrets_pass(string pathInImage, string content)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["file"], content);
        Assert.Null(CredentialFiles.Describe(pathInImage, dir["file"]));
    }

    [Fact]
    public void Warnings_name_the_file_and_the_fix_never_the_secret_and_Error_stops_the_build()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["nuget.config"], $"<configuration><packageSourceCredentials><f><add key=\"ClearTextPassword\" value=\"{Secret}\" /></f></packageSourceCredentials></configuration>");
        File.WriteAllText(dir["app.dll"], "not a secret");
        var plan = new List<PlannedLayer> { new(LayerKind.App, "app", [LayerEntry.File(dir["nuget.config"], "app/nuget.config"), LayerEntry.File(dir["app.dll"], "app/app.dll")]) };
        var log = new RecordingLog();

        CredentialFiles.Check(plan, "/app/", CredentialFileCheck.Warning, log.Warning);
        var (code, message) = Assert.Single(log.Warnings);
        Assert.Equal("CT4121", code);
        Assert.Contains("/app/nuget.config", message);
        Assert.Contains("<Content Update=\"nuget.config\" CopyToPublishDirectory=\"Never\" />", message);
        Assert.Contains("ContainerCredentialFileCheck", message);
        Assert.DoesNotContain(Secret, message);

        var error = Assert.Throws<ContainerTasksException>(() => CredentialFiles.Check(plan, "/app/", CredentialFileCheck.Error, new RecordingLog().Warning));
        Assert.Equal("CT4121", error.Code);
        Assert.DoesNotContain(Secret, error.Message);
        var none = new RecordingLog();
        CredentialFiles.Check(plan, "/app/", CredentialFileCheck.None, none.Warning);
        Assert.Empty(none.Warnings);
    }

    [Fact]
    public void Large_files_are_not_read()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["nuget.config"], "<packageSourceCredentials>" + new string(' ', 2 * 1024 * 1024));
        Assert.Null(CredentialFiles.Describe("app/nuget.config", dir["nuget.config"]));
    }

    private sealed class RecordingLog : IContainerBuildLog
    {
        public List<(string Code, string Message)> Warnings { get; } = [];

        public void Progress(string message)
        {
        }

        public void Detail(string message)
        {
        }

        public void Warning(string code, string message) => Warnings.Add((code, message));
    }
}
