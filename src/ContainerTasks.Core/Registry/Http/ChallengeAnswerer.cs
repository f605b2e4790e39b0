using System.Net;
using System.Net.Http.Headers;
using ContainerTasks.Registry.Auth;

namespace ContainerTasks.Registry.Http;

/// <summary>
/// The auth step of one request: the <c>Authorization</c> header when the URL may carry credentials, and the answer to
/// a registry's 401 challenge (Basic, or a token; see <see cref="RegistryAuthenticator"/>), at most twice per request; and
/// once per request a 403 to a renewable credential sent as it is, which is obtained again (see
/// <see cref="RegistryAuthenticator.RenewDeniedAsync"/>).
/// </summary>
internal sealed class ChallengeAnswerer
{
    private const int MaxRounds = 2;
    private readonly RegistryAuthenticator _auth;
    private readonly IReadOnlyList<string> _scopes;
    private AuthenticationHeaderValue? _sent;
    private RegistryCredential? _sentCredential;
    private int _rounds;
    private bool _renewedAfterDenial;

    /// <param name="auth">The registry's authenticator (credentials, cached tokens).</param>
    /// <param name="scopes">What the request needs, e.g. <c>repository:a:pull</c>.</param>
    public ChallengeAnswerer(RegistryAuthenticator auth, IReadOnlyList<string> scopes)
    {
        _auth = auth;
        _scopes = scopes;
    }

    /// <summary>The header for the next attempt; none when <paramref name="mayCarryCredentials"/> is false or no challenge is known yet.</summary>
    public async Task<AuthenticationHeaderValue?> HeaderAsync(bool mayCarryCredentials, CancellationToken cancellationToken)
    {
        (_sent, _sentCredential) = mayCarryCredentials ? await _auth.GetHeaderAsync(_scopes, cancellationToken).ConfigureAwait(false) : (null, null);
        return _sent;
    }

    /// <summary>
    /// True when <paramref name="response"/> is a 401 from the registry answered with new credentials, or a 403 after which
    /// a renewable credential was obtained again: the request goes again (the caller disposes the answer). A header that was
    /// refused forces a new token.
    /// </summary>
    public async Task<bool> TryAnswerAsync(HttpResponseMessage response, bool fromRegistry, CancellationToken cancellationToken)
    {
        if (response.StatusCode == HttpStatusCode.Forbidden && fromRegistry && _sent is not null && !_renewedAfterDenial)
        {
            _renewedAfterDenial = true;
            return await _auth.RenewDeniedAsync(_sentCredential, cancellationToken).ConfigureAwait(false);
        }
        if (response.StatusCode != HttpStatusCode.Unauthorized || !fromRegistry || _rounds >= MaxRounds)
        {
            return false;
        }
        _rounds++;
        try
        {
            return await _auth.HandleChallengeAsync(response, _scopes, _sent is null ? null : _sentCredential, forceRefresh: _sent is not null, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }
}
