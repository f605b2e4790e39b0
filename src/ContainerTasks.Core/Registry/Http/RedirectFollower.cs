using System.Net;

namespace ContainerTasks.Registry.Http;

/// <summary>
/// The redirect step of one request: up to five redirects are followed here (the handler follows none), so that each
/// hop's credentials are decided anew by <see cref="RegistryEndpoint.MayReceiveCredentials"/> and a redirect to
/// another host never carries them. A 303 turns the request into a GET.
/// </summary>
internal sealed class RedirectFollower
{
    /// <summary>The most redirects one request follows.</summary>
    public const int MaxRedirects = 5;

    private int _followed;

    /// <param name="method">The request's method.</param>
    public RedirectFollower(HttpMethod method) => Method = method;

    /// <summary>Where the next attempt goes; null for the registry's own URL.</summary>
    public Uri? Target { get; private set; }

    /// <summary>The method of the next attempt.</summary>
    public HttpMethod Method { get; private set; }

    /// <summary>True when the request is on a redirect, away from the URL it was made for.</summary>
    public bool Redirected => Target is not null;

    /// <summary>True when <paramref name="response"/> (to <paramref name="from"/>) redirects and is followed: the caller disposes it.</summary>
    public bool TryFollow(HttpResponseMessage response, Uri from)
    {
        if (response.StatusCode is not (HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
                or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect)
            || response.Headers.Location is not { } next || _followed >= MaxRedirects)
        {
            return false;
        }
        _followed++;
        Target = RegistryEndpoint.Resolve(from, next);
        if (response.StatusCode == HttpStatusCode.SeeOther)
        {
            Method = HttpMethod.Get;
        }
        return true;
    }

    /// <summary>A retry starts again at the registry's own URL (a redirect target may be a short-lived signed URL).</summary>
    public void Restart() => Target = null;
}
