using ContainerTasks.Registry.Auth;
using ContainerTasks.Registry.Auth.Cloud;

namespace ContainerTasks.Registry;

/// <summary>
/// Everything registry-related for one build: the transport (connection pool, TLS, proxies), the
/// credential store, and one client per registry and role. Create one per build from an environment
/// snapshot; dispose it at the end.
/// </summary>
internal sealed class RegistrySession : IDisposable
{
    private readonly Dictionary<ClientKey, RegistryClient> _clients = new();
    private readonly object _gate = new();

    /// <summary>Creates a session.</summary>
    /// <param name="environment">The build's environment snapshot (credentials, proxies, settings).</param>
    /// <param name="baseRegistry">The registry of the base image, if any.</param>
    /// <param name="outputRegistry">The registry pushed to, if any.</param>
    /// <param name="log">Progress and diagnostics, one line each; never contains secrets.</param>
    /// <param name="stateDirectory">Where to remember, across builds, that an insecure registry speaks plain HTTP (see <see cref="RegistryTransport"/>).</param>
    /// <param name="notice">Lines a user sees at normal verbosity: retries and their cause, a loopback registry's certificate accepted unchecked. Default: <paramref name="log"/>.</param>
    public RegistrySession(IReadOnlyDictionary<string, string> environment, string? baseRegistry, string? outputRegistry, Action<string>? log = null, string? stateDirectory = null,
        Action<string>? notice = null)
    {
        Notice = notice ?? log;
        Settings = RegistrySettings.FromEnvironment(environment);
        Transport = new RegistryTransport(Settings, stateDirectory, notice ?? log);
        Credentials = new CredentialStore(environment, baseRegistry, outputRegistry, log,
            new CloudCredentialSources(new CloudContext(environment, Transport, Notice, log)));
        Log = log;
    }

    /// <summary>The settings read from the environment.</summary>
    public RegistrySettings Settings { get; }

    /// <summary>The shared transport.</summary>
    public RegistryTransport Transport { get; }

    /// <summary>Where credentials come from.</summary>
    public CredentialStore Credentials { get; }

    /// <summary>The log sink.</summary>
    public Action<string>? Log { get; }

    /// <summary>The sink for lines shown at normal verbosity (retries).</summary>
    public Action<string>? Notice { get; }

    /// <summary>
    /// The client for <paramref name="registry"/>/<paramref name="repository"/> in <paramref name="role"/>. Credentials may
    /// differ per role and per repository (auth files have per-repository keys), so clients are shared only by requests
    /// of one registry and role whose credentials are the same.
    /// </summary>
    public RegistryClient Client(string registry, string repository, RegistryRole role)
    {
        RegistryCredential? credential = Credentials.Find(registry, repository, role);
        var key = new ClientKey(registry, role, credential?.Identity);
        lock (_gate)
        {
            if (!_clients.TryGetValue(key, out RegistryClient? client))
            {
                client = new RegistryClient(registry, Transport, credential, Log, Notice);
                _clients[key] = client;
            }
            return client;
        }
    }

    /// <summary>Closes connections.</summary>
    public void Dispose() => Transport.Dispose();

    private readonly record struct ClientKey(string Registry, RegistryRole Role, object? Credential);
}
