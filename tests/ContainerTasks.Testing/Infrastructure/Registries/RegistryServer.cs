using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>How a <see cref="RegistryServer"/> is reached and who may use it.</summary>
public enum RegistryMode
{
    /// <summary>Plain HTTP, no authentication.</summary>
    Http,

    /// <summary>HTTPS with a test CA; Basic authentication (htpasswd, bcrypt). Any valid user may pull and push.</summary>
    HttpsBasic,

    /// <summary>HTTPS with a test CA; Bearer tokens from a <see cref="TokenServer"/> that enforces per-user scopes.</summary>
    HttpsToken,
}

/// <summary>Settings of a <see cref="RegistryServer"/>.</summary>
public sealed record RegistryOptions
{
    /// <summary>Users (both auth modes; htpasswd ignores their grants) and token server settings (token mode).</summary>
    public TokenServerOptions Auth { get; init; } = new();
}

/// <summary>One line of the registry's access log (Apache combined format, written by Distribution's HTTP handler).</summary>
/// <param name="Time">When the request was logged (second precision).</param>
/// <param name="RemoteAddress">The client address (no port).</param>
/// <param name="Method">The request method.</param>
/// <param name="Target">The request target as sent: path and query (e.g. upload URLs with <c>?_state=…</c>).</param>
/// <param name="Status">The status answered.</param>
/// <param name="ResponseBytes">Response body bytes written (0 for HEAD).</param>
/// <param name="UserAgent">The User-Agent header.</param>
public sealed record AccessLogEntry(DateTimeOffset Time, string RemoteAddress, string Method, string Target, int Status, long ResponseBytes, string UserAgent)
{
    /// <summary>The path without the query.</summary>
    public string Path => Target.Split('?', 2)[0];

    /// <summary>The query without '?', or null.</summary>
    public string? Query => Target.Split('?', 2) is [_, var query] ? query : null;

    /// <inheritdoc/>
    public override string ToString() => $"{Method} {Target} {Status} {ResponseBytes}";
}

/// <summary>
/// A real registry: Debian's <c>docker-registry</c> (CNCF Distribution 2.8) on 127.0.0.1 with its own storage,
/// in one of the <see cref="RegistryMode"/>s. Dispose to stop it and delete its files.
/// <para>
/// Trust (HTTPS modes): a CA made for this instance signs the server certificate (SANs localhost, 127.0.0.1,
/// registry.test). Child processes trust it with <c>SSL_CERT_FILE=</c><see cref="CaBundlePath"/> (system roots + the CA),
/// skopeo with <c>--cert-dir </c><see cref="CertDirectory"/>, .NET code with <see cref="LoadCaCertificate"/> or
/// <see cref="CreateHttpClient"/>, Docker-style lookups with <see cref="CertsDirectoryRoot"/>.
/// </para>
/// <para>
/// The registry writes absolute <c>Location</c> URLs built from the request's Host header, so a client that
/// reached it as <c>localhost:PORT</c>, <c>registry.test:PORT</c> or through a proxy keeps that name.
/// </para>
/// </summary>
public sealed class RegistryServer : IAsyncDisposable
{
    /// <summary>The User-Agent of the fixture's own requests (start-up probe, log markers); left out of <see cref="AccessLog()"/>.</summary>
    public const string FixtureUserAgent = "ct-registry-fixture";

    private static readonly HashSet<RegistryServer> Live = new();
    private static int s_repositoryCounter;

    private static readonly Regex CombinedLogLine = new(
        """^(?<remote>\S+) \S+ \S+ \[(?<time>[^\]]+)\] "(?<method>\S+) (?<target>\S+) [^"]*" (?<status>\d{3}) (?<bytes>\d+|-) "[^"]*" "(?<agent>[^"]*)"$""",
        RegexOptions.Compiled);

    private readonly TempDirectory _directory;
    private readonly List<string> _accessLines = new();
    private readonly List<string> _applicationLines = new();
    private readonly HttpClient _fixtureClient;
    private Process? _process;
    private StreamWriter[] _logFiles = [];
    private int _marker;

    static RegistryServer()
    {
        // Shared fixtures live until the test process ends. The test host is killed about 0.1 s after its
        // ProcessExit event starts, too soon to delete storage folders: stop every registry (fast), then leave the
        // deleting to an rm process that outlives the host. The sweep at the next run's first start catches the rest.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            RegistryServer[] servers;
            lock (Live)
            {
                servers = Live.ToArray();
            }
            foreach (RegistryServer server in servers)
            {
                server.StopProcess();
            }
            if (servers.Length > 0)
            {
                try
                {
                    var rm = new ProcessStartInfo("rm") { UseShellExecute = false };
                    rm.ArgumentList.Add("-rf");
                    rm.ArgumentList.Add("--");
                    foreach (RegistryServer server in servers)
                    {
                        rm.ArgumentList.Add(server._directory.Path);
                    }
                    Process.Start(rm)?.Dispose();
                }
                catch (System.ComponentModel.Win32Exception)
                {
                }
            }
        };
    }

    private const string OwnerFile = "owner";
    private static readonly Lazy<bool> LeftoversSwept = new(SweepLeftovers);

    /// <summary>
    /// Deletes the folders of registries whose test process has died (recorded in each folder's owner file:
    /// "TEST_PID REGISTRY_PID"), stopping such a registry if it still runs.
    /// </summary>
    private static bool SweepLeftovers()
    {
        foreach (string folder in Directory.EnumerateDirectories(Path.GetTempPath(), "ct-registry-*"))
        {
            try
            {
                string[] pids = File.ReadAllText(Path.Combine(folder, OwnerFile)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (Directory.Exists($"/proc/{pids[0]}"))
                {
                    continue;   // its test process still runs
                }
                // Only a registry serving a config in this folder: the PID may have been reused by another process.
                if (pids.Length > 1 && File.Exists($"/proc/{pids[1]}/cmdline")
                    && File.ReadAllText($"/proc/{pids[1]}/cmdline").Contains(folder, StringComparison.Ordinal))
                {
                    using Process orphan = Process.GetProcessById(int.Parse(pids[1], CultureInfo.InvariantCulture));
                    orphan.Kill();
                    orphan.WaitForExit(2000);
                }
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException
                or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Not ours, half-written, or just gone: leave it.
            }
        }
        return true;
    }

    private RegistryServer(RegistryMode mode, RegistryOptions options, TempDirectory directory, TestCertificates? certificates, TokenServer? tokenServer)
    {
        Mode = mode;
        Options = options;
        _directory = directory;
        Certificates = certificates;
        TokenServer = tokenServer;
        StorageDirectory = directory["storage"];
        AccessLogPath = directory["access.log"];
        ApplicationLogPath = directory["registry.log"];
        _fixtureClient = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
            PooledConnectionLifetime = TimeSpan.FromSeconds(30),
        })
        { Timeout = TimeSpan.FromSeconds(5) };
        _fixtureClient.DefaultRequestHeaders.UserAgent.ParseAdd(FixtureUserAgent);
    }

    /// <summary>The mode.</summary>
    public RegistryMode Mode { get; }

    /// <summary>The settings.</summary>
    public RegistryOptions Options { get; }

    /// <summary>True for the HTTPS modes.</summary>
    public bool IsHttps => Mode != RegistryMode.Http;

    /// <summary>The port on 127.0.0.1.</summary>
    public int Port { get; private set; }

    /// <summary>The registry name clients use: <c>127.0.0.1:PORT</c>.</summary>
    public string Host => $"127.0.0.1:{Port}";

    /// <summary><c>http://127.0.0.1:PORT/</c> or <c>https://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseUri => new($"{(IsHttps ? "https" : "http")}://{Host}/");

    /// <summary>The registry's storage root (<c>docker/registry/v2/…</c> below it once something is pushed).</summary>
    public string StorageDirectory { get; }

    /// <summary>The access log file (Apache combined format, one line per request).</summary>
    public string AccessLogPath { get; }

    /// <summary>The registry's own log (logrus text: start-up, one "response completed" line per request with error details).</summary>
    public string ApplicationLogPath { get; }

    /// <summary>The token server (token mode), else null.</summary>
    public TokenServer? TokenServer { get; }

    /// <summary>The CA and server certificate files (HTTPS modes), else null.</summary>
    public TestCertificates? Certificates { get; }

    /// <summary>The test CA certificate (PEM) in HTTPS modes, else null.</summary>
    public string? CaCertificatePath => Certificates?.CaCertificatePath;

    /// <summary>System roots + the test CA (PEM) in HTTPS modes, else null: set <c>SSL_CERT_FILE</c> to it for child processes.</summary>
    public string? CaBundlePath => Certificates?.CaBundlePath;

    /// <summary>A folder holding only <c>ca.crt</c> (HTTPS modes), for skopeo's <c>--cert-dir</c>/<c>--src-cert-dir</c>/<c>--dest-cert-dir</c>.</summary>
    public string? CertDirectory { get; private set; }

    /// <summary>A Docker <c>certs.d</c>-style folder: <c>&lt;name:PORT&gt;/ca.crt</c> for 127.0.0.1, localhost and registry.test (HTTPS modes).</summary>
    public string? CertsDirectoryRoot { get; private set; }

    /// <summary>
    /// Environment variables for child processes that talk to this registry, in HTTPS modes: <c>SSL_CERT_FILE</c>
    /// (honoured by Go programs such as skopeo, by OpenSSL and by .NET) and <c>CURL_CA_BUNDLE</c> (Debian's curl has a
    /// built-in CA file that overrides <c>SSL_CERT_FILE</c>).
    /// </summary>
    public IDictionary<string, string?> ChildEnvironment
        => CaBundlePath is { } bundle
            ? new Dictionary<string, string?> { ["SSL_CERT_FILE"] = bundle, ["CURL_CA_BUNDLE"] = bundle }
            : new Dictionary<string, string?>();

    /// <summary>Starts a registry and waits until <c>/v2/</c> answers.</summary>
    public static async Task<RegistryServer> StartAsync(RegistryMode mode, RegistryOptions? options = null)
    {
        options ??= new RegistryOptions();
        _ = LeftoversSwept.Value;
        var directory = new TempDirectory("ct-registry-");
        TokenServer? tokenServer = null;
        RegistryServer? server = null;
        try
        {
            TestCertificates? certificates = mode == RegistryMode.Http ? null : TestCertificates.Create(directory.Path);
            if (mode == RegistryMode.HttpsToken)
            {
                tokenServer = await TokenServer.StartAsync(options.Auth);
                tokenServer.WriteRootBundle(directory["token-root.pem"]);
            }
            if (mode == RegistryMode.HttpsBasic)
            {
                WriteHtpasswd(directory["htpasswd"], options.Auth.Users);
            }
            server = new RegistryServer(mode, options, directory, certificates, tokenServer);
            lock (Live)
            {
                Live.Add(server);
            }
            await server.LaunchAsync();
            return server;
        }
        catch
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
            else
            {
                if (tokenServer is not null)
                {
                    await tokenServer.DisposeAsync();
                }
                directory.Dispose();
            }
            throw;
        }
    }

    /// <summary>A new repository name no other test uses: <c>PREFIX/N-RANDOM</c>.</summary>
    public static string NewRepository(string prefix = "test")
        => $"{prefix}/{Interlocked.Increment(ref s_repositoryCounter)}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary><c>HOST/REPOSITORY[:TAG]</c> for skopeo and image references.</summary>
    public string Reference(string repositoryAndTag) => $"{Host}/{repositoryAndTag}";

    /// <summary>The CA certificate (HTTPS modes) for a client's custom trust.</summary>
    public X509Certificate2 LoadCaCertificate()
        => X509CertificateLoader.LoadCertificateFromFile(CaCertificatePath ?? throw new InvalidOperationException("An HTTP registry has no CA."));

    /// <summary>
    /// An HttpClient for raw requests to this registry: trusts the test CA only (HTTPS), sends Basic credentials
    /// when <paramref name="basic"/> is given, and has <see cref="BaseUri"/> as base address.
    /// </summary>
    public HttpClient CreateHttpClient(RegistryCredential? basic = null)
    {
        var handler = new SocketsHttpHandler();
        if (IsHttps)
        {
            X509Certificate2 ca = LoadCaCertificate();
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { ca },
                    RevocationMode = X509RevocationMode.NoCheck,
                },
            };
        }
        var client = new HttpClient(handler) { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        if (basic is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", basic.BasicHeader);
        }
        return client;
    }

    /// <summary>
    /// An HttpClient (see <see cref="CreateHttpClient"/>) authorized as <paramref name="credential"/> (null: anonymous):
    /// Basic credentials in Basic mode; in token mode a Bearer token fetched from the token server for
    /// <paramref name="scopes"/> (e.g. <c>repository:NAME:pull,push</c>), granted as far as the user may.
    /// </summary>
    public async Task<HttpClient> CreateAuthorizedClientAsync(RegistryCredential? credential, params string[] scopes)
    {
        if (Mode != RegistryMode.HttpsToken)
        {
            return CreateHttpClient(Mode == RegistryMode.HttpsBasic ? credential : null);
        }
        string query = $"service={Uri.EscapeDataString(TokenServer!.Options.Service)}"
            + string.Concat(scopes.Select(s => "&scope=" + Uri.EscapeDataString(s)));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{TokenServer.Realm}?{query}");
        if (credential is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", credential.BasicHeader);
        }
        using HttpResponseMessage response = await _fixtureClient.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        HttpClient client = CreateHttpClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + json.RootElement.GetProperty("token").GetString());
        return client;
    }

    /// <summary>
    /// skopeo options for this registry on one side of a copy (<paramref name="side"/> "src", "dest", or "" for
    /// inspect/delete): TLS (<c>--tls-verify=false</c> for HTTP, else <c>--cert-dir</c>) and credentials, or <c>--no-creds</c>.
    /// </summary>
    public string[] SkopeoOptions(string side, RegistryCredential? credential = null)
    {
        string prefix = side.Length == 0 ? "--" : $"--{side}-";
        var options = new List<string>();
        options.Add(IsHttps ? $"{prefix}cert-dir={CertDirectory}" : $"{prefix}tls-verify=false");
        if (credential is not null)
        {
            options.Add($"{prefix}creds={credential.SkopeoCreds}");
        }
        else
        {
            options.Add($"{prefix}no-creds");   // anonymous, whatever auth files the machine has
        }
        return options.ToArray();
    }

    /// <summary>
    /// The access log so far, without the fixture's own requests. Each call first sends a marker request and waits
    /// for its line, so every request answered before the call is included (the registry logs after responding).
    /// </summary>
    public IReadOnlyList<AccessLogEntry> AccessLog()
    {
        int marker = Interlocked.Increment(ref _marker);
        string tag = $"ct-log-marker={marker}";
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, "/v2/?" + tag));
            using HttpResponseMessage response = _fixtureClient.Send(request);
        }
        catch (HttpRequestException e)
        {
            throw new InvalidOperationException($"The registry at {Host} does not answer.", e);
        }
        var deadline = Stopwatch.StartNew();
        while (!AccessLines().Any(line => line.Contains(tag, StringComparison.Ordinal)))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(5))
            {
                throw new TimeoutException($"The registry did not log the marker request.\n{string.Join('\n', AccessLines().TakeLast(5))}");
            }
            Thread.Sleep(5);
        }
        return AccessLines().Select(Parse).OfType<AccessLogEntry>().Where(e => e.UserAgent != FixtureUserAgent).ToArray();
    }

    /// <summary>The access log entries of <paramref name="repository"/> (paths under <c>/v2/REPOSITORY/</c>).</summary>
    public IReadOnlyList<AccessLogEntry> AccessLog(string repository)
        => AccessLog().Where(e => e.Path.StartsWith($"/v2/{repository}/", StringComparison.Ordinal)).ToArray();

    /// <summary>The registry's own log lines so far (for diagnostics: errors carry <c>err.code</c>, <c>err.detail</c>).</summary>
    public IReadOnlyList<string> ApplicationLog()
    {
        lock (_applicationLines)
        {
            return _applicationLines.ToArray();
        }
    }

    /// <summary>Parses one access log line; null for lines of another shape.</summary>
    public static AccessLogEntry? Parse(string line)
    {
        Match m = CombinedLogLine.Match(line);
        if (!m.Success)
        {
            return null;
        }
        var time = DateTimeOffset.ParseExact(m.Groups["time"].Value, "dd/MMM/yyyy:HH:mm:ss zzz", CultureInfo.InvariantCulture);
        long bytes = m.Groups["bytes"].Value == "-" ? 0 : long.Parse(m.Groups["bytes"].Value, CultureInfo.InvariantCulture);
        return new AccessLogEntry(time, m.Groups["remote"].Value, m.Groups["method"].Value, m.Groups["target"].Value,
            int.Parse(m.Groups["status"].Value, CultureInfo.InvariantCulture), bytes, m.Groups["agent"].Value);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        lock (Live)
        {
            if (!Live.Remove(this))
            {
                return;   // already disposed
            }
        }
        StopProcess();
        _fixtureClient.Dispose();
        if (TokenServer is not null)
        {
            await TokenServer.DisposeAsync();
        }
        _directory.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Mode} registry at {Host}";

    // ------------------------------------------------------------------ start-up

    private async Task LaunchAsync()
    {
        if (Certificates is not null)
        {
            CertDirectory = _directory["certs"];
            Directory.CreateDirectory(CertDirectory);
            File.Copy(Certificates.CaCertificatePath, Path.Combine(CertDirectory, "ca.crt"));
        }
        // The port is chosen before the registry binds it, so another process may take it first: then retry.
        for (int attempt = 1; ; attempt++)
        {
            Port = Sockets.FreePort();
            if (Certificates is not null)
            {
                CertsDirectoryRoot = _directory["certs.d"];
                foreach (string name in TestCertificates.Names)
                {
                    string folder = Path.Combine(CertsDirectoryRoot, $"{name}:{Port}");
                    Directory.CreateDirectory(folder);
                    File.Copy(Certificates.CaCertificatePath, Path.Combine(folder, "ca.crt"), overwrite: true);
                }
            }
            string config = _directory["config.yml"];
            File.WriteAllText(config, ConfigYaml());
            StartProcess(config);
            File.WriteAllText(_directory[OwnerFile], $"{Environment.ProcessId} {_process!.Id}");
            string? failure = await WaitUntilReadyAsync();
            if (failure is null)
            {
                return;
            }
            StopProcess();
            if (attempt >= 3 || !failure.Contains("address already in use", StringComparison.Ordinal))
            {
                throw new Xunit.Sdk.XunitException($"docker-registry ({Mode}) did not start.\n{failure}");
            }
        }
    }

    private string ConfigYaml()
    {
        var yaml = new StringBuilder();
        yaml.Append($"""
            version: 0.1
            log:
              level: info
              formatter: text
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: {StorageDirectory}
              delete:
                enabled: true
              maintenance:
                uploadpurging:
                  enabled: false
            # Manifests may name foreign layers on Microsoft's registry (Windows bases); without an allow list
            # Distribution refuses every manifest with urls ("manifest blob unknown").
            validation:
              manifests:
                urls:
                  allow:
                    - ^https://mcr\.microsoft\.com/
            http:
              addr: 127.0.0.1:{Port}
              secret: {Guid.NewGuid():N}

            """);
        if (Certificates is not null)
        {
            yaml.Append($"""
                  tls:
                    certificate: {Certificates.CertificatePath}
                    key: {Certificates.KeyPath}

                """);
        }
        if (Mode == RegistryMode.HttpsBasic)
        {
            yaml.Append($"""
                auth:
                  htpasswd:
                    realm: test-registry
                    path: {_directory["htpasswd"]}

                """);
        }
        if (TokenServer is not null)
        {
            yaml.Append($"""
                auth:
                  token:
                    realm: {TokenServer.Realm}
                    service: {TokenServer.Options.Service}
                    issuer: {TokenServer.Options.Issuer}
                    rootcertbundle: {_directory["token-root.pem"]}

                """);
        }
        return yaml.ToString();
    }

    private static void WriteHtpasswd(string path, IEnumerable<RegistryUser> users)
    {
        var lines = new StringBuilder();
        foreach (RegistryUser user in users)
        {
            // -B: bcrypt, the only hash Distribution's htpasswd reader accepts.
            lines.Append(Run.Process("htpasswd", ["-Bbn", user.Credential.User, user.Credential.Password])
                .EnsureSuccess("htpasswd").StandardOutput.Trim()).Append('\n');
        }
        File.WriteAllText(path, lines.ToString());
    }

    private void StartProcess(string config)
    {
        var start = new ProcessStartInfo(Tools.Require("docker-registry"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            ArgumentList = { "serve", config },
        };
        var process = new Process { StartInfo = start };
        // Access log → stdout; the registry's own log → stderr. Both are kept in memory and appended to files.
        var accessFile = new StreamWriter(AccessLogPath, append: true) { AutoFlush = true };
        var applicationFile = new StreamWriter(ApplicationLogPath, append: true) { AutoFlush = true };
        _logFiles = [accessFile, applicationFile];
        process.OutputDataReceived += (_, e) => Append(_accessLines, accessFile, e.Data);
        process.ErrorDataReceived += (_, e) => Append(_applicationLines, applicationFile, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    private static void Append(List<string> lines, StreamWriter file, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (lines)
        {
            lines.Add(line);
        }
        lock (file)
        {
            try
            {
                file.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Polls <c>/v2/</c> until any HTTP answer (200, or 401 with auth); returns null when ready, else why not.</summary>
    private async Task<string?> WaitUntilReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (_process!.HasExited)
            {
                _process.WaitForExit();
                return $"exit code {_process.ExitCode}\n{string.Join('\n', ApplicationLog())}";
            }
            try
            {
                using HttpResponseMessage response = await _fixtureClient.GetAsync(new Uri(BaseUri, "/v2/"));
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return null;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(10);
        }
        return $"/v2/ did not answer within 15 s\n{string.Join('\n', ApplicationLog())}";
    }

    private string[] AccessLines()
    {
        lock (_accessLines)
        {
            return _accessLines.ToArray();
        }
    }

    private void StopProcess()
    {
        Process? process = Interlocked.Exchange(ref _process, null);
        if (process is null)
        {
            return;
        }
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            // Not WaitForExit() without a timeout: it also waits for the output pipes to close, which took up to a second.
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        process.Dispose();
        foreach (StreamWriter file in _logFiles)
        {
            lock (file)
            {
                file.Dispose();
            }
        }
    }
}
