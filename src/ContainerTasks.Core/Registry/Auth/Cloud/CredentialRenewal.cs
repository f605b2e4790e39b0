namespace ContainerTasks.Registry.Auth.Cloud;

/// <summary>
/// The current credential of one <see cref="ICredentialSource"/>: obtained when first asked for, again shortly before it
/// expires (a quarter of its lifetime, at most 5 minutes, ahead), and again when it was refused. Concurrent requests
/// share one renewal: a request that found a credential refused renews it only if no other request already did. One per
/// source (<see cref="For"/>), so the clients of one registry (pull and push) share it and a source is never called twice
/// at once.
/// </summary>
internal sealed class CredentialRenewal
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ICredentialSource, CredentialRenewal> BySource = new();
    private static readonly TimeSpan MaxMargin = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MinLifetime = TimeSpan.FromSeconds(1);
    private readonly ICredentialSource _source;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private RegistryCredential? _current;
    private long _renewAtTicks;

    private CredentialRenewal(ICredentialSource source) => _source = source;

    /// <summary>The renewal of <paramref name="source"/>.</summary>
    public static CredentialRenewal For(ICredentialSource source) => BySource.GetValue(source, s => new CredentialRenewal(s));

    /// <summary>The credential to use now.</summary>
    public async Task<RegistryCredential> CurrentAsync(CancellationToken cancellationToken)
    {
        RegistryCredential? current = Volatile.Read(ref _current);
        return current is not null && !Due() ? current : await RenewAsync(current, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A credential other than <paramref name="refused"/>: the one another request obtained since, or a new one.</summary>
    public async Task<RegistryCredential> RenewAsync(RegistryCredential? refused, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is not null && !ReferenceEquals(_current, refused) && !Due())
            {
                return _current;
            }
            DateTimeOffset asked = DateTimeOffset.UtcNow;
            RegistryCredential obtained = await _source.ObtainAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Exchange(ref _renewAtTicks, RenewAt(obtained.ExpiresAt, asked).UtcTicks);
            Volatile.Write(ref _current, obtained);
            return obtained;
        }
        finally
        {
            _gate.Release();
        }
    }

    private bool Due() => DateTimeOffset.UtcNow.UtcTicks >= Interlocked.Read(ref _renewAtTicks);

    // An expiry already past when the credential arrived (a clock off, or a service that says so) is not believed: the
    // credential is renewed when refused, not before every request. Otherwise at most once a second.
    private static DateTimeOffset RenewAt(DateTimeOffset? expires, DateTimeOffset asked)
    {
        if (expires is not { } at || at <= asked)
        {
            return DateTimeOffset.MaxValue;
        }
        DateTimeOffset renewAt = at - Margin(at - asked);
        return renewAt < asked + MinLifetime ? asked + MinLifetime : renewAt;
    }

    private static TimeSpan Margin(TimeSpan lifetime) => lifetime <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(MaxMargin.Ticks, lifetime.Ticks / 4));
}
