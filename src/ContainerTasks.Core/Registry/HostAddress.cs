using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace ContainerTasks.Registry;

/// <summary>
/// What a host name is: an IP address literal or a DNS name, and whether it is loopback. Every loopback and
/// address rule (insecure registries, NO_PROXY, token realms) asks here, so that a DNS name such as
/// <c>127.evil.example</c> is never taken for an address.
/// </summary>
public static partial class HostAddress
{
    /// <summary>
    /// Parses <paramref name="host"/> (brackets allowed around IPv6) as an IP address literal: IPv4 only as four dotted
    /// decimals (not <c>127.1</c>, <c>0x7f.0.0.1</c> or <c>2130706433</c>, which some resolvers read as addresses and
    /// others as names), IPv6 with an optional zone (<c>fe80::1%eth0</c>).
    /// </summary>
    public static bool TryParse(string host, out IPAddress address)
    {
        address = IPAddress.None;
        bool bracketed = host.StartsWith('[') && host.EndsWith(']');
        string literal = bracketed ? host[1..^1] : host;
        bool shaped = literal.Contains(':') || (!bracketed && DottedQuad().IsMatch(literal));
        if (!shaped || !IPAddress.TryParse(literal, out IPAddress? parsed))
        {
            return false;
        }
        address = parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4() : parsed;
        return true;
    }

    /// <summary>
    /// True for <c>localhost</c>, names under <c>.localhost</c> (RFC 6761 reserves them for loopback) and loopback
    /// addresses (<c>127.0.0.0/8</c>, <c>::1</c>, and IPv4-mapped forms). <paramref name="host"/> has no port.
    /// </summary>
    public static bool IsLoopback(string host)
    {
        string name = host.TrimEnd('.');
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return TryParse(host, out IPAddress address) && IPAddress.IsLoopback(address);
    }

    /// <summary>True when <paramref name="address"/> is IPv6 with a zone (<c>%eth0</c>).</summary>
    public static bool HasZone(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0;

    [GeneratedRegex(@"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$")]
    private static partial Regex DottedQuad();
}
