using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>Which registries count as loopback (no certificate check, plain HTTP allowed), and where that exemption applies.</summary>
public class LoopbackTests
{
    [Theory]
    [InlineData("localhost", true)]
    [InlineData("LocalHost:5000", true)]
    [InlineData("127.0.0.1:5000", true)]
    [InlineData("127.1.2.3", true)]
    [InlineData("[::1]:5000", true)]
    [InlineData("[::ffff:127.0.0.1]:5000", true)]
    [InlineData("127.evil.example", false)]
    [InlineData("127.evil.example:5000", false)]
    [InlineData("127.0.0.1.nip.io:5000", false)]
    [InlineData("localhost.evil.example", false)]
    [InlineData("evil-localhost:5000", false)]
    [InlineData("2130706433:5000", false)]
    [InlineData("0x7f.0.0.1", false)]
    [InlineData("128.0.0.1", false)]
    [InlineData("[::2]:5000", false)]
    public void Only_real_loopback_addresses_and_localhost_names_are_loopback(string registry, bool loopback)
    {
        Assert.Equal(loopback, RegistrySettings.FromEnvironment(new Dictionary<string, string>()).IsInsecure(registry));
    }

    [Fact]
    public void A_name_under_localhost_is_loopback_only_when_it_resolves_to_loopback_addresses_only()
    {
        // glibc sends "x.localhost" to DNS (a search domain can make it remote); the exemption follows what it resolves to.
        bool resolvesToLoopback;
        try
        {
            var addresses = System.Net.Dns.GetHostAddresses("registry.localhost");
            resolvesToLoopback = addresses.Length > 0 && addresses.All(System.Net.IPAddress.IsLoopback);
        }
        catch (System.Net.Sockets.SocketException)
        {
            resolvesToLoopback = false;
        }
        Assert.Equal(resolvesToLoopback, RegistrySettings.FromEnvironment(new Dictionary<string, string>()).IsInsecure("registry.localhost:5000"));
        Assert.True(HostAddress.IsLoopbackName("registry.localhost"));
    }

    [Fact]
    public async Task A_loopback_registry_does_not_let_credentials_go_over_plain_HTTP_to_a_token_realm_on_another_host()
    {
        await using var registry = new ScriptedRegistry(_ => new ScriptedResponse(401, "",
            ("WWW-Authenticate", "Bearer realm=\"http://realm.invalid:1/token\",service=\"scripted\"")));
        using var kit = new RegistryTestKit();
        var env = kit.Environment(("DOTNET_CONTAINER_PULL_REGISTRY_UNAME", "puller"), ("DOTNET_CONTAINER_PULL_REGISTRY_PWORD", "pull-secret-12"),
            ("CONTAINERTASKS_RETRY_BUDGET_MS", "100"));
        using var session = kit.Session(env, registry.Host, null);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => kit.PullAsync(session, $"{registry.Host}/app:1"));
        Assert.Equal("CT3009", error.Code);
        Assert.Contains("realm.invalid", error.Message);
        Assert.DoesNotContain("pull-secret-12", error.Message);
    }

    [Fact]
    public async Task A_token_realm_on_a_loopback_address_may_take_credentials_over_plain_HTTP()
    {
        await using var realm = new ScriptedRegistry(_ => ScriptedResponse.Json(200, "{\"token\":\"t\"}"));
        await using var registry = new ScriptedRegistry(r => r.Authorization is null
            ? new ScriptedResponse(401, "", ("WWW-Authenticate", $"Bearer realm=\"http://{realm.Host}/token\",service=\"scripted\""))
            : ScriptedResponse.Json(404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}"));
        using var kit = new RegistryTestKit();
        var env = kit.Environment(("DOTNET_CONTAINER_PULL_REGISTRY_UNAME", "puller"), ("DOTNET_CONTAINER_PULL_REGISTRY_PWORD", "pull-secret-12"));
        using var session = kit.Session(env, registry.Host, null);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => kit.PullAsync(session, $"{registry.Host}/app:1"));
        Assert.Equal("CT3004", error.Code);
        Assert.StartsWith("Basic ", Assert.Single(realm.Requests).Authorization);
    }
}
