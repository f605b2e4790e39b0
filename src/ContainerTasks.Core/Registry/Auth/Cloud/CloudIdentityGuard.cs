namespace ContainerTasks.Registry.Auth.Cloud;

/// <summary>
/// What every cloud's source shares, around it:
/// <list type="bullet">
/// <item>No identity (CT3021), or one its token service refuses before any credential came (CT3022: a stale gcloud login,
/// an identity of another tenant), is remembered for the build, said once at normal verbosity, and not an error by
/// itself: the registry then gets anonymous requests, so a public base image on <c>gcr.io</c> or an ACR with anonymous
/// pull still pulls. <see cref="Missing"/> becomes the error only when the registry refuses. A token service that cannot
/// be reached, and once a credential was obtained any failure, is the error at once.</item>
/// <item>A failure of a cloud's library is coded: an assembly that cannot be loaded is CT3023, anything else CT3022 naming
/// the identity; messages are cleaned of control characters (they quote services' answers).</item>
/// </list>
/// </summary>
internal sealed class CloudIdentityGuard : ICredentialSource
{
    private const int MaxMessageLength = 4000;
    private readonly ICredentialSource _inner;
    private readonly string _host;
    private readonly Action<string>? _notice;
    private ContainerTasksException? _missing;
    private bool _obtained;

    public CloudIdentityGuard(ICredentialSource inner, string host, Action<string>? notice)
    {
        _inner = inner;
        _host = host;
        _notice = notice;
    }

    /// <summary>Why the registry's requests are anonymous (no identity, or one that gave no credential), once that was found; null before, or when there is one.</summary>
    public ContainerTasksException? Missing => Volatile.Read(ref _missing);

    /// <inheritdoc />
    public string Description => _inner.Description;

    /// <inheritdoc />
    public async Task<RegistryCredential> ObtainAsync(CancellationToken cancellationToken)
    {
        if (Missing is { } missing)
        {
            throw missing;
        }
        try
        {
            RegistryCredential credential = await ObtainCodedAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _obtained, true);
            return credential;
        }
        catch (ContainerTasksException e) when (e.Code == ErrorCodes.CloudIdentityNotFound && !Volatile.Read(ref _obtained))
        {
            throw Anonymous(e, $"No cloud identity found for {_host}: its requests are anonymous (the error, if the registry refuses them, says what was tried).");
        }
        catch (ContainerTasksException e) when (e.Code == ErrorCodes.CloudTokenServiceError && !Volatile.Read(ref _obtained) && !Unreachable(e))
        {
            throw Anonymous(e, $"The cloud identity gave no credential for {_host}, so its requests are anonymous: {e.Message}");
        }
    }

    // A token service that could not be reached (a network failure anywhere below) is no refusal of the identity: the
    // build says so at once rather than going on anonymously for the rest of it.
    private static bool Unreachable(Exception e)
    {
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            // A broken connection is an IOException itself; its subclasses (a missing file) are not the network.
            if (inner is HttpRequestException or System.Net.Sockets.SocketException or TimeoutException or TaskCanceledException || inner.GetType() == typeof(IOException))
            {
                return true;
            }
        }
        return false;
    }

    private ContainerTasksException Anonymous(ContainerTasksException e, string notice)
    {
        Volatile.Write(ref _missing, e);
        _notice?.Invoke(notice);
        return e;
    }

    // The source's answer, with every failure coded and its message cleaned.
    private async Task<RegistryCredential> ObtainCodedAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _inner.ObtainAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ContainerTasksException e)
        {
            throw Cleaned(e);
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or TypeLoadException or MissingMethodException or BadImageFormatException)
        {
            throw new ContainerTasksException(ErrorCodes.CloudLibrariesMissing,
                $"The cloud identity libraries for {_host} cannot be used: {RegistryText.Clean(e.Message, MaxMessageLength)}. Restore the ContainerTasks package again (its tasks/cloud/ folder ships them), or give the registry a credential another way and set ContainerCloudCredentials=false.", e);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
                $"Getting a credential for {_host} from {_inner.Description} failed: {RegistryText.Clean(e.Message, MaxMessageLength)}. Check the identity's settings and the network to its token service (HTTPS_PROXY, NO_PROXY).", e);
        }
    }

    private static ContainerTasksException Cleaned(ContainerTasksException e)
        => new(e.Code, RegistryText.Clean(e.Message, MaxMessageLength), e.InnerException);
}
