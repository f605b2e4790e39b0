using System.Net;

namespace ContainerTasks.Registry.Http;

/// <summary>
/// A proxy that refused our login (HTTP 407, or a SOCKS login refused): CT3013 naming the fix. Such a proxy answers
/// the same way every time, so it is reported at once, never retried.
/// </summary>
internal static class ProxyRefusal
{
    /// <summary>The CT3013 error when <paramref name="error"/>, thrown by a request to <paramref name="uri"/>, is a proxy login refusal; else null.</summary>
    public static ContainerTasksException? From(Exception error, Uri uri)
    {
        // A CONNECT refused with 407 comes back as a proxy-tunnel error whose message quotes the status ('407'); nothing
        // else is taken for it (a port 40712 or a host reg407 in another error must not read as a proxy login).
        if (error is HttpRequestException { StatusCode: HttpStatusCode.ProxyAuthenticationRequired }
            || (error is HttpRequestException { HttpRequestError: HttpRequestError.ProxyTunnelError } && error.Message.Contains("'407'", StringComparison.Ordinal)))
        {
            return new ContainerTasksException(ErrorCodes.ProxyError,
                $"The HTTP proxy refused the connection to {uri.Authority} with 407 (proxy authentication required). Put the proxy user and password in the proxy URL: HTTPS_PROXY=http://user:password@proxy:port.", error);
        }
        // .NET's SocksException is internal; its messages about the login all speak of authentication.
        bool socksLogin = error is HttpRequestException { HttpRequestError: HttpRequestError.ProxyTunnelError, InnerException: { } inner }
            && inner.GetType().Name == "SocksException" && inner.Message.Contains("auth", StringComparison.OrdinalIgnoreCase);
        return socksLogin
            ? new ContainerTasksException(ErrorCodes.ProxyError,
                $"The SOCKS proxy refused the login for the connection to {uri.Authority} ({Secrets.Scrub(error.InnerException!.Message)}). Put the proxy user and password in the proxy URL: ALL_PROXY=socks5://user:password@proxy:port.", error)
            : null;
    }
}
