namespace ContainerTasks.Registry.Http;

/// <summary>
/// Where one registry's API is served, and which URLs are the registry itself (same host and port). Credentials go
/// only there, so a redirect to another host (a blob store, a CDN) never carries them, and never down to plain HTTP
/// unless the registry is an insecure one that speaks only HTTP.
/// </summary>
internal sealed class RegistryEndpoint
{
    private readonly RegistryTransport _transport;

    /// <param name="registry">The registry as named in references.</param>
    /// <param name="apiHost">The host[:port] that serves its API.</param>
    /// <param name="transport">The build's transport, which knows the scheme each registry speaks.</param>
    public RegistryEndpoint(string registry, string apiHost, RegistryTransport transport)
    {
        Registry = registry;
        ApiHost = apiHost;
        _transport = transport;
    }

    /// <summary>The registry as named in references.</summary>
    public string Registry { get; }

    /// <summary>The host[:port] that serves its API.</summary>
    public string ApiHost { get; }

    /// <summary>The scheme the registry is spoken to with now: https, or http after a fallback.</summary>
    public string Scheme => _transport.SchemeFor(ApiHost);

    /// <summary>True when <paramref name="uri"/> is the registry itself: same host and port.</summary>
    public bool IsRegistry(Uri uri)
    {
        string host = RegistrySettings.HostOf(ApiHost).Trim('[', ']');
        int colon = ApiHost.LastIndexOf(':');
        int? port = colon > 0 && !ApiHost.EndsWith(']') && int.TryParse(ApiHost[(colon + 1)..], out int p) ? p : null;
        return uri.IdnHost.Trim('[', ']').Equals(host, StringComparison.OrdinalIgnoreCase) && (port is null ? uri.IsDefaultPort : uri.Port == port);
    }

    /// <summary>True when a request to <paramref name="uri"/> may carry the registry's credentials.</summary>
    public bool MayReceiveCredentials(Uri uri) => IsRegistry(uri) && (uri.Scheme == Uri.UriSchemeHttps || Scheme == "http");

    /// <summary>The URL of an API path, or an absolute URL the registry gave (an upload location) in the scheme spoken now.</summary>
    public Uri UriFor(string pathOrUri)
        => Uri.TryCreate(pathOrUri, UriKind.Absolute, out Uri? absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal)
            ? Rescheme(absolute)
            : new Uri($"{Scheme}://{ApiHost}{pathOrUri}");

    /// <summary>A <c>Location</c> the registry answered, made absolute against its root.</summary>
    public Uri Resolve(Uri location) => Resolve(new Uri($"{Scheme}://{ApiHost}/"), location);

    /// <summary>A <c>Location</c> made absolute against the URL that answered it.</summary>
    public static Uri Resolve(Uri baseUri, Uri location) => location.IsAbsoluteUri ? location : new Uri(baseUri, location);

    // An upload Location from before an HTTPS-to-HTTP fallback keeps its host but follows the new scheme.
    private Uri Rescheme(Uri uri)
        => IsRegistry(uri) && uri.Scheme != Scheme
            ? new UriBuilder(uri) { Scheme = Scheme, Port = uri.Port }.Uri
            : uri;
}
