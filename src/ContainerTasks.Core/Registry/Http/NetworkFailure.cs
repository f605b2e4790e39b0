using System.Net.Sockets;

namespace ContainerTasks.Registry.Http;

/// <summary>
/// Why a request got no HTTP answer, from what the network stack threw: the cause in a few words (for retry lines
/// and errors), whether it was a timeout (CT3010) or a failure to connect (CT3001), and what to do about it.
/// </summary>
internal sealed record NetworkFailure(string Cause, bool TimedOut, string Fix)
{
    private const string CheckNetwork = "Check the network, the proxy settings (HTTPS_PROXY, NO_PROXY) and the registry's status.";

    /// <summary>Classifies <paramref name="error"/>, thrown by a request to <paramref name="uri"/>; <paramref name="timedOutAfter"/> when our own timeout fired.</summary>
    public static NetworkFailure From(Exception error, Uri uri, TimeSpan? timedOutAfter)
    {
        if (Find<TimeoutException>(error) is not null)
        {
            return new($"connecting to {uri.Authority} timed out (nothing answered the connection request)", true,
                $"Check the host and port, and whether a firewall drops the connection. {CheckNetwork}");
        }
        if (timedOutAfter is { } timeout)
        {
            return new($"no answer within {timeout.TotalSeconds:0.#} s", true, $"Check that {uri.Authority} is a registry and is running. {CheckNetwork}");
        }
        SocketError? socket = Find<SocketException>(error)?.SocketErrorCode;
        if (socket == SocketError.ConnectionRefused)
        {
            return new($"connection refused by {uri.Authority} (nothing listens on that port)", false,
                "Check ContainerRegistry (host name and port) and that the registry is running.");
        }
        if ((error as HttpRequestException)?.HttpRequestError == HttpRequestError.NameResolutionError
            || socket is SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain)
        {
            return new($"the name '{uri.IdnHost}' was not found (DNS)", false,
                "Check the registry name in ContainerRegistry (or the image reference) for typos, and the DNS and proxy settings.");
        }
        return new(Describe(error), false, CheckNetwork);
    }

    /// <summary>The innermost message, scrubbed of secrets and cleaned for a log line.</summary>
    public static string Describe(Exception error)
    {
        while (error.InnerException is not null)
        {
            error = error.InnerException;
        }
        return RegistryText.Clean(Secrets.Scrub(error.Message));
    }

    private static T? Find<T>(Exception? error) where T : Exception
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is T found)
            {
                return found;
            }
        }
        return null;
    }
}
