using System.Net;

namespace ContainerTasks.Registry.Http;

/// <summary>
/// The scheme step of one request: HTTPS first; plain HTTP for an insecure registry whose TLS handshake fails (once);
/// back to HTTPS when a registry remembered from an earlier build as speaking HTTP stops answering it, or answers as a
/// TLS server does. It applies to the registry's own URLs only, never to a redirect target.
/// </summary>
internal sealed class SchemeFallback
{
    private readonly RegistryTransport _transport;
    private readonly RegistryEndpoint _endpoint;
    private readonly Action<string>? _log;
    private bool _fellBack;

    /// <param name="transport">The build's transport, which keeps each registry's scheme.</param>
    /// <param name="endpoint">The registry's endpoint.</param>
    /// <param name="log">Details: each switch of scheme.</param>
    public SchemeFallback(RegistryTransport transport, RegistryEndpoint endpoint, Action<string>? log)
    {
        _transport = transport;
        _endpoint = endpoint;
        _log = log;
    }

    /// <summary>After a failed TLS handshake with <paramref name="uri"/>: true when the request goes again over plain HTTP.</summary>
    public bool TryHttpAfterTlsFailure(Uri uri, bool redirected)
    {
        if (uri.Scheme != "https" || !_endpoint.IsRegistry(uri) || redirected || _fellBack || !_transport.Settings.IsInsecure(_endpoint.Registry))
        {
            return false;
        }
        _fellBack = true;
        _log?.Invoke($"{_endpoint.Registry} does not speak TLS; using plain HTTP (it is an insecure registry).");
        _transport.FallBackToHttp(_endpoint.ApiHost);
        return true;
    }

    /// <summary>After a plain HTTP request got no answer: true when the request goes again over HTTPS.</summary>
    public bool TryHttpsAfterNetworkFailure(Uri uri, bool redirected, Exception error)
    {
        if (!IsOwnHttp(uri, redirected) || !BackToHttps())
        {
            return false;
        }
        _log?.Invoke($"{_endpoint.Registry} no longer answers plain HTTP ({NetworkFailure.Describe(error)}); trying HTTPS again.");
        return true;
    }

    /// <summary>
    /// After an answer over plain HTTP: true when it is a TLS server's (the request goes again over HTTPS; the caller
    /// disposes the answer); else an answer the registry gives confirms HTTP for later builds.
    /// </summary>
    public async Task<bool> TryHttpsAfterAnswerAsync(Uri uri, bool redirected, HttpMethod method, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!IsOwnHttp(uri, redirected))
        {
            return false;
        }
        // A HEAD answer has no body to tell; a registry's own 400s come with a JSON error body.
        if (response.StatusCode == HttpStatusCode.BadRequest && (method == HttpMethod.Head || await IsTlsServerAnswerAsync(response, cancellationToken).ConfigureAwait(false))
            && BackToHttps())
        {
            _log?.Invoke($"{_endpoint.Registry} answered plain HTTP as a TLS server does; trying HTTPS again.");
            return true;
        }
        if (response.IsSuccessStatusCode || response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.NotFound)
        {
            _transport.ConfirmHttp(_endpoint.ApiHost);
        }
        return false;
    }

    private bool IsOwnHttp(Uri uri, bool redirected) => uri.Scheme == "http" && _endpoint.IsRegistry(uri) && !redirected;

    // Forgets a remembered HTTP choice (deleting its file); true when HTTPS is what the registry gets next.
    private bool BackToHttps() => _transport.ForgetRememberedHttp(_endpoint.ApiHost) || _transport.SchemeFor(_endpoint.ApiHost) == "https";

    // "Client sent an HTTP request to an HTTPS server." (Go), "The plain HTTP request was sent to HTTPS port" (nginx).
    private static async Task<bool> IsTlsServerAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await response.Content.LoadIntoBufferAsync().ConfigureAwait(false);   // the error path may read it again
            string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return body.Contains("HTTPS", StringComparison.OrdinalIgnoreCase) && !body.Contains("\"errors\"", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return false;
        }
    }
}
