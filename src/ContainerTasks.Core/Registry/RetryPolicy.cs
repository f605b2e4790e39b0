using System.Net;
using System.Net.Http.Headers;

namespace ContainerTasks.Registry;

/// <summary>
/// When and how long to wait before trying again: exponential backoff from the base delay, capped,
/// with jitter; a registry's <c>Retry-After</c> is honoured; all waits of one operation share a budget.
/// </summary>
internal sealed class RetryPolicy
{
    private readonly RegistrySettings _settings;
    private readonly int _maxAttempts;
    private TimeSpan _waited;
    private int _attempt;

    /// <param name="settings">Delays and budget.</param>
    /// <param name="maxAttempts">Attempts in all (the first included).</param>
    public RetryPolicy(RegistrySettings settings, int maxAttempts = DefaultMaxAttempts)
    {
        _settings = settings;
        _maxAttempts = maxAttempts;
    }

    /// <summary>Attempts of an operation in all, unless it asks for fewer.</summary>
    public const int DefaultMaxAttempts = 10;

    /// <summary>Attempts made so far.</summary>
    public int Attempts => _attempt;

    /// <summary>Status codes worth retrying: the registry or something in front of it is briefly unwell.</summary>
    public static bool IsTransient(HttpStatusCode status)
        => status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError
            or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>Waits before the next attempt; false when the budget or the attempt limit is spent.</summary>
    public async Task<bool> WaitAsync(HttpResponseMessage? response, CancellationToken cancellationToken)
    {
        _attempt++;
        if (_attempt >= _maxAttempts)
        {
            return false;
        }
        double exponential = _settings.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, _attempt - 1);
        double capped = Math.Min(exponential, _settings.RetryMaxDelay.TotalMilliseconds);
        TimeSpan delay = TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() / 2)));
        if (response is not null && RetryAfter(response) is { } retryAfter)
        {
            delay = retryAfter;
        }
        // The budget bounds the time spent waiting to retry, not the time spent transferring.
        if (_waited + delay > _settings.RetryBudget)
        {
            return false;
        }
        _waited += delay;
        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        RetryConditionHeaderValue? header = response.Headers.RetryAfter;
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
