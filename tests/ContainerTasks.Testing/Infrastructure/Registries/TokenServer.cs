using System.Collections.Specialized;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Web;

namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>Settings of a <see cref="TokenServer"/>.</summary>
public sealed record TokenServerOptions
{
    /// <summary>The users that may authenticate, and their grants.</summary>
    public IReadOnlyList<RegistryUser> Users { get; init; } = RegistryUsers.Defaults;

    /// <summary>What a request without credentials gets.</summary>
    public IReadOnlyList<RepositoryGrant> AnonymousGrants { get; init; } = RegistryUsers.AnonymousDefaults;

    /// <summary>The token lifetime sent as <c>expires_in</c> (whole seconds, at least 1). Short lifetimes (e.g. 2 s) make clients refresh.</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// When true (default), the JWT's <c>exp</c> is dated back by <see cref="TokenServer.RegistryLeeway"/> so that the
    /// registry, which accepts tokens until <c>exp</c> + 60 s, rejects a token as soon as <see cref="TokenLifetime"/> has
    /// passed. The <c>exp</c> claim then lies before <c>iat</c> for lifetimes under 60 s: clients must go by
    /// <c>expires_in</c>, as the token specification says, not by decoding the JWT. When false, <c>exp</c> = <c>iat</c> + lifetime.
    /// </summary>
    public bool ExpireAtRegistryOnTime { get; init; } = true;

    /// <summary>The <c>service</c> the registry names in its challenges (the JWT audience).</summary>
    public string Service { get; init; } = "test-registry";

    /// <summary>The JWT issuer the registry expects.</summary>
    public string Issuer { get; init; } = "test-token-server";

    /// <summary>
    /// Another check of a user name and password that are not one of <see cref="Users"/>: returns the name of the user of
    /// <see cref="Users"/> they stand for, or null. For a cloud's realm, e.g. Google's <c>oauth2accesstoken</c> and an access token.
    /// </summary>
    public Func<string, string, string?>? Authenticate { get; init; }
}

/// <summary>One request the token server answered.</summary>
/// <param name="Method">GET or POST.</param>
/// <param name="Query">The raw query (GET) or form body (POST).</param>
/// <param name="Service">The <c>service</c> parameter.</param>
/// <param name="Scopes">Every requested scope, from repeated parameters and space-separated lists alike.</param>
/// <param name="HadAuthorization">True when the request carried an <c>Authorization</c> header.</param>
/// <param name="User">The authenticated user; null for anonymous or failed requests.</param>
/// <param name="GrantType">The OAuth2 <c>grant_type</c> of a POST; null for GET.</param>
/// <param name="Status">The status answered.</param>
/// <param name="Granted">The access granted, as <c>type:name:action,action</c> strings.</param>
/// <param name="UserAgent">The User-Agent header, or null.</param>
public sealed record TokenRequest(string Method, string Query, string? Service, IReadOnlyList<string> Scopes, bool HadAuthorization,
    string? User, string? GrantType, int Status, IReadOnlyList<string> Granted, string? UserAgent = null);

/// <summary>
/// A Docker/OCI token server for <see cref="RegistryMode.HttpsToken"/> registries, over plain HTTP on 127.0.0.1.
/// <list type="bullet">
/// <item><c>GET /token?service=S&amp;scope=repository:NAME:ACTIONS</c>, with optional Basic credentials (none = anonymous);
/// <c>scope</c> may repeat and may hold several space-separated scopes.</item>
/// <item><c>POST /token</c> with an OAuth2 form: <c>grant_type=password</c> (<c>username</c>, <c>password</c>;
/// <c>access_type=offline</c> also returns a <c>refresh_token</c>) or <c>grant_type=refresh_token</c> (<c>refresh_token</c>).</item>
/// </list>
/// It grants only the actions the user has (see <see cref="RegistryUsers"/>), so the registry enforces scopes.
/// Wrong credentials or an unknown refresh token get 401. Tokens are RS256 JWTs whose <c>x5c</c> header holds
/// the signing certificate, issued by this server's root certificate that the registry trusts (<see cref="WriteRootBundle"/>).
/// </summary>
public sealed class TokenServer : IAsyncDisposable
{
    /// <summary>
    /// The clock skew Distribution 2.8 allows when checking <c>exp</c> and <c>nbf</c> (its token package's <c>Leeway</c>).
    /// A JWT is accepted until <c>exp</c> + this, so JWTs are dated back by it to expire on time.
    /// </summary>
    public static readonly TimeSpan RegistryLeeway = TimeSpan.FromSeconds(60);

    private readonly LoopbackListener _listener;
    private readonly X509Certificate2 _root;
    private readonly X509Certificate2 _signer;
    private readonly RSA _signingKey;
    private readonly List<TokenRequest> _requests = new();
    private readonly Dictionary<string, string> _refreshTokens = new();
    private readonly Lazy<string> _pusherRefreshToken;

    private TokenServer(TokenServerOptions options)
    {
        Options = options;
        if (options.TokenLifetime < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException("The token lifetime must be at least 1 s.", nameof(options));
        }
        (_root, _signer, _signingKey) = CreateSigningChain();
        _pusherRefreshToken = new(() => IssueRefreshToken(RegistryUsers.Pusher.User));
        _listener = new LoopbackListener(ServeAsync);
    }

    /// <summary>Starts a token server on a free port.</summary>
    public static Task<TokenServer> StartAsync(TokenServerOptions? options = null)
        => Task.FromResult(new TokenServer(options ?? new TokenServerOptions()));

    /// <summary>The settings.</summary>
    public TokenServerOptions Options { get; }

    /// <summary>The token endpoint, <c>http://127.0.0.1:PORT/token</c> (the registry's <c>auth.token.realm</c>).</summary>
    public Uri Realm => new($"http://{_listener.Address}/token");

    /// <summary>A refresh token of <c>pusher</c>, usable as a Docker <c>identitytoken</c> (OAuth2 <c>grant_type=refresh_token</c>).</summary>
    public string PusherRefreshToken => _pusherRefreshToken.Value;

    /// <summary>Every request answered so far, oldest first, without the test fixtures' own (<see cref="RegistryServer.FixtureUserAgent"/>).</summary>
    public IReadOnlyList<TokenRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.Where(r => r.UserAgent != RegistryServer.FixtureUserAgent).ToArray();
            }
        }
    }

    /// <summary>Forgets the recorded requests.</summary>
    public void ClearRequests()
    {
        lock (_requests)
        {
            _requests.Clear();
        }
    }

    /// <summary>Issues a new refresh token for <paramref name="user"/>.</summary>
    public string IssueRefreshToken(string user)
    {
        if (Options.Users.All(u => u.Credential.User != user))
        {
            throw new ArgumentException($"Unknown user {user}.", nameof(user));
        }
        string token = "rt-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        lock (_refreshTokens)
        {
            _refreshTokens[token] = user;
        }
        return token;
    }

    /// <summary>Writes the PEM bundle the registry's <c>auth.token.rootcertbundle</c> points at.</summary>
    public void WriteRootBundle(string path) => File.WriteAllText(path, _root.ExportCertificatePem() + "\n");

    /// <summary>Makes a token as the endpoint would, e.g. to call the registry directly: <c>Authorization: Bearer TOKEN</c>.</summary>
    public string CreateToken(string? user, params string[] scopes)
    {
        RegistryUser? account = user is null ? null : Options.Users.Single(u => u.Credential.User == user);
        return CreateJwt(user, Grant(account, scopes), DateTimeOffset.UtcNow);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync();
        _root.Dispose();
        _signer.Dispose();
    }

    // ------------------------------------------------------------------ HTTP

    private async Task ServeAsync(TcpClient client, CancellationToken cancellation)
    {
        Stream stream = client.GetStream();
        var reader = new HttpReader(stream);
        while (await HttpMessageHead.ReadAsync(reader, cancellation) is { } head)
        {
            byte[] body = await HttpBody.ReadAsync(reader, head, cancellation);
            (int status, JsonObject json, (string, string)[] headers) = Handle(head, body);
            string reason = status switch { 200 => "OK", 400 => "Bad Request", 401 => "Unauthorized", 404 => "Not Found", _ => "Method Not Allowed" };
            await HttpBody.WriteResponseAsync(stream, status, reason, Encoding.UTF8.GetBytes(json.ToJsonString()), cancellation,
                [("Content-Type", "application/json"), .. headers]);
            if (head.WantsClose)
            {
                return;
            }
        }
    }

    private (int Status, JsonObject Body, (string, string)[] Headers) Handle(HttpMessageHead head, byte[] body)
    {
        string method = head.Method;
        string target = head.Target;
        string query = target.Contains('?') ? target[(target.IndexOf('?') + 1)..] : "";
        bool hadAuthorization = head.Get("Authorization") is not null;
        string? userAgent = head.Get("User-Agent");
        void Log(TokenRequest request) => Record(request with { UserAgent = userAgent });
        if (head.Path != "/token" || method is not ("GET" or "POST"))
        {
            Log(new(method, query, null, [], hadAuthorization, null, null, 404, []));
            return (404, Error("not_found", "Not the token endpoint."), []);
        }

        NameValueCollection parameters = HttpUtility.ParseQueryString(method == "POST" ? Encoding.UTF8.GetString(body) : query);
        if (method == "POST")
        {
            query = Encoding.UTF8.GetString(body);
        }
        string? service = parameters["service"];
        string[] scopes = (parameters.GetValues("scope") ?? [])
            .SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        string? grantType = method == "POST" ? parameters["grant_type"] : null;

        (int, JsonObject, (string, string)[]) Fail(int status, string code, string message, string? user = null)
        {
            Log(new(method, query, service, scopes, hadAuthorization, user, grantType, status, []));
            (string, string)[] challenge = status == 401 ? [("WWW-Authenticate", "Basic realm=\"test-token-server\"")] : [];
            return (status, Error(code, message), challenge);
        }

        RegistryUser? account = null;
        bool offline = false;
        if (method == "GET")
        {
            // Credentials are optional: no Authorization header is an anonymous request.
            if (head.Get("Authorization") is { } authorization)
            {
                if (!TryBasic(authorization, out string name, out string password) || Find(name, password) is not { } found)
                {
                    return Fail(401, "unauthorized", "Wrong user name or password.");
                }
                account = found;
            }
            offline = parameters["offline_token"] == "true";
        }
        else
        {
            switch (grantType)
            {
                case "password":
                    account = Find(parameters["username"] ?? "", parameters["password"] ?? "");
                    if (account is null)
                    {
                        return Fail(401, "invalid_grant", "Wrong user name or password.");
                    }
                    offline = parameters["access_type"] == "offline";
                    break;
                case "refresh_token":
                    string? owner;
                    lock (_refreshTokens)
                    {
                        _refreshTokens.TryGetValue(parameters["refresh_token"] ?? "", out owner);
                    }
                    if (owner is null)
                    {
                        return Fail(401, "invalid_grant", "Unknown refresh token.");
                    }
                    account = Options.Users.Single(u => u.Credential.User == owner);
                    break;
                default:
                    return Fail(400, "unsupported_grant_type", $"grant_type '{grantType}' is not supported.");
            }
        }

        DateTimeOffset now = DateTimeOffset.UtcNow;
        List<(string Type, string Name, string[] Actions)> granted = Grant(account, scopes);
        string jwt = CreateJwt(account?.Credential.User, granted, now);
        var response = new JsonObject
        {
            ["token"] = jwt,
            ["access_token"] = jwt,
            ["expires_in"] = (int)Options.TokenLifetime.TotalSeconds,
            ["issued_at"] = now.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        };
        if (method == "POST")
        {
            response["scope"] = string.Join(' ', scopes);
        }
        if (offline && account is not null)
        {
            response["refresh_token"] = IssueRefreshToken(account.Credential.User);
        }
        Log(new(method, query, service, scopes, hadAuthorization, account?.Credential.User, grantType, 200,
            granted.Select(g => $"{g.Type}:{g.Name}:{string.Join(',', g.Actions)}").ToArray()));
        return (200, response, []);
    }

    private RegistryUser? Find(string name, string password)
        => Options.Users.FirstOrDefault(u => u.Credential.User == name && u.Credential.Password == password)
            ?? (Options.Authenticate?.Invoke(name, password) is { } user ? Options.Users.FirstOrDefault(u => u.Credential.User == user) : null);

    /// <summary>Intersects the requested scopes with the account's grants (null account = anonymous).</summary>
    private List<(string Type, string Name, string[] Actions)> Grant(RegistryUser? account, IEnumerable<string> scopes)
    {
        var result = new List<(string, string, string[])>();
        foreach (string scope in scopes)
        {
            // type[(class)]:name:actions — the name may not contain ':', but split from both ends to be safe.
            int first = scope.IndexOf(':');
            int last = scope.LastIndexOf(':');
            if (first < 0 || last == first)
            {
                continue;
            }
            string type = scope[..first];
            string name = scope[(first + 1)..last];
            string[] requested = scope[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries);
            string[] actions;
            if (type.StartsWith("repository", StringComparison.Ordinal))
            {
                actions = account is not null
                    ? account.Allowed(name, requested).ToArray()
                    : requested.Distinct().Where(a => Options.AnonymousGrants.Any(g => g.Covers(name) && g.Actions.Contains(a))).ToArray();
            }
            else if (type == "registry" && name == "catalog")
            {
                actions = account is { MayListCatalog: true } ? requested.Where(a => a == "*").ToArray() : [];
            }
            else
            {
                actions = [];
            }
            // Like Docker's token servers, a scope nothing of which is granted is still listed, with no actions.
            result.Add((type, name, actions));
        }
        return result;
    }

    // ------------------------------------------------------------------ JWT

    private string CreateJwt(string? subject, List<(string Type, string Name, string[] Actions)> access, DateTimeOffset now)
    {
        var header = new JsonObject
        {
            ["typ"] = "JWT",
            ["alg"] = "RS256",
            // Standard (not URL-safe) base64 DER, leaf first, as RFC 7515 4.1.6 says.
            ["x5c"] = new JsonArray(Convert.ToBase64String(_signer.RawData)),
        };
        long iat = now.ToUnixTimeSeconds();
        long leeway = Options.ExpireAtRegistryOnTime ? (long)RegistryLeeway.TotalSeconds : 0;
        var claims = new JsonObject
        {
            ["iss"] = Options.Issuer,
            ["sub"] = subject ?? "",
            ["aud"] = Options.Service,
            // Dated back by the registry's leeway (if asked), so the registry's view of the token's life matches expires_in.
            ["exp"] = iat + (long)Options.TokenLifetime.TotalSeconds - leeway,
            ["nbf"] = iat - 10,
            ["iat"] = iat,
            ["jti"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant(),
            ["access"] = new JsonArray(access.Select(a => (JsonNode)new JsonObject
            {
                ["type"] = a.Type,
                ["name"] = a.Name,
                ["actions"] = new JsonArray(a.Actions.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray()),
            }).ToArray()),
        };
        string signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        byte[] signature = _signingKey.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>
    /// One RSA key for every token server of the test run: generating a 2048-bit key takes 0.1 to 0.7 s, which would
    /// dominate the start-up. Each server still gets its own root and signing certificate.
    /// </summary>
    private static readonly Lazy<RSA> SharedSigningKey = new(() => RSA.Create(2048));

    /// <summary>A root CA (ECDSA, in the registry's bundle) and the RSA certificate it issues to sign tokens.</summary>
    private static (X509Certificate2 Root, X509Certificate2 Signer, RSA Key) CreateSigningChain()
    {
        DateTimeOffset notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        DateTimeOffset notAfter = DateTimeOffset.UtcNow.AddDays(7);
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=test token root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        X509Certificate2 root = rootRequest.CreateSelfSigned(notBefore, notAfter);

        RSA key = SharedSigningKey.Value;
        var request = new CertificateRequest("CN=test token signer", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        X509Certificate2 signer = request.Create(root.SubjectName, X509SignatureGenerator.CreateForECDsa(rootKey), notBefore, notAfter,
            RandomNumberGenerator.GetBytes(8));
        return (root, signer, key);
    }

    // ------------------------------------------------------------------ helpers

    private static bool TryBasic(string authorization, out string user, out string password)
    {
        user = password = "";
        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        try
        {
            string decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
            int colon = decoded.IndexOf(':');
            if (colon < 0)
            {
                return false;
            }
            (user, password) = (decoded[..colon], decoded[(colon + 1)..]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static JsonObject Error(string code, string message) => new() { ["error"] = code, ["error_description"] = message };

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private void Record(TokenRequest request)
    {
        lock (_requests)
        {
            _requests.Add(request);
        }
    }
}

/// <summary>Reads the claims of a token (for assertions on what was granted).</summary>
public static class Jwt
{
    /// <summary>The decoded claims (payload) of <paramref name="token"/>.</summary>
    public static JsonElement Claims(string token)
    {
        string payload = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
        return JsonDocument.Parse(Convert.FromBase64String(payload)).RootElement.Clone();
    }
}
