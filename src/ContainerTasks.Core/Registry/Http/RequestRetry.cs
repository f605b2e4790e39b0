namespace ContainerTasks.Registry.Http;

/// <summary>
/// The retry step of one operation: after a transient answer or a failure classified by <see cref="RetryClassification"/>,
/// waits (backoff or <c>Retry-After</c>) and says so, while the <see cref="RetryPolicy"/>'s attempts and budgets allow.
/// </summary>
internal sealed class RequestRetry
{
    private readonly bool _enabled;
    private readonly Action<string, TimeSpan>? _announce;

    /// <param name="policy">The operation's attempts and time budgets.</param>
    /// <param name="enabled">False for requests whose caller retries itself (uploads): every failure is final here.</param>
    /// <param name="announce">Told the cause and the delay before each wait.</param>
    public RequestRetry(RetryPolicy policy, bool enabled, Action<string, TimeSpan>? announce)
    {
        Policy = policy;
        _enabled = enabled;
        _announce = announce;
    }

    /// <summary>The operation's attempts and time budgets.</summary>
    public RetryPolicy Policy { get; }

    /// <summary>The line shown before a retry: what, why, when, which attempt.</summary>
    public static string Line(string what, string cause, TimeSpan delay, int attempt)
        => $"{what}: {cause}; retrying in {delay.TotalSeconds:0.#} s (attempt {attempt}).";

    /// <summary>True, after the wait, when <paramref name="response"/>'s status is transient and another attempt may follow.</summary>
    public async Task<bool> AfterAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
        => RetryClassification.IsTransient(response.StatusCode)
            && await WaitAsync(response, $"{(int)response.StatusCode} {RegistryText.Clean(response.ReasonPhrase)}", true, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// After a request to <paramref name="uri"/> got no answer: null, after the wait, when another attempt may follow;
    /// else why, for the caller's error. A proxy that refused our login is CT3013 at once (it answers the same every time).
    /// </summary>
    public async Task<NetworkFailure?> AfterNetworkFailureAsync(Exception error, Uri uri, bool heardFrom, CancellationToken cancellationToken)
    {
        if (ProxyRefusal.From(error, uri) is { } refused)
        {
            throw refused;
        }
        NetworkFailure failure = NetworkFailure.From(error, uri, error is OperationCanceledException ? Policy.LastAttemptTimeout : null);
        return await WaitAsync(null, failure.Cause, heardFrom, cancellationToken).ConfigureAwait(false) ? null : failure;
    }

    /// <summary>Waits before the next attempt, announcing <paramref name="cause"/>; false when retries are off or spent.</summary>
    public async Task<bool> WaitAsync(HttpResponseMessage? response, string cause, bool heardFrom, CancellationToken cancellationToken)
        => _enabled && await Policy.WaitAsync(response, cancellationToken, heardFrom, delay => _announce?.Invoke(cause, delay)).ConfigureAwait(false);
}
