namespace ContainerTasks.Tests.Infrastructure.Registries.Cloud;

/// <summary>
/// Google Artifact Registry as a build sees it, from protocol fakes in front of a real Distribution registry (token mode):
/// <c>us-docker.pkg.dev</c> through <see cref="CloudRegistryFront"/> (a second front, <see cref="SlowProxyUri"/>, passes
/// uploads through a <see cref="ThrottledRelay"/>), whose token realm accepts Basic <c>oauth2accesstoken</c> with an
/// unexpired access token of <see cref="OAuth"/> — as Google's realm does — and then grants what <c>pusher</c> may.
/// Google access tokens live <see cref="TokenLifetime"/>, the registry's bearer tokens 1 s, so a build of a few seconds
/// needs both again. Use as a class fixture; each test pushes to its own repository.
/// </summary>
public sealed class GoogleRegistryProtocolFake : IAsyncLifetime
{
    /// <summary>The registry host the product recognises as Artifact Registry.</summary>
    public const string Host = "us-docker.pkg.dev";

    /// <summary>How long the fake's Google access tokens live.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromSeconds(2);

    private readonly TempDirectory _folder = new("ct-google-");
    private readonly Recorded<string> _accepted = new();
    private readonly Recorded<string> _refused = new();
    private ThrottledRelay? _relay;
    private CloudRegistryFront? _front;
    private CloudRegistryFront? _slowFront;

    /// <summary>Google's token endpoint and metadata server.</summary>
    public GoogleOAuthProtocolFake OAuth { get; } = new(TokenLifetime);

    /// <summary>The real registry behind the fronts.</summary>
    public RegistryServer Registry { get; private set; } = null!;

    /// <summary><c>HTTPS_PROXY</c> that reaches the registry as <see cref="Host"/>.</summary>
    public Uri ProxyUri => _front!.ProxyUri;

    /// <summary>The same, with uploads limited to 1 MB/s.</summary>
    public Uri SlowProxyUri => _slowFront!.ProxyUri;

    /// <summary><c>SSL_CERT_FILE</c> for the child: system roots and the fronts' CA.</summary>
    public string CaBundlePath => _front!.CaBundlePath;

    /// <summary>The access tokens the realm accepted, in order.</summary>
    public IReadOnlyList<string> AcceptedTokens => _accepted.Snapshot();

    /// <summary>The <c>oauth2accesstoken</c> passwords the realm refused (expired or unknown).</summary>
    public IReadOnlyList<string> RefusedTokens => _refused.Snapshot();

    /// <summary>When true, the realm refuses the next valid access token it sees, once, as if it was revoked since.</summary>
    public bool RevokeNext { get; set; }

    private readonly HashSet<string> _revoked = new();

    private bool RevokeOnce(string token)
    {
        lock (_revoked)
        {
            _revoked.Add(token);
            RevokeNext = false;
            return true;
        }
    }

    /// <summary>When true, the realm grants Google's tokens only what <c>puller</c> may (an identity with Artifact Registry Reader only).</summary>
    public bool ReaderOnly { get; set; }

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        var auth = new TokenServerOptions { TokenLifetime = TimeSpan.FromSeconds(1), Authenticate = Authenticate };
        Registry = await RegistryServer.StartAsync(RegistryMode.HttpsToken, new RegistryOptions { Auth = auth });
        _relay = new ThrottledRelay(Registry.Host, 1_000_000);
        _front = new CloudRegistryFront([Host, "gcr.io"], Registry.Host, _folder.Path);
        _slowFront = new CloudRegistryFront([Host, "gcr.io"], _relay.Address, Directory.CreateDirectory(_folder["slow"]).FullName);
    }

    /// <summary>
    /// The child's environment for a build that has nothing but what the test adds: an empty HOME and gcloud folder, no
    /// registry credentials, the metadata server at a closed port, the front as proxy.
    /// </summary>
    public Dictionary<string, string?> ChildEnvironment(string folder, int closedPort, bool slow = false)
    {
        string proxy = (slow ? SlowProxyUri : ProxyUri).ToString();
        Directory.CreateDirectory(Path.Combine(folder, "home"));
        Directory.CreateDirectory(Path.Combine(folder, "gcloud"));
        return new()
        {
            ["HOME"] = Path.Combine(folder, "home"),
            ["CLOUDSDK_CONFIG"] = Path.Combine(folder, "gcloud"),
            ["XDG_RUNTIME_DIR"] = folder,
            ["DOCKER_CONFIG"] = Path.Combine(folder, "home", ".docker"),
            ["REGISTRY_AUTH_FILE"] = "",
            ["DOTNET_CONTAINER_REGISTRY_UNAME"] = "",
            ["DOTNET_CONTAINER_REGISTRY_PWORD"] = "",
            ["GOOGLE_APPLICATION_CREDENTIALS"] = "",
            ["GCE_METADATA_HOST"] = $"127.0.0.1:{closedPort}",
            ["HTTPS_PROXY"] = proxy,
            ["https_proxy"] = proxy,
            ["HTTP_PROXY"] = "",
            ["http_proxy"] = "",
            ["NO_PROXY"] = "",
            ["no_proxy"] = "",
            ["SSL_CERT_FILE"] = (slow ? _slowFront! : _front!).CaBundlePath,
            ["CONTAINERTASKS_CACHE"] = Path.Combine(folder, "cache"),
        };
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_front is not null)
        {
            await _front.DisposeAsync();
        }
        if (_slowFront is not null)
        {
            await _slowFront.DisposeAsync();
        }
        _relay?.Dispose();
        await Registry.DisposeAsync();
        await OAuth.DisposeAsync();
        _folder.Dispose();
    }

    private string? Authenticate(string user, string password)
    {
        if (user != "oauth2accesstoken")
        {
            return null;
        }
        if (!OAuth.Validate(password) || (RevokeNext && !_revoked.Contains(password) && RevokeOnce(password)))
        {
            _refused.Add(password);
            return null;
        }
        _accepted.Add(password);
        return ReaderOnly ? RegistryUsers.Puller.User : RegistryUsers.Pusher.User;
    }
}
