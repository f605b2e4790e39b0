using System.Diagnostics;

namespace ContainerTasks.Registry.Http;

/// <summary>
/// How long one operation (a request and its retries, an upload, a download) may take, and when to try again.
/// The whole operation, attempts and waits together, ends within the retry budget plus the time its body needs
/// at the slowest accepted rate; each attempt waits for an answer at most the read timeout, never past that end.
/// A host not heard from in this build (refused, unknown name, silent) is given up on sooner: each attempt waits
/// the connect timeout, and all of them share the unreachable budget. Waits back off exponentially from the base
/// delay, capped, with jitter; a registry's <c>Retry-After</c> is honoured. What is retried at all is <see cref="RetryClassification"/>'s call.
/// </summary>
internal sealed class RetryPolicy
{
    /// <summary>The slowest transfer accepted: a body may add one second per this many bytes to the deadlines.</summary>
    public const double SlowestBytesPerSecond = 256 * 1024;

    /// <summary>The most time any body is allowed, however large its descriptor says it is.</summary>
    public static readonly TimeSpan MaxTransfer = TimeSpan.FromDays(1);

    /// <summary>Attempts of an operation in all, unless it asks for fewer.</summary>
    public const int DefaultMaxAttempts = 10;

    private readonly RegistrySettings _settings;
    private readonly int _maxAttempts;
    private readonly TimeSpan _transfer;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _attempt;

    /// <param name="settings">Timeouts, delays and budgets.</param>
    /// <param name="maxAttempts">Attempts in all (the first included).</param>
    /// <param name="bodyBytes">The size of the body the operation sends or receives, which may take its time.</param>
    public RetryPolicy(RegistrySettings settings, int maxAttempts = DefaultMaxAttempts, long bodyBytes = 0)
    {
        _settings = settings;
        _maxAttempts = maxAttempts;
        // Bounded whatever size a (hostile) descriptor claims: a day at the slowest rate covers 21 GiB.
        _transfer = TimeSpan.FromSeconds(Math.Min(Math.Max(0, bodyBytes) / SlowestBytesPerSecond, MaxTransfer.TotalSeconds));
    }

    /// <summary>Attempts made so far.</summary>
    public int Attempts => _attempt;

    /// <summary>How long the operation has run.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>The time left before the operation must end.</summary>
    public TimeSpan Remaining(bool heardFrom = true) => Budget(heardFrom) - _clock.Elapsed;

    /// <summary>The timeout the last attempt was given (for messages).</summary>
    public TimeSpan LastAttemptTimeout { get; private set; }

    /// <summary>How long the next attempt may wait for its answer (and send or read its body).</summary>
    public TimeSpan AttemptTimeout(bool heardFrom)
    {
        TimeSpan wanted = (heardFrom ? _settings.ReadTimeout : _settings.ConnectTimeout) + _transfer;
        TimeSpan left = Remaining(heardFrom);
        // Never zero: an attempt allowed to start gets at least a moment.
        LastAttemptTimeout = left < wanted ? (left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1)) : wanted;
        return LastAttemptTimeout;
    }

    /// <summary>A token cancelled when the operation's time is up, for a body read across several calls.</summary>
    public CancellationTokenSource Deadline(CancellationToken cancellationToken)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        TimeSpan left = Remaining();
        deadline.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        return deadline;
    }

    /// <summary>
    /// Waits before the next attempt; false when the attempts or the time are spent. <paramref name="announce"/> is
    /// told the delay before the wait (to say what is retried, and when).
    /// </summary>
    public async Task<bool> WaitAsync(HttpResponseMessage? response, CancellationToken cancellationToken, bool heardFrom = true, Action<TimeSpan>? announce = null)
    {
        _attempt++;
        if (_attempt >= _maxAttempts)
        {
            return false;
        }
        TimeSpan delay = RetryClassification.RequestedDelay(response) ?? Backoff();
        if (_clock.Elapsed + delay >= Budget(heardFrom))
        {
            return false;
        }
        announce?.Invoke(delay);
        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private TimeSpan Budget(bool heardFrom) => (heardFrom ? _settings.RetryBudget : _settings.UnreachableBudget) + _transfer;

    private TimeSpan Backoff()
    {
        double exponential = _settings.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, _attempt - 1);
        double capped = Math.Min(exponential, _settings.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() / 2)));
    }
}
