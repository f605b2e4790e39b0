using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>CT3011 names why a certificate was refused and the fix for that reason; loopback registries say when they accept one unchecked.</summary>
[Collection(ImageCollection.Name)]
public sealed class TlsRefusalTests(BaseImages bases, BasicAuthRegistryFixture basic) : IClassFixture<BasicAuthRegistryFixture>
{
    private static (string, string)[] Puller => [("DOTNET_CONTAINER_PULL_REGISTRY_UNAME", "puller"), ("DOTNET_CONTAINER_PULL_REGISTRY_PWORD", RegistryUsers.Puller.Password)];

    /// <summary>A certs.d root with <paramref name="caPem"/> as the CA of <paramref name="authority"/>.</summary>
    private static string CertsDirectory(RegistryTestKit kit, string authority, string caPem)
    {
        string folder = Directory.CreateDirectory(kit.Home[$"certs.d/{authority}"]).FullName;
        File.WriteAllText(Path.Combine(folder, "ca.crt"), caPem);
        return kit.Home["certs.d"];
    }

    /// <summary>Pulls <paramref name="reference"/> from <paramref name="registry"/> and returns the CT3011 it must fail with.</summary>
    private static async Task<ContainerTasksException> RefusalAsync(RegistryTestKit kit, string registry, string reference, params (string, string)[] environment)
    {
        using var session = kit.Session(kit.Environment(environment), registry, null);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => kit.PullAsync(session, reference));
        Assert.Equal("CT3011", error.Code);
        return error;
    }

    [Fact]
    public async Task A_certificate_for_other_names_says_which_names_and_does_not_ask_for_the_CA_that_is_already_trusted()
    {
        RegistryShapeSet shapes = await basic.GetShapesAsync(bases);
        RegistryServer server = basic.Server;
        await using var proxy = new ForwardProxy(new Dictionary<string, string> { ["other.test"] = "127.0.0.1" });
        using var kit = new RegistryTestKit();
        string registry = $"other.test:{server.Port}";
        string certs = CertsDirectory(kit, registry, File.ReadAllText(server.CaCertificatePath!));
        var error = await RefusalAsync(kit, registry, $"{registry}/{shapes.Oci.Repository}:{shapes.Oci.Tag}", [.. Puller, ("HTTPS_PROXY", proxy.Uri.ToString()), ("CONTAINERTASKS_CERTS_DIR", certs)]);
        Assert.True(error.Message.Contains("localhost, registry.test, 127.0.0.1, not other.test", StringComparison.Ordinal), error.Message);
        Assert.Contains("re-issued", error.Message);
        Assert.DoesNotContain("certs.d", error.Message);
    }

    [Fact]
    public async Task An_untrusted_issuer_is_named_with_the_chain_status_and_the_certs_d_fix()
    {
        RegistryShapeSet shapes = await basic.GetShapesAsync(bases);
        RegistryServer server = basic.Server;
        await using var proxy = new ForwardProxy();
        using var kit = new RegistryTestKit();
        string registry = $"{ForwardProxy.TestHostName}:{server.Port}";
        var error = await RefusalAsync(kit, registry, $"{registry}/{shapes.Oci.Repository}:{shapes.Oci.Tag}", [.. Puller, ("HTTPS_PROXY", proxy.Uri.ToString())]);
        Assert.Contains("ContainerTasks test CA", error.Message);
        // The chain status: PartialChain when the CA is nowhere to be found, UntrustedRoot when the server sent it along.
        Assert.Matches(@"is not trusted here \((PartialChain|UntrustedRoot)", error.Message);
        Assert.Contains($"/etc/docker/certs.d/{registry}/ca.crt", error.Message);
        Assert.DoesNotContain("re-issued", error.Message);
    }

    [Fact]
    public async Task An_expired_certificate_says_when_it_expired_and_asks_for_a_renewal_not_a_CA()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset expiry = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddDays(-30);
        var expired = IssuedCertificate.Create(["expired.test"], expiry.AddDays(-60), expiry);
        await using var server = new TlsOnlyServer(expired.Certificate);
        await using var proxy = new ForwardProxy(new Dictionary<string, string> { ["expired.test"] = "127.0.0.1" });
        using var kit = new RegistryTestKit();
        string registry = $"expired.test:{server.Port}";
        string certs = CertsDirectory(kit, registry, expired.CaPem);
        var error = await RefusalAsync(kit, registry, $"{registry}/app:1", ("HTTPS_PROXY", proxy.Uri.ToString()), ("CONTAINERTASKS_CERTS_DIR", certs));
        Assert.Contains($"expired on {expiry:yyyy-MM-dd HH:mm} UTC", error.Message);
        Assert.Contains("renewed", error.Message);
        Assert.DoesNotContain("certs.d", error.Message);
    }

    [Fact]
    public async Task A_loopback_registry_says_once_that_it_accepts_a_certificate_it_would_refuse()
    {
        RegistryShapeSet shapes = await basic.GetShapesAsync(bases);
        RegistryServer server = basic.Server;
        using var kit = new RegistryTestKit();
        // 127.0.0.1 is loopback: its certificate (from a CA this process does not trust) is accepted unchecked.
        using (var session = kit.Session(kit.Environment(Puller), server.Host, null))
        {
            await kit.PullAsync(session, shapes.Oci.Reference);
            await kit.PullAsync(session, shapes.Docker.Reference);
        }
        string notice = Assert.Single(kit.LogLines, l => l.Contains("is not checked", StringComparison.Ordinal));
        Assert.Contains("a loopback registry", notice);
        Assert.Contains("would be refused: its issuer (CN=ContainerTasks test CA) is not trusted here", notice);

        // With its CA in certs.d the certificate would pass: nothing to say.
        using var trusted = new RegistryTestKit();
        using (var session = trusted.Session(trusted.Environment([.. Puller, ("CONTAINERTASKS_CERTS_DIR", server.CertsDirectoryRoot!)]), server.Host, null))
        {
            await trusted.PullAsync(session, shapes.Oci.Reference);
        }
        Assert.DoesNotContain(trusted.LogLines, l => l.Contains("is not checked", StringComparison.Ordinal));
    }
}
