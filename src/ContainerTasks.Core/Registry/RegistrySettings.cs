using System.Globalization;

namespace ContainerTasks.Registry;

/// <summary>
/// How registries are reached in one build: insecure registries, proxies, certificates, timeouts,
/// retries and upload behaviour. Read from an environment snapshot taken at the start of a build
/// (never from statics: MSBuild reuses processes across builds with different environments).
/// </summary>
public sealed record RegistrySettings
{
    /// <summary>Registries that may use plain HTTP or any certificate, e.g. <c>myreg:5000</c>.</summary>
    public IReadOnlySet<string> InsecureRegistries { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The proxy rules (<c>HTTPS_PROXY</c>, <c>HTTP_PROXY</c>, <c>NO_PROXY</c>).</summary>
    internal ProxySettings Proxy { get; init; } = ProxySettings.None;

    /// <summary>Folders searched for <c>&lt;host[:port]&gt;/ca.crt</c>, <c>client.cert</c>, <c>client.key</c>, as Docker's certs.d.</summary>
    public IReadOnlyList<string> CertificateDirectories { get; init; } = [];

    /// <summary>
    /// How long a TCP/TLS connection may take, and how long a host not heard from yet in this build may take to
    /// answer: a registry that accepts connections and never answers is found out in seconds, not minutes.
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a response (headers, or the next bytes of a body) from a host that has answered before may keep us waiting.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The first retry delay; doubled each attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The total time one operation may take, attempts and waits together, plus what its body needs (see <see cref="Http.RetryPolicy"/>).</summary>
    public TimeSpan RetryBudget { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The total time one operation may take while its host has not answered once in this build (connection refused,
    /// unknown name, no answer): a few quick tries, then an error naming the cause. A host that answered before and
    /// then stops (a registry restarting during a push) gets the whole <see cref="RetryBudget"/>.
    /// </summary>
    public TimeSpan UnreachableBudget { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How many blobs upload at once (1 disables parallel uploads).</summary>
    public int ParallelUploads { get; init; } = 4;

    /// <summary>The chunk size of chunked uploads.</summary>
    public int ChunkSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>Upload every blob in chunks (PATCH) instead of one PUT.</summary>
    public bool ForceChunkedUpload { get; init; }

    /// <summary>
    /// Credentials from the build's cloud identity for Azure Container Registry, Amazon ECR and Google registries that have no
    /// other credential (<c>CONTAINERTASKS_CLOUD_CREDENTIALS</c>, which <c>ContainerCloudCredentials</c> sets; default true).
    /// </summary>
    public bool CloudCredentials { get; init; } = true;

    /// <summary>Reads the settings from an environment snapshot; invalid values are CT3012.</summary>
    public static RegistrySettings FromEnvironment(IReadOnlyDictionary<string, string> environment)
    {
        string? Get(params string[] names) => Value(environment, names);

        var insecure = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string entry in (Get("DOTNET_CONTAINER_INSECURE_REGISTRIES", "SDK_CONTAINER_INSECURE_REGISTRIES") ?? "")
                     .Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            insecure.Add(entry);
        }
        var settings = new RegistrySettings
        {
            InsecureRegistries = insecure,
            Proxy = ProxySettings.FromEnvironment(environment),
            CertificateDirectories = CertificateDirectoriesFrom(environment),
            CloudCredentials = Get("CONTAINERTASKS_CLOUD_CREDENTIALS") is not { } cloud || Bool(cloud, "CONTAINERTASKS_CLOUD_CREDENTIALS"),
        };
        return WithUploads(WithTimeouts(settings, Get), Get);
    }

    private static string? Value(IReadOnlyDictionary<string, string> environment, string[] names)
    {
        foreach (string name in names)
        {
            if (environment.TryGetValue(name, out string? value) && !string.IsNullOrWhiteSpace(value))
            {
                return value.Trim();
            }
        }
        return null;
    }

    // CONTAINERTASKS_CERTS_DIR first, then where Docker and Podman keep certs.d.
    private static List<string> CertificateDirectoriesFrom(IReadOnlyDictionary<string, string> environment)
    {
        string home = environment.TryGetValue("HOME", out string? h) ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var certDirs = new List<string>();
        if (Value(environment, ["CONTAINERTASKS_CERTS_DIR"]) is { } explicitDirs)
        {
            certDirs.AddRange(explicitDirs.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        }
        if (OperatingSystem.IsWindows())
        {
            certDirs.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "docker", "certs.d"));
        }
        else
        {
            certDirs.Add("/etc/docker/certs.d");
            certDirs.Add("/etc/containers/certs.d");
        }
        if (!string.IsNullOrEmpty(home))
        {
            certDirs.Add(Path.Combine(home, ".docker", "certs.d"));
        }
        return certDirs;
    }

    private static RegistrySettings WithTimeouts(RegistrySettings settings, Func<string[], string?> get) => settings with
    {
        ConnectTimeout = Milliseconds(get(["CONTAINERTASKS_CONNECT_TIMEOUT_MS"]), "CONTAINERTASKS_CONNECT_TIMEOUT_MS") ?? settings.ConnectTimeout,
        ReadTimeout = Milliseconds(get(["CONTAINERTASKS_READ_TIMEOUT_MS"]), "CONTAINERTASKS_READ_TIMEOUT_MS") ?? settings.ReadTimeout,
        RetryBaseDelay = Milliseconds(get(["CONTAINERTASKS_RETRY_BASE_MS"]), "CONTAINERTASKS_RETRY_BASE_MS") ?? settings.RetryBaseDelay,
        RetryMaxDelay = Milliseconds(get(["CONTAINERTASKS_RETRY_MAX_MS"]), "CONTAINERTASKS_RETRY_MAX_MS") ?? settings.RetryMaxDelay,
        RetryBudget = Milliseconds(get(["CONTAINERTASKS_RETRY_BUDGET_MS"]), "CONTAINERTASKS_RETRY_BUDGET_MS") ?? settings.RetryBudget,
        UnreachableBudget = Milliseconds(get(["CONTAINERTASKS_UNREACHABLE_BUDGET_MS"]), "CONTAINERTASKS_UNREACHABLE_BUDGET_MS") ?? settings.UnreachableBudget,
    };

    private static RegistrySettings WithUploads(RegistrySettings settings, Func<string[], string?> get)
    {
        if (get(["CONTAINERTASKS_PARALLEL_UPLOADS"]) is { } parallel)
        {
            settings = settings with { ParallelUploads = PositiveInt(parallel, "CONTAINERTASKS_PARALLEL_UPLOADS") };
        }
        if (get(["DOTNET_CONTAINER_REGISTRY_PARALLEL_UPLOAD", "SDK_CONTAINER_REGISTRY_PARALLEL_UPLOAD"]) is { } parallelSwitch)
        {
            settings = settings with { ParallelUploads = Bool(parallelSwitch, "DOTNET_CONTAINER_REGISTRY_PARALLEL_UPLOAD") ? Math.Max(2, settings.ParallelUploads) : 1 };
        }
        if (get(["DOTNET_CONTAINER_REGISTRY_CHUNKED_UPLOAD_SIZE_BYTES", "SDK_CONTAINER_REGISTRY_CHUNKED_UPLOAD_SIZE_BYTES"]) is { } chunk)
        {
            settings = settings with { ChunkSize = PositiveInt(chunk, "DOTNET_CONTAINER_REGISTRY_CHUNKED_UPLOAD_SIZE_BYTES") };
        }
        if (get(["DOTNET_CONTAINER_DEBUG_REGISTRY_FORCE_CHUNKED_UPLOAD", "SDK_CONTAINER_DEBUG_REGISTRY_FORCE_CHUNKED_UPLOAD"]) is { } force)
        {
            settings = settings with { ForceChunkedUpload = Bool(force, "DOTNET_CONTAINER_DEBUG_REGISTRY_FORCE_CHUNKED_UPLOAD") };
        }
        return settings;
    }

    /// <summary>The current process environment as a snapshot.</summary>
    public static IReadOnlyDictionary<string, string> SnapshotEnvironment()
    {
        // Windows environment names are case-insensitive ("Path" is PATH).
        var snapshot = new Dictionary<string, string>(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            snapshot[(string)entry.Key] = (string?)entry.Value ?? "";
        }
        return snapshot;
    }

    /// <summary>
    /// True when <paramref name="registry"/> may use HTTP or an untrusted certificate: loopback (<c>localhost</c>,
    /// <c>*.localhost</c>, loopback addresses) always, others when listed in <c>DOTNET_CONTAINER_INSECURE_REGISTRIES</c>.
    /// </summary>
    public bool IsInsecure(string registry)
    {
        if (InsecureRegistries.Contains(registry))
        {
            return true;
        }
        // Parsed, never matched by prefix: "127.evil.example" is a DNS name anyone can point anywhere.
        return HostAddress.IsLoopback(HostOf(registry));
    }

    internal static string HostOf(string registry)
    {
        if (registry.StartsWith('['))
        {
            int end = registry.IndexOf(']');
            return end > 0 ? registry[..(end + 1)] : registry;
        }
        int colon = registry.LastIndexOf(':');
        // A bare IPv6 address (a TLS target host) has several colons and no port.
        return colon > 0 && registry.IndexOf(':') == colon ? registry[..colon] : registry;
    }

    private static TimeSpan? Milliseconds(string? value, string name)
        => value is null ? null : TimeSpan.FromMilliseconds(NonNegativeLong(value, name));

    private static long NonNegativeLong(string value, string name)
        => long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long n)
            ? n
            : throw new ContainerTasksException(ErrorCodes.InvalidRegistrySetting, $"{name}='{value}' is not a whole number of milliseconds.");

    private static int PositiveInt(string value, string name)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : throw new ContainerTasksException(ErrorCodes.InvalidRegistrySetting, $"{name}='{value}' is not a positive whole number.");

    private static bool Bool(string value, string name) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new ContainerTasksException(ErrorCodes.InvalidRegistrySetting, $"{name}='{value}' is not true or false."),
    };
}
