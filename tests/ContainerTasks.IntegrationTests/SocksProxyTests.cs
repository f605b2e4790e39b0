using ContainerTasks.Building;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Sources;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>SOCKS proxies, as developer shells set them (<c>ALL_PROXY=socks5://…</c>).</summary>
public class SocksProxySettingsTests
{
    [Fact]
    public void Socks_proxies_are_accepted_and_the_scheme_specific_variable_comes_before_ALL_PROXY()
    {
        var proxy = ProxySettings.FromEnvironment(new Dictionary<string, string>
        {
            ["ALL_PROXY"] = "socks5h://127.0.0.1:1080",
            ["HTTPS_PROXY"] = "socks4a://user:secret@proxy.example:1081",
            ["NO_PROXY"] = ".internal",
        });
        Assert.Equal(new Uri("socks4a://proxy.example:1081"), proxy.GetProxy(new Uri("https://ghcr.io/v2/")));
        // .NET always lets a SOCKS5 proxy resolve names, which is what socks5h asks for.
        Assert.Equal(new Uri("socks5://127.0.0.1:1080"), proxy.GetProxy(new Uri("http://registry.example/v2/")));
        Assert.Null(proxy.GetProxy(new Uri("https://reg.internal/v2/")));
        Assert.Equal("secret", proxy.GetCredential(new Uri("socks4a://proxy.example:1081"), "")!.Password);
        foreach (string scheme in new[] { "socks4", "socks5" })
        {
            Assert.Equal(scheme, ProxySettings.FromEnvironment(new Dictionary<string, string> { ["all_proxy"] = $"{scheme}://p:1" }).HttpsProxy!.Scheme);
        }
        Assert.Equal("CT3012", Assert.Throws<ContainerTasksException>(() => ProxySettings.FromEnvironment(new Dictionary<string, string> { ["ALL_PROXY"] = "socks6://p:1" })).Code);
    }
}

[Collection(ImageCollection.Name)]
public sealed class SocksProxyTests(BaseImages bases, BasicAuthRegistryFixture basic) : IClassFixture<BasicAuthRegistryFixture>
{
    [Fact]
    public async Task A_pull_and_a_push_through_ALL_PROXY_socks5_with_a_login_reach_a_registry_only_the_proxy_can_resolve()
    {
        RegistryShapeSet shapes = await basic.GetShapesAsync(bases);
        RegistryServer server = basic.Server;
        await using var socks = new Socks5Proxy(new Infrastructure.Registries.RegistryCredential("socksuser", "socks-secret-19"));
        using var kit = new RegistryTestKit();
        // registry.test resolves only inside the proxy: reaching it proves every request went through SOCKS.
        string registry = $"{ForwardProxy.TestHostName}:{server.Port}";
        var env = kit.Environment(("ALL_PROXY", socks.Uri.ToString()), ("CONTAINERTASKS_CERTS_DIR", server.CertsDirectoryRoot!),
            ("DOTNET_CONTAINER_REGISTRY_UNAME", "pusher"), ("DOTNET_CONTAINER_REGISTRY_PWORD", RegistryUsers.Pusher.Password));
        using var session = kit.Session(env, registry, registry);

        SourceImage baseImage = await kit.PullAsync(session, $"{registry}/{shapes.Oci.Repository}:{shapes.Oci.Tag}");
        Assert.Equal(shapes.Oci.Digest, baseImage.ManifestDigest.ToString());
        string repository = RegistryServer.NewRepository("socks");
        await new ImagePusher(session.Client(registry, repository, RegistryRole.Push)).PushAsync(await kit.BuildAsync(baseImage), repository, ["1"]);

        Assert.Contains(socks.Connections, c => c.Target == registry && c.ConnectedTo == $"127.0.0.1:{server.Port}" && c.User == "socksuser");
        Assert.DoesNotContain(socks.Connections, c => c.ConnectedTo is null);
        Assert.Contains(server.AccessLog(repository), e => e.Method == "PUT" && e.Path.EndsWith("/manifests/1", StringComparison.Ordinal) && e.Status == 201);
        Assert.All(kit.LogLines, line => Assert.DoesNotContain("socks-secret-19", line));
    }
}

public sealed class SocksLoginTests
{
    [Fact]
    public async Task A_SOCKS5_proxy_that_refuses_the_login_is_CT3013_at_once_without_showing_the_password()
    {
        await using var socks = new Socks5Proxy(new Infrastructure.Registries.RegistryCredential("socksuser", "right-secret"));
        using var kit = new RegistryTestKit();
        string registry = $"{ForwardProxy.TestHostName}:5000";
        var wrong = new UriBuilder(socks.Uri) { Password = "wrong-secret-19" }.Uri;
        using var session = kit.Session(kit.Environment(("ALL_PROXY", wrong.ToString())), registry, null);
        var timer = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => kit.PullAsync(session, $"{registry}/app:1"));
        Assert.Equal("CT3013", error.Code);
        Assert.True(timer.Elapsed < TimeSpan.FromSeconds(10), $"took {timer.Elapsed}: a refused login is not worth retrying");
        Assert.DoesNotContain("wrong-secret-19", error.Message);
        Assert.Single(socks.Connections);

        // No login at all where the proxy wants one: the same error.
        var anonymous = new UriBuilder(socks.Uri) { UserName = "", Password = "" }.Uri;
        using var without = kit.Session(kit.Environment(("ALL_PROXY", anonymous.ToString())), registry, null);
        Assert.Equal("CT3013", (await Assert.ThrowsAsync<ContainerTasksException>(() => kit.PullAsync(without, $"{registry}/app:1"))).Code);
    }
}
