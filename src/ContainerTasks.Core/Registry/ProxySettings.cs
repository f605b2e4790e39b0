using System.Net;

namespace ContainerTasks.Registry;

/// <summary>
/// Proxies from <c>HTTPS_PROXY</c> (https URLs), <c>HTTP_PROXY</c> (http URLs) and <c>ALL_PROXY</c> (either, when the
/// first two are unset), upper case first; http, https and SOCKS (<c>socks4</c>, <c>socks4a</c>, <c>socks5</c>,
/// <c>socks5h</c>) proxies. <c>NO_PROXY</c> is read as Go reads it (<see cref="NoProxyRule"/>). Loopback never uses a proxy.
/// (.NET's own environment proxy sends loopback through the proxy and reads <c>corp</c> as an exact name.)
/// </summary>
internal sealed class ProxySettings : IWebProxy, ICredentials
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
        return new ProxySettings(https, http, NoProxyRule.ParseList(Get("NO_PROXY")));
    }

    /// <summary>True when a request to <paramref name="uri"/> goes direct.</summary>
    public bool IsBypassed(Uri uri)
    {
        if ((uri.Scheme == Uri.UriSchemeHttps ? HttpsProxy : HttpProxy) is null)
        {
            return true;
        }
        string host = uri.IdnHost;
        return HostAddress.IsLoopbackName(host) || _noProxy.Any(rule => rule.Matches(host, uri.Port));
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
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out Uri? uri) || uri.Host.Length == 0 || !SupportedSchemes.Contains(uri.Scheme))
        {
            throw new ContainerTasksException(ErrorCodes.InvalidRegistrySetting,
                $"{name} is not a proxy URL (expected http://host:port, http://user:password@host:port, or socks5://host:port; schemes {string.Join(", ", SupportedSchemes)}).");
        }
        // .NET resolves names at a SOCKS5 proxy always: socks5h (curl's "resolve at the proxy") is what it does.
        return uri.Scheme == "socks5h" ? new UriBuilder(uri) { Scheme = "socks5" }.Uri : uri;
    }

    private static readonly string[] SupportedSchemes = ["http", "https", "socks4", "socks4a", "socks5", "socks5h"];
}
