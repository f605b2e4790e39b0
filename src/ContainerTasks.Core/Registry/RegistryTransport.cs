using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ContainerTasks.Registry.Http;

namespace ContainerTasks.Registry;

/// <summary>
/// The HTTP connection layer shared by every registry client of one build: one connection pool,
/// proxies with our NO_PROXY rules, TLS with the system trust plus Docker-style <c>certs.d</c> folders
/// (extra CAs and client certificates per registry), and "insecure" registries that accept any
/// certificate and fall back to plain HTTP. Its handlers: <see cref="AnswerRecorder"/>, then the connection pool. Redirects
/// are followed by the client's steps (see <see cref="RequestSender"/>), not here, so that <c>Authorization</c> never
/// travels to another host.
/// </summary>
internal sealed class RegistryTransport : IDisposable
{
    private readonly ConcurrentDictionary<string, bool> _useHttp = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _remembered = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _unconfirmed = new(StringComparer.OrdinalIgnoreCase);
    private readonly string? _stateDirectory;
    private readonly ConcurrentDictionary<string, CertificateFolder?> _certificates = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _answered = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, CertificateProblem> _refusals = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _notified = new(StringComparer.OrdinalIgnoreCase);
    private readonly Action<string>? _notice;

    /// <summary>Creates the transport for <paramref name="settings"/>.</summary>
    /// <param name="settings">The build's registry settings.</param>
    /// <param name="stateDirectory">
    /// Where to remember that an insecure registry speaks plain HTTP, so the next build does not try TLS first
    /// (a TLS attempt costs tens of milliseconds); a remembered registry that stops answering HTTP is tried with
    /// HTTPS again. Null: nothing is remembered.
    /// </param>
    /// <param name="notice">Lines a user should see at normal verbosity (a loopback registry's certificate accepted unchecked).</param>
    public RegistryTransport(RegistrySettings settings, string? stateDirectory = null, Action<string>? notice = null)
    {
        Settings = settings;
        _stateDirectory = stateDirectory;
        _notice = notice;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = settings.ConnectTimeout,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            MaxConnectionsPerServer = 16,
            UseProxy = true,
            Proxy = settings.Proxy,
            UseCookies = false,
        };
        handler.SslOptions.RemoteCertificateValidationCallback = ValidateCertificate;
        handler.SslOptions.LocalCertificateSelectionCallback = SelectClientCertificate;
        Http = CreateClient(handler);
    }

    /// <summary>A transport whose requests go to <paramref name="handler"/> instead of the network (tests of the request steps).</summary>
    internal RegistryTransport(RegistrySettings settings, HttpMessageHandler handler, string? stateDirectory = null)
    {
        Settings = settings;
        _stateDirectory = stateDirectory;
        Http = CreateClient(handler);
    }

    /// <summary>The build's registry settings.</summary>
    public RegistrySettings Settings { get; }

    /// <summary>The HTTP client: no timeout of its own (requests carry theirs), no redirects, no cookies.</summary>
    public HttpClient Http { get; }

    /// <summary>
    /// True once <paramref name="authority"/> (host:port) has answered a request in this build. Until then a failure to
    /// reach it is likely a wrong name or a registry that is not there, and retries are few (see <see cref="RetryPolicy"/>).
    /// </summary>
    public bool HasAnswered(string authority) => _answered.ContainsKey(authority);

    /// <summary>Records that <paramref name="authority"/> answered (any HTTP status); see <see cref="AnswerRecorder"/>.</summary>
    private void MarkAnswered(string authority) => _answered.TryAdd(authority, true);

    /// <summary>The scheme to use for <paramref name="registry"/>: https, unless an insecure registry was found to speak only HTTP.</summary>
    public string SchemeFor(string registry)
        => _useHttp.GetOrAdd(registry, r => Settings.IsInsecure(r) && ReadMemory(r) && _remembered.TryAdd(r, true)) ? "http" : "https";

    /// <summary>Records that an insecure registry speaks plain HTTP (its TLS handshake failed).</summary>
    internal void FallBackToHttp(string registry)
    {
        _useHttp[registry] = true;
        _unconfirmed[registry] = true;
    }

    /// <summary>
    /// A registry answered over plain HTTP: after a fallback, only now is that remembered for later builds (a TLS
    /// handshake that failed once for another reason is not enough); after a remembered choice, it is confirmed.
    /// </summary>
    internal void ConfirmHttp(string registry)
    {
        // Plain HTTP works in this build: later failures are ordinary failures, not a reason to switch schemes.
        _remembered.TryRemove(registry, out _);
        if (!_unconfirmed.TryRemove(registry, out _) || MemoryPath(registry) is not { } path)
        {
            return;
        }
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            string temp = $"{path}.{Guid.NewGuid():N}.tmp";
            File.WriteAllText(temp, "http\n");
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only saves a TLS attempt next time.
        }
    }

    /// <summary>
    /// A request over plain HTTP failed for a registry whose HTTP use was only remembered from an earlier build:
    /// forget it and go back to HTTPS first. False when HTTP was chosen in this build (nothing to take back).
    /// </summary>
    internal bool ForgetRememberedHttp(string registry)
    {
        if (!_remembered.TryRemove(registry, out _))
        {
            return false;
        }
        _useHttp[registry] = false;
        try
        {
            if (MemoryPath(registry) is { } path)
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return true;
    }

    private bool ReadMemory(string registry)
    {
        try
        {
            return MemoryPath(registry) is { } path && File.Exists(path) && File.ReadAllText(path).Trim() == "http";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private string? MemoryPath(string registry)
        => _stateDirectory is null ? null
            : Path.Combine(_stateDirectory, new string(registry.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_').ToArray()) + ".scheme");

    private HttpClient CreateClient(HttpMessageHandler handler)
    {
        var http = new HttpClient(new AnswerRecorder(MarkAnswered, handler), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.ParseAdd($"ContainerTasks/{typeof(RegistryTransport).Assembly.GetName().Version?.ToString(3) ?? "0"}");
        return http;
    }

    /// <summary>Releases the connection pool.</summary>
    public void Dispose() => Http.Dispose();

    /// <summary>Why the certificate of <paramref name="host"/> was last refused in this build; null when it never was.</summary>
    internal CertificateProblem? RefusalFor(string host) => _refusals.TryGetValue(host.Trim('[', ']'), out CertificateProblem? problem) ? problem : null;

    private bool ValidateCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        string? host = (sender as SslStream)?.TargetHostName;
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        if (host is null)
        {
            return false;
        }
        CertificateProblem? problem = Check(host, certificate, chain, errors);
        if (problem is null)
        {
            _refusals.TryRemove(host, out _);
            return true;
        }
        if (IsInsecureHost(host))
        {
            // Accepted anyway; said once, so that a CA set up for this registry is not believed to work because localhost did.
            if (_notified.TryAdd(host, true))
            {
                _notice?.Invoke($"The TLS certificate of {host} is not checked ({(HostAddress.IsLoopback(host) ? "a loopback registry" : "listed in DOTNET_CONTAINER_INSECURE_REGISTRIES")}); "
                    + $"it would be refused: {problem.Reason}. Registries that are neither loopback nor listed as insecure get the full check.");
            }
            return true;
        }
        _refusals[host] = problem;
        return false;
    }

    /// <summary>The problem left once a certs.d CA for <paramref name="host"/> has had its chance to complete the chain; null when none is left.</summary>
    private CertificateProblem? Check(string host, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        X509Certificate2? leaf = certificate is null ? null : certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        IEnumerable<X509ChainStatus> status = chain?.ChainStatus ?? [];
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors) && leaf is not null && FindFolder(host) is { CaCertificates.Count: > 0 } folder)
        {
            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.AddRange(folder.CaCertificates);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            // Intermediates the server sent may be needed to reach the private root.
            if (chain is not null)
            {
                foreach (X509ChainElement element in chain.ChainElements)
                {
                    custom.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
            bool trusted = custom.Build(leaf);
            errors = trusted ? errors & ~SslPolicyErrors.RemoteCertificateChainErrors : errors;
            status = trusted ? [] : custom.ChainStatus.ToArray();
        }
        return errors == SslPolicyErrors.None ? null : CertificateProblem.Of(host, leaf, errors, status);
    }

    // Returning null (no client certificate) is allowed by TLS; the delegate's annotation says otherwise.
    private X509Certificate SelectClientCertificate(object sender, string targetHost, X509CertificateCollection localCertificates, X509Certificate? remoteCertificate, string[] acceptableIssuers)
        => FindFolder(targetHost)?.ClientCertificate!;

    private bool IsInsecureHost(string host)
        => Settings.IsInsecure(host) || Settings.InsecureRegistries.Any(r => RegistrySettings.HostOf(r).Equals(host, StringComparison.OrdinalIgnoreCase));

    // certs.d folders are named host or host:port; the TLS callback only knows the host, so both are tried.
    private CertificateFolder? FindFolder(string host) => _certificates.GetOrAdd(host, h =>
    {
        foreach (string root in Settings.CertificateDirectories)
        {
            if (!Directory.Exists(root))
            {
                continue;
            }
            foreach (string dir in Directory.EnumerateDirectories(root))
            {
                string name = Path.GetFileName(dir);
                if (name.Equals(h, StringComparison.OrdinalIgnoreCase) || RegistrySettings.HostOf(name).Equals(h, StringComparison.OrdinalIgnoreCase))
                {
                    return CertificateFolder.Load(dir);
                }
            }
        }
        return null;
    });

    private sealed record CertificateFolder(X509Certificate2Collection CaCertificates, X509Certificate2? ClientCertificate)
    {
        public static CertificateFolder Load(string directory)
        {
            var cas = new X509Certificate2Collection();
            foreach (string file in Directory.EnumerateFiles(directory, "*.crt"))
            {
                try
                {
                    cas.ImportFromPemFile(file);
                }
                catch (System.Security.Cryptography.CryptographicException e)
                {
                    throw new ContainerTasksException(ErrorCodes.RegistryCertificate, $"The certificate file '{file}' is not a PEM certificate: {e.Message}", e);
                }
            }
            X509Certificate2? client = null;
            // Docker takes any NAME.cert with its NAME.key; client.cert/client.key is the usual pair.
            string cert = Directory.EnumerateFiles(directory, "*.cert").Order(StringComparer.Ordinal)
                .FirstOrDefault(c => File.Exists(Path.ChangeExtension(c, ".key"))) ?? Path.Combine(directory, "client.cert");
            string key = Path.ChangeExtension(cert, ".key");
            if (File.Exists(cert) && File.Exists(key))
            {
                try
                {
                    // Re-import so the key is usable for TLS on every platform.
                    using var pem = X509Certificate2.CreateFromPemFile(cert, key);
                    client = new X509Certificate2(pem.Export(X509ContentType.Pkcs12));
                }
                catch (System.Security.Cryptography.CryptographicException e)
                {
                    throw new ContainerTasksException(ErrorCodes.RegistryCertificate, $"The client certificate '{cert}' with key '{key}' cannot be loaded: {e.Message}", e);
                }
            }
            return new CertificateFolder(cas, client);
        }
    }
}
