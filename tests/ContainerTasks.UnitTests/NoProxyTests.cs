using ContainerTasks.Registry;

namespace ContainerTasks.Tests;

/// <summary>NO_PROXY as Go's golang.org/x/net/http/httpproxy reads it, and the few places where we side with curl.</summary>
public class NoProxyTests
{
    private static bool Bypassed(string noProxy, string url) => ProxySettings.FromEnvironment(new Dictionary<string, string>
    {
        ["HTTPS_PROXY"] = "http://proxy.example:3128",
        ["HTTP_PROXY"] = "http://proxy.example:3128",
        ["NO_PROXY"] = noProxy,
    }).IsBypassed(new Uri(url));

    [Theory]
    [InlineData("example.com", "https://example.com/", true)]
    [InlineData("example.com", "https://a.b.example.com/", true)]
    [InlineData("example.com", "https://notexample.com/", false)]
    [InlineData(".example.com", "https://example.com/", false)]
    [InlineData(".example.com", "https://a.example.com/", true)]
    [InlineData("*.example.com", "https://example.com/", false)]
    [InlineData("*.example.com", "https://a.b.example.com/", true)]
    [InlineData("EXAMPLE.com", "https://Reg.Example.COM/", true)]
    public void Domains_cover_themselves_and_subdomains_and_a_leading_dot_or_star_covers_subdomains_only(string noProxy, string url, bool bypassed)
        => Assert.Equal(bypassed, Bypassed(noProxy, url));

    [Theory]
    [InlineData("bücher.example", "https://xn--bcher-kva.example/", true)]
    [InlineData("xn--bcher-kva.example", "https://bücher.example/", true)]
    [InlineData(".bücher.example", "https://reg.bücher.example/", true)]
    [InlineData("bücher.example", "https://bucher.example/", false)]
    public void Internationalised_names_compare_in_punycode(string noProxy, string url, bool bypassed)
        => Assert.Equal(bypassed, Bypassed(noProxy, url));

    [Theory]
    [InlineData("fe80::1%eth0", "https://[fe80::1%25eth0]:5000/", true)]
    [InlineData("eth0", "https://[fe80::1%25eth0]:5000/", false)]
    [InlineData("25eth0", "https://[fe80::1%25eth0]:5000/", false)]
    [InlineData("fe80::1", "https://[fe80::1%25eth0]:5000/", false)]
    [InlineData("fe80::1%eth1", "https://[fe80::1%25eth0]:5000/", false)]
    [InlineData("fe80::/10", "https://[fe80::1]:5000/", true)]
    [InlineData("0.0.1", "https://10.0.0.1/", false)]
    public void An_address_with_or_without_a_zone_is_matched_by_address_entries_only(string noProxy, string url, bool bypassed)
        => Assert.Equal(bypassed, Bypassed(noProxy, url));

    [Theory]
    [InlineData("10.1.2.3/33", "https://10.1.2.3/", false)]
    [InlineData("10.0.0.0/8", "https://10.1.2.3/", true)]
    [InlineData("10.0.0.0/x", "https://10.1.2.3/", false)]
    [InlineData("::/129", "https://[::5]/", false)]
    [InlineData("::/0", "https://[::5]/", true)]
    [InlineData("10.0.0.0/8", "https://[::ffff:10.1.2.3]/", true)]
    public void A_cidr_prefix_longer_than_the_address_is_ignored(string noProxy, string url, bool bypassed)
        => Assert.Equal(bypassed, Bypassed(noProxy, url));

    [Theory]
    [InlineData("a.example b.example", "https://b.example/", false)]
    [InlineData("a.example b.example", "https://a.example/", false)]
    [InlineData(" a.example ,  b.example ", "https://b.example/", true)]
    [InlineData(",,a.example,,", "https://a.example/", true)]
    [InlineData("a.example,*", "https://anything.example/", true)]
    public void Entries_are_separated_by_commas_only_and_trimmed(string noProxy, string url, bool bypassed)
        => Assert.Equal(bypassed, Bypassed(noProxy, url));

    [Theory]
    [InlineData("reg.example:5000", "https://reg.example:5000/", true)]
    [InlineData("reg.example:5000", "https://reg.example/", false)]
    [InlineData("reg.example:443", "https://reg.example/", true)]
    [InlineData("reg.example:80", "http://reg.example/", true)]
    [InlineData(".example:5000", "https://reg.example:5000/", true)]
    [InlineData("10.1.2.3:5000", "https://10.1.2.3:5000/", true)]
    [InlineData("10.1.2.3:5000", "https://10.1.2.3:6000/", false)]
    [InlineData("[::5]:5000", "https://[::5]:5000/", true)]
    [InlineData("[::5]:5000", "https://[::5]:6000/", false)]
    [InlineData("::5", "https://[::5]:6000/", true)]
    [InlineData("[::5]", "https://[::5]:6000/", true)]
    [InlineData(":5000", "https://reg.example:5000/", false)]
    public void Ports_in_entries_limit_them_to_that_port_and_default_ports_count(string noProxy, string url, bool bypassed)
        => Assert.Equal(bypassed, Bypassed(noProxy, url));

    [Theory]
    [InlineData("https://127.0.0.1:5000/", true)]
    [InlineData("https://[::1]:5000/", true)]
    [InlineData("https://localhost:5000/", true)]
    [InlineData("https://registry.localhost:5000/", true)]
    [InlineData("https://127.evil.example/", false)]
    [InlineData("https://localhost.evil.example/", false)]
    public void Loopback_never_goes_through_a_proxy_and_names_that_look_like_loopback_do(string url, bool bypassed)
        => Assert.Equal(bypassed, Bypassed("", url));
}
