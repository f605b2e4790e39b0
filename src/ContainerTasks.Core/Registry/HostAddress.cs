using System.Net;
using System.Text.RegularExpressions;

namespace ContainerTasks.Registry;

/// <summary>
/// What a host name is: an IP address literal or a DNS name, and whether it is loopback. Every loopback and
/// address rule (insecure registries, NO_PROXY, token realms) asks here, so that a DNS name such as
/// <c>127.evil.example</c> is never taken for an address.
/// </summary>
internal static partial class HostAddress
{
    /// <summary>
    /// Parses <paramref name="host"/> (brackets allowed around IPv6) as an IP address literal: IPv4 only as four dotted
    /// decimals (not <c>127.1</c>, <c>0x7f.0.0.1</c> or <c>2130706433</c>, which some resolvers read as addresses and
    /// others as names), IPv6 with an optional zone (<c>fe80::1%eth0</c>, or <c>%25eth0</c> as URIs escape it).
    /// IPv4-mapped IPv6 addresses come back as IPv4.
    /// </summary>
    /// <param name="host">A host without port.</param>
    /// <param name="address">The address, without its zone.</param>
    /// <param name="zone">The zone (<c>eth0</c>), or empty: kept as text, since .NET maps unknown interface names to no zone at all.</param>
    public static bool TryParse(string host, out IPAddress address, out string zone)
    {
        address = IPAddress.None;
        zone = "";
        bool bracketed = host.StartsWith('[') && host.EndsWith(']');
        string literal = bracketed ? host[1..^1] : host;
        int percent = literal.IndexOf('%');
        if (percent >= 0 && literal.Contains(':'))
        {
            zone = Uri.UnescapeDataString(literal[percent..])[1..];
            literal = literal[..percent];
        }
        bool shaped = literal.Contains(':') || (!bracketed && DottedQuad().IsMatch(literal));
        if (!shaped || !IPAddress.TryParse(literal, out IPAddress? parsed) || (zone.Length == 0 && percent >= 0))
        {
            return false;
        }
        address = parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4() : parsed;
        return true;
    }

    /// <summary>Parses an IP address literal, ignoring any zone; see <see cref="TryParse(string, out IPAddress, out string)"/>.</summary>
    public static bool TryParse(string host, out IPAddress address) => TryParse(host, out address, out _);

    /// <summary>
    /// True for loopback addresses (<c>127.0.0.0/8</c>, <c>::1</c>, and IPv4-mapped forms), and for <c>localhost</c> and
    /// names under <c>.localhost</c> (RFC 6761 reserves them for loopback) when they do resolve to loopback addresses
    /// only: not every resolver keeps that promise (glibc sends <c>x.localhost</c> to DNS, where a search domain can make
    /// it a remote host), and what is exempt as loopback gets any certificate and plain HTTP. <paramref name="host"/> has no port.
    /// </summary>
    public static bool IsLoopback(string host)
        => IsLocalhostName(host) ? ResolvesToLoopbackOnly(host.TrimEnd('.').ToLowerInvariant()) : IsLoopbackAddress(host);

    /// <summary>
    /// True for loopback addresses and for <c>localhost</c> and <c>*.localhost</c> by name alone: where nothing is exempted
    /// but a proxy is skipped (a proxy could not reach the build machine's loopback anyway).
    /// </summary>
    public static bool IsLoopbackName(string host) => IsLocalhostName(host) || IsLoopbackAddress(host);

    private static bool IsLocalhostName(string host)
    {
        string name = host.TrimEnd('.');
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsLoopbackAddress(string host) => TryParse(host, out IPAddress address) && IPAddress.IsLoopback(address);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> s_loopbackNames = new(StringComparer.Ordinal);

    // Whether a name resolves, here and now, to loopback addresses and nothing else (remembered per process).
    private static bool ResolvesToLoopbackOnly(string name) => s_loopbackNames.GetOrAdd(name, n =>
    {
        try
        {
            IPAddress[] addresses = Dns.GetHostAddresses(n);
            return addresses.Length > 0 && addresses.All(IPAddress.IsLoopback);
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false; // Unresolvable: not loopback, so no exemption; connecting reports the name.
        }
    });

    [GeneratedRegex(@"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$")]
    private static partial Regex DottedQuad();
}
