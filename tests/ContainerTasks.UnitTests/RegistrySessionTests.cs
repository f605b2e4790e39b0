using System.Text;
using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>Which client a request gets, and Docker Hub's names: no server needed.</summary>
public sealed class RegistrySessionTests
{
    [Fact]
    public void Repositories_with_their_own_credentials_get_their_own_client_and_the_others_share_one()
    {
        using var home = new TempDirectory();
        Directory.CreateDirectory(home[".docker"]);
        File.WriteAllText(home[".docker/config.json"], $$$"""
            {"auths": {
              "reg.example/team-a": {"auth": "{{{Basic("alice", "a-secret")}}}"},
              "reg.example/team-b": {"auth": "{{{Basic("bob", "b-secret")}}}"}
            }}
            """);
        using var session = new RegistrySession(new Dictionary<string, string> { ["HOME"] = home.Path }, "reg.example", null);

        RegistryClient teamA = session.Client("reg.example", "team-a/app", RegistryRole.Pull);
        RegistryClient teamB = session.Client("reg.example", "team-b/app", RegistryRole.Pull);

        Assert.Equal("alice", teamA.Credential?.Username);
        Assert.Equal("bob", teamB.Credential?.Username);
        Assert.Same(teamA, session.Client("reg.example", "team-a/api", RegistryRole.Pull));
        Assert.Null(session.Client("reg.example", "other/app", RegistryRole.Pull).Credential);
        Assert.NotSame(teamA, session.Client("reg.example", "team-a/app", RegistryRole.Push));
        Assert.DoesNotContain("a-secret", teamA.Credential!.Identity.ToString());
    }

    [Theory]
    [InlineData("index.docker.io/library/nginx")]
    [InlineData("registry-1.docker.io/library/nginx")]
    [InlineData("registry.hub.docker.com/library/nginx")]
    [InlineData("docker.io/nginx")]
    [InlineData("nginx")]
    public void Every_name_of_Docker_Hub_is_docker_io_in_references(string reference)
    {
        var parsed = ImageReference.Parse(reference);
        Assert.Equal("docker.io/library/nginx:latest", parsed.ToString());
        Assert.Equal("registry-1.docker.io", parsed.ApiHost);
    }

    [Theory]
    [InlineData("https://index.docker.io/v1/")]
    [InlineData("registry-1.docker.io")]
    [InlineData("registry.hub.docker.com")]
    [InlineData("docker.io")]
    public void Every_name_of_Docker_Hub_is_docker_io_in_auth_files(string key)
        => Assert.Equal(ImageReference.DockerHub, CredentialStore.NormalizeKey(key));

    [Fact]
    public void A_client_for_Docker_Hub_talks_to_its_API_host()
    {
        using var session = new RegistrySession(new Dictionary<string, string>(), null, null);
        Assert.Equal("registry-1.docker.io", session.Client(ImageReference.DockerHub, "library/nginx", RegistryRole.Pull).ApiHost);
    }

    private static string Basic(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
}
