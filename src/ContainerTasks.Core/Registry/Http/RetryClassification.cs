using System.Net;
using System.Net.Http.Headers;

namespace ContainerTasks.Registry.Http;

/// <summary>
/// What is worth another attempt, the one rule for every registry and token request, upload and download: a
/// transient status (408, 429, 5xx that a restart or load balancer gives), a failure to get any answer (connection,
/// reset, our per-attempt timeout), and how long the registry asked us to wait (<c>Retry-After</c>). A whole
/// operation's deadline that passed is a timeout to report, never retried; a proxy login refusal neither.
/// </summary>
internal static class RetryClassification
{
    /// <summary>Status codes worth retrying: the registry or something in front of it is briefly unwell.</summary>
    public static bool IsTransient(HttpStatusCode status)
        => status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError
            or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>An upload step's answer that restarts the upload: transient, or a session lost (404) or broken (416), e.g. after a reset.</summary>
    public static bool RestartsUpload(HttpStatusCode status)
        => IsTransient(status) || status is HttpStatusCode.NotFound or HttpStatusCode.RequestedRangeNotSatisfiable;

    /// <summary>
    /// True when <paramref name="error"/> means the request got no (whole) answer: a network error, or a cancellation
    /// that <paramref name="caller"/> did not ask for (our own per-attempt timeout).
    /// </summary>
    public static bool IsNetworkFailure(Exception error, CancellationToken caller)
        => error is HttpRequestException or IOException || (error is OperationCanceledException && !caller.IsCancellationRequested);

    /// <summary>True when an error carries the codes a request gives after a network failure (CT3001, CT3010).</summary>
    public static bool IsNetworkFailure(ContainerTasksException error)
        => error.Code is ErrorCodes.RegistryUnreachable or ErrorCodes.RegistryTimeout;

    /// <summary>True when the operation's own <paramref name="deadline"/> ended it, not the <paramref name="caller"/>: a timeout to report.</summary>
    public static bool IsDeadline(CancellationTokenSource deadline, CancellationToken caller)
        => deadline.IsCancellationRequested && !caller.IsCancellationRequested;

    /// <summary>The wait a registry asked for with <c>Retry-After</c> (seconds or a date); null when it asked for none.</summary>
    public static TimeSpan? RequestedDelay(HttpResponseMessage? response)
    {
        RetryConditionHeaderValue? header = response?.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }
        if (header?.Date is { } date)
        {
            TimeSpan wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }
}
