using System.Net;
using System.Net.Sockets;

namespace ContainerTasks.Registry;

/// <summary>
/// Proxies from <c>HTTPS_PROXY</c>/<c>HTTP_PROXY</c>/<c>ALL_PROXY</c> and exceptions from <c>NO_PROXY</c>, matched as
/// curl and Go do: <c>corp</c> and <c>.corp</c> both cover <c>corp</c> and <c>myreg.corp</c>; <c>*</c> covers everything;
/// IP addresses and CIDR ranges cover IP hosts; <c>host:port</c> covers that port only. Loopback never uses a proxy.
/// (.NET's own environment proxy sends loopback through the proxy and reads <c>corp</c> as an exact name.)
/// </summary>
public sealed class ProxySettings : IWebProxy, ICredentials
{
    private readonly List<NoProxyRule> _noProxy;

    private ProxySettings(Uri? httpsProxy, Uri? httpProxy, IEnumerable<NoProxyRule> noProxy)
    {
        HttpsProxy = httpsProxy;
        HttpProxy = httpProxy;
        _noProxy = noProxy.ToList();
    }

    /// <summary>No proxy at all.</summary>
    public static ProxySettings None { get; } = new(null, null, []);

    /// <summary>The proxy for https URLs.</summary>
    public Uri? HttpsProxy { get; }

    /// <summary>The proxy for http URLs.</summary>
    public Uri? HttpProxy { get; }

    /// <summary>Reads the proxy variables (upper or lower case); a malformed proxy URL is CT3012.</summary>
    public static ProxySettings FromEnvironment(IReadOnlyDictionary<string, string> environment)
    {
        string? Get(string name)
            => environment.TryGetValue(name, out string? v) && !string.IsNullOrWhiteSpace(v) ? v.Trim()
                : environment.TryGetValue(name.ToLowerInvariant(), out v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        Uri? all = ParseProxy(Get("ALL_PROXY"), "ALL_PROXY");
        Uri? https = ParseProxy(Get("HTTPS_PROXY"), "HTTPS_PROXY") ?? all;
        Uri? http = ParseProxy(Get("HTTP_PROXY"), "HTTP_PROXY") ?? all;
        var rules = (Get("NO_PROXY") ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(NoProxyRule.Parse);
        return new ProxySettings(https, http, rules);
    }

    /// <summary>True when a request to <paramref name="uri"/> goes direct.</summary>
    public bool IsBypassed(Uri uri)
    {
        if ((uri.Scheme == Uri.UriSchemeHttps ? HttpsProxy : HttpProxy) is null)
        {
            return true;
        }
        string host = uri.IdnHost.Trim('[', ']');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out IPAddress? ip) && IPAddress.IsLoopback(ip)))
        {
            return true;
        }
        return _noProxy.Any(rule => rule.Matches(host, uri.Port));
    }

    /// <summary>The proxy for <paramref name="destination"/>, or null to go direct.</summary>
    public Uri? GetProxy(Uri destination)
    {
        Uri? proxy = IsBypassed(destination) ? null : destination.Scheme == Uri.UriSchemeHttps ? HttpsProxy : HttpProxy;
        // Without the user part: credentials come from GetCredential, and .NET puts this URI into error messages.
        return proxy is null || string.IsNullOrEmpty(proxy.UserInfo) ? proxy : new UriBuilder(proxy) { UserName = "", Password = "" }.Uri;
    }

    /// <summary>This object: proxy credentials come from the user part of each proxy URL.</summary>
    public ICredentials? Credentials
    {
        get => this;
        set { }
    }

    /// <summary>The user and password in the proxy URL being authenticated to, if any.</summary>
    public NetworkCredential? GetCredential(Uri uri, string authType)
    {
        Uri? proxy = new[] { HttpsProxy, HttpProxy }.FirstOrDefault(p => p is not null && p.Host == uri.Host && p.Port == uri.Port);
        if (proxy is null || string.IsNullOrEmpty(proxy.UserInfo))
        {
            return null;
        }
        string[] parts = proxy.UserInfo.Split(':', 2);
        return new NetworkCredential(Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "");
    }

    private static Uri? ParseProxy(string? value, string name)
    {
        if (value is null)
        {
            return null;
        }
        string withScheme = value.Contains("://", StringComparison.Ordinal) ? value : "http://" + value;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out Uri? uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new ContainerTasksException(ErrorCodes.InvalidRegistrySetting,
                $"{name} is not a proxy URL (expected http://host:port or http://user:password@host:port).");
        }
        return uri;
    }

    /// <summary>One NO_PROXY entry.</summary>
    private sealed record NoProxyRule(string? Domain, IPAddress? Network, int PrefixLength, int? Port, bool Everything)
    {
        public static NoProxyRule Parse(string entry)
        {
            if (entry == "*")
            {
                return new NoProxyRule(null, null, 0, null, true);
            }
            string value = entry;
            int? port = null;
            int slash = value.IndexOf('/');
            if (slash > 0 && IPAddress.TryParse(value[..slash], out IPAddress? network) && int.TryParse(value[(slash + 1)..], out int prefix))
            {
                return new NoProxyRule(null, network, prefix, null, false);
            }
            if (IPAddress.TryParse(value.Trim('[', ']'), out IPAddress? address))
            {
                return new NoProxyRule(null, address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128, null, false);
            }
            int colon = value.LastIndexOf(':');
            if (colon > 0 && int.TryParse(value[(colon + 1)..], out int p) && !value.EndsWith(']'))
            {
                port = p;
                value = value[..colon];
                if (IPAddress.TryParse(value.Trim('[', ']'), out IPAddress? withPort))
                {
                    return new NoProxyRule(null, withPort, withPort.AddressFamily == AddressFamily.InterNetwork ? 32 : 128, port, false);
                }
            }
            return new NoProxyRule(value.TrimStart('*').TrimStart('.').ToLowerInvariant(), null, 0, port, false);
        }

        public bool Matches(string host, int port)
        {
            if (Everything)
            {
                return true;
            }
            if (Port is int p && p != port)
            {
                return false;
            }
            if (Network is not null)
            {
                return IPAddress.TryParse(host, out IPAddress? ip) && InNetwork(ip, Network, PrefixLength);
            }
            string name = host.ToLowerInvariant();
            return Domain!.Length > 0 && (name == Domain || name.EndsWith("." + Domain, StringComparison.Ordinal));
        }

        private static bool InNetwork(IPAddress ip, IPAddress network, int prefix)
        {
            if (ip.IsIPv4MappedToIPv6)
            {
                ip = ip.MapToIPv4();
            }
            byte[] a = ip.GetAddressBytes();
            byte[] b = network.GetAddressBytes();
            if (a.Length != b.Length)
            {
                return false;
            }
            for (int bit = 0; bit < prefix && bit < a.Length * 8; bit++)
            {
                int mask = 0x80 >> (bit % 8);
                if ((a[bit / 8] & mask) != (b[bit / 8] & mask))
                {
                    return false;
                }
            }
            return true;
        }
    }
}
