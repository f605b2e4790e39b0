using System.Globalization;
using System.Net;

namespace ContainerTasks.Registry;

/// <summary>
/// One <c>NO_PROXY</c> entry, read as Go's <c>golang.org/x/net/http/httpproxy</c> reads it: <c>*</c> (everything), an
/// address or CIDR range, or a domain — <c>example.com</c> covers itself and its subdomains, <c>.example.com</c> and
/// <c>*.example.com</c> only subdomains — each with an optional <c>:port</c>. Where we part from Go (bracketed IPv6
/// entries, zones, domain entries never matching addresses) is listed in docs/registries.md.
/// </summary>
internal sealed record NoProxyRule
{
    private NoProxyRule()
    {
    }

    /// <summary>The rule <c>*</c>.</summary>
    public bool Everything { get; private init; }

    private string? Domain { get; init; }

    private bool CoversDomainItself { get; init; }

    private IPAddress? Network { get; init; }

    private int PrefixLength { get; init; }

    private string Zone { get; init; } = "";

    private string? Port { get; init; }

    /// <summary>The rules of a <c>NO_PROXY</c> value: entries separated by commas only, trimmed, unreadable ones ignored.</summary>
    public static List<NoProxyRule> ParseList(string? value)
        => (value ?? "").Split(',').Select(entry => Parse(entry.Trim().ToLowerInvariant())).OfType<NoProxyRule>().ToList();

    private static NoProxyRule? Parse(string entry)
    {
        if (entry.Length == 0)
        {
            return null;
        }
        if (entry == "*")
        {
            return new NoProxyRule { Everything = true };
        }
        int slash = entry.IndexOf('/');
        if (slash >= 0)
        {
            return ParseRange(entry[..slash], entry[(slash + 1)..]);
        }
        var (host, port) = SplitPort(entry);
        if (host.Length == 0)
        {
            return null;
        }
        if (HostAddress.TryParse(host, out IPAddress address, out string zone))
        {
            return new NoProxyRule { Network = address, PrefixLength = Bits(address), Zone = zone, Port = port };
        }
        return ParseDomain(host, port);
    }

    // A prefix longer than the address (10.0.0.0/33) or not a number makes the entry unreadable: ignored, as Go does.
    private static NoProxyRule? ParseRange(string network, string prefix)
        => !network.Contains('[') && !network.Contains('%') && HostAddress.TryParse(network, out IPAddress address)
            && int.TryParse(prefix, NumberStyles.None, CultureInfo.InvariantCulture, out int bits) && bits <= Bits(address)
            ? new NoProxyRule { Network = address, PrefixLength = bits }
            : null;

    private static NoProxyRule ParseDomain(string host, string? port)
    {
        bool itself = !host.StartsWith('.') && !host.StartsWith("*.", StringComparison.Ordinal);
        string domain = host.TrimStart('*').TrimStart('.');
        return new NoProxyRule { Domain = ToAscii(domain), CoversDomainItself = itself, Port = port };
    }

    /// <summary>Splits <c>host:port</c> and <c>[v6]:port</c>; a bare IPv6 address (several colons) has no port.</summary>
    private static (string Host, string? Port) SplitPort(string entry)
    {
        int colon = entry.LastIndexOf(':');
        bool hasPort = colon >= 0 && (entry.StartsWith('[') ? entry[colon - 1] == ']' : entry.IndexOf(':') == colon);
        return hasPort ? (entry[..colon], entry[(colon + 1)..]) : (entry, null);
    }

    /// <summary>True when a request to <paramref name="host"/> (as in a URI, punycode) on <paramref name="port"/> goes direct.</summary>
    public bool Matches(string host, int port)
    {
        if (Everything)
        {
            return true;
        }
        if (Port is not null && Port != port.ToString(CultureInfo.InvariantCulture))
        {
            return false;
        }
        // An address (zone included) is matched by address rules only: "eth0" or ".1" say nothing about fe80::1%eth0.
        if (HostAddress.TryParse(host, out IPAddress address, out string zone))
        {
            return Network is not null && zone == Zone && InNetwork(address);
        }
        string name = host.TrimEnd('.').ToLowerInvariant();
        return Domain is { Length: > 0 } domain
            && (name.EndsWith("." + domain, StringComparison.Ordinal) || (CoversDomainItself && name == domain));
    }

    private bool InNetwork(IPAddress ip)
    {
        byte[] a = ip.GetAddressBytes();
        byte[] b = Network!.GetAddressBytes();
        if (a.Length != b.Length)
        {
            return false;
        }
        for (int bit = 0; bit < PrefixLength; bit++)
        {
            int mask = 0x80 >> (bit % 8);
            if ((a[bit / 8] & mask) != (b[bit / 8] & mask))
            {
                return false;
            }
        }
        return true;
    }

    private static int Bits(IPAddress address) => address.GetAddressBytes().Length * 8;

    // Internationalised names compare in punycode, as the request's host does (Uri.IdnHost).
    private static string ToAscii(string domain)
    {
        try
        {
            return domain.Length == 0 ? domain : new IdnMapping().GetAscii(domain);
        }
        catch (ArgumentException)
        {
            return domain;
        }
    }
}
