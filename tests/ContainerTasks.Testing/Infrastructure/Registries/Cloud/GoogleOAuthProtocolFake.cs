using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Web;

namespace ContainerTasks.Tests.Infrastructure.Registries.Cloud;

/// <summary>One access token request a <see cref="GoogleOAuthProtocolFake"/> answered.</summary>
/// <param name="Kind"><c>jwt-bearer</c> (a service account's assertion), <c>sts</c> (a federated token exchanged), <c>oidc</c> (a CI token fetched from a URL) or <c>metadata</c>.</param>
/// <param name="Status">The status answered.</param>
/// <param name="Issued">The access token issued, or null.</param>
public sealed record GoogleTokenRequest(string Kind, int Status, string? Issued);

/// <summary>
/// Google's OAuth2 token endpoint and the metadata server's token endpoint, as documented, on 127.0.0.1 (a protocol fake):
/// <list type="bullet">
/// <item><c>POST /token</c>, form <c>grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&amp;assertion=JWT</c>: the
/// assertion must be an RS256 JWT signed with the service account key this fake wrote (<see cref="WriteServiceAccountKey"/>),
/// with <c>iss</c> = its e-mail, <c>aud</c> = Google's token endpoint (or this one), the cloud-platform <c>scope</c>, and <c>iat</c>/<c>exp</c> at most an hour apart.
/// Else 400 <c>invalid_grant</c>, as Google answers.</item>
/// <item><c>GET /oidc</c>: a CI's OIDC token endpoint (GitHub Actions' shape) for a URL-sourced configuration.</item>
/// <item><c>POST /v1/token</c>: Google's STS token exchange for workload identity federation (<see cref="WriteExternalAccount"/>).</item>
/// <item><c>GET /</c> and <c>GET /computeMetadata/v1/instance/service-accounts/default/token</c> with <c>Metadata-Flavor: Google</c>
/// (the metadata server, reached through <c>GCE_METADATA_HOST</c>); answers carry <c>Metadata-Flavor: Google</c>.</item>
/// </list>
/// Answers are <c>{access_token, expires_in, token_type}</c>. It remembers what it issued, so a registry's token realm can
/// accept only its unexpired tokens (<see cref="Validate"/>).
/// </summary>
public sealed class GoogleOAuthProtocolFake : IAsyncDisposable
{
    /// <summary>The scope the registries need.</summary>
    public const string CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

    /// <summary>The audience Google's libraries put in every assertion (Google's token endpoint), whatever the key's <c>token_uri</c>.</summary>
    public const string GoogleTokenAudience = "https://oauth2.googleapis.com/token";

    private const string EmailMarker = "(plain text)";
    private readonly LoopbackListener _listener;
    private readonly RSA _key = RSA.Create(2048);
    private readonly Dictionary<string, DateTimeOffset> _issued = new();
    private readonly Recorded<GoogleTokenRequest> _requests = new();
    private readonly HashSet<string> _subjectTokens = new();
    private volatile string? _oidcBearer;
    private volatile string? _oidcSubject;

    /// <param name="lifetime">The tokens' <c>expires_in</c>.</param>
    public GoogleOAuthProtocolFake(TimeSpan lifetime)
    {
        Lifetime = lifetime;
        _listener = new LoopbackListener(ServeAsync);
    }

    /// <summary>The service account's e-mail.</summary>
    public string Email { get; } = "ci-pusher@test-project.iam.gserviceaccount.com";

    /// <summary>The lifetime of the tokens issued from now on.</summary>
    public TimeSpan Lifetime { get; set; }

    /// <summary>When true, every assertion is refused with <c>invalid_grant</c> (a disabled service account or deleted key).</summary>
    public bool RefuseAll { get; set; }

    /// <summary>The token endpoint, the key file's <c>token_uri</c>.</summary>
    public Uri TokenUri => new($"http://{_listener.Address}/token");

    /// <summary>For <c>GCE_METADATA_HOST</c>: <c>127.0.0.1:PORT</c>.</summary>
    public string MetadataHost => _listener.Address;

    /// <summary>Every token request so far.</summary>
    public IReadOnlyList<GoogleTokenRequest> Requests => _requests.Snapshot();

    /// <summary>Every access token issued so far (to check that none leaks into output).</summary>
    public IReadOnlyList<string> IssuedTokens
    {
        get
        {
            lock (_issued)
            {
                return _issued.Keys.ToArray();
            }
        }
    }

    /// <summary>True when <paramref name="token"/> was issued here and has not expired.</summary>
    public bool Validate(string token)
    {
        lock (_issued)
        {
            return _issued.TryGetValue(token, out DateTimeOffset expires) && DateTimeOffset.UtcNow < expires;
        }
    }

    /// <summary>
    /// Writes a service account key file (<c>type: service_account</c>) whose <c>token_uri</c> is <paramref name="tokenUri"/>
    /// (default: this fake). With <paramref name="deletedKey"/>, the file holds another key than the one the fake knows, as a
    /// key deleted in the console: its assertions are refused.
    /// </summary>
    public void WriteServiceAccountKey(string path, bool deletedKey = false, Uri? tokenUri = null)
    {
        using RSA other = RSA.Create(2048);
        var key = new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = "test-project",
            ["private_key_id"] = "0123456789abcdef",
            ["private_key"] = (deletedKey ? other : _key).ExportPkcs8PrivateKeyPem() + "\n",
            ["client_email"] = Email,
            ["client_id"] = "100000000000000000001",
            ["auth_uri"] = "https://accounts.google.com/o/oauth2/auth",
            ["token_uri"] = (tokenUri ?? TokenUri).ToString(),
            ["universe_domain"] = "googleapis.com",
        };
        File.WriteAllText(path, key.ToJsonString());
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync();
        _key.Dispose();
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellation)
    {
        Stream stream = client.GetStream();
        var reader = new HttpReader(stream);
        while (await HttpMessageHead.ReadAsync(reader, cancellation) is { } head)
        {
            byte[] body = await HttpBody.ReadAsync(reader, head, cancellation);
            (int status, JsonObject json) = Handle(head, body);
            // The metadata server answers a value such as the e-mail as plain text.
            (string text, string type) = json[EmailMarker] is { } plain ? (plain.GetValue<string>(), "text/plain") : (json.ToJsonString(), "application/json");
            await HttpBody.WriteResponseAsync(stream, status, status == 200 ? "OK" : "Bad Request", Encoding.UTF8.GetBytes(text), cancellation,
                [("Content-Type", type), ("Metadata-Flavor", "Google")]);
            if (head.WantsClose)
            {
                return;
            }
        }
    }

    private (int Status, JsonObject Body) Handle(HttpMessageHead head, byte[] body)
    {
        if (head.Method == "POST" && head.Path == "/token")
        {
            var form = HttpUtility.ParseQueryString(Encoding.UTF8.GetString(body));
            string? problem = form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer" ? "unsupported grant_type"
                : RefuseAll ? "Invalid grant: account not found"
                : CheckAssertion(form["assertion"] ?? "");
            return Answer("jwt-bearer", problem);
        }
        if (head.Method == "POST" && head.Path == "/v1/token")
        {
            return Answer("sts", CheckExchange(HttpUtility.ParseQueryString(Encoding.UTF8.GetString(body))), sts: true);
        }
        if (head.Method == "GET" && head.Path == "/oidc")
        {
            // GitHub's ID token endpoint: the runtime's bearer token in, {"value": JWT} out.
            _requests.Add(new("oidc", head.Get("Authorization") == "Bearer " + _oidcBearer ? 200 : 401, null));
            return head.Get("Authorization") == "Bearer " + _oidcBearer
                ? (200, new JsonObject { ["count"] = 1, ["value"] = _oidcSubject })
                : (401, Error("unauthorized", "Bad runtime token"));
        }
        if (head.Method == "GET" && head.Get("Metadata-Flavor") == "Google")
        {
            return head.Path switch
            {
                "/" => (200, new JsonObject()),
                "/computeMetadata/v1/instance/service-accounts/default/token" => Answer("metadata", null),
                "/computeMetadata/v1/instance/service-accounts/default/email" => (200, new JsonObject { [EmailMarker] = Email }),
                _ => (404, Error("not_found", head.Path)),
            };
        }
        return (404, Error("not_found", $"{head.Method} {head.Path}"));
    }

    private (int, JsonObject) Answer(string kind, string? problem, bool sts = false)
    {
        if (problem is not null)
        {
            _requests.Add(new(kind, 400, null));
            return (400, Error("invalid_grant", problem));
        }
        string token = "ya29.fake-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        lock (_issued)
        {
            _issued[token] = DateTimeOffset.UtcNow + Lifetime;
        }
        _requests.Add(new(kind, 200, token));
        var answer = new JsonObject { ["access_token"] = token, ["expires_in"] = (int)Lifetime.TotalSeconds, ["token_type"] = "Bearer" };
        if (sts)
        {
            answer["issued_token_type"] = "urn:ietf:params:oauth:token-type:access_token";
        }
        return (200, answer);
    }

    /// <summary>Null when an STS token exchange (RFC 8693, as Google's STS takes it) carries a subject token this fake issued for <see cref="PoolAudience"/>.</summary>
    private string? CheckExchange(System.Collections.Specialized.NameValueCollection form)
    {
        bool known;
        lock (_subjectTokens)
        {
            known = _subjectTokens.Contains(form["subject_token"] ?? "");
        }
        return form["grant_type"] != "urn:ietf:params:oauth:grant-type:token-exchange" ? "unsupported grant_type"
            : form["requested_token_type"] != "urn:ietf:params:oauth:token-type:access_token" ? "Invalid requested_token_type"
            : form["subject_token_type"] != "urn:ietf:params:oauth:token-type:jwt" ? "Invalid subject_token_type"
            : form["audience"] != PoolAudience ? "Invalid audience"
            : !(form["scope"] ?? "").Split(' ').Contains(CloudPlatformScope) ? "Invalid scope"
            : !known || RefuseAll ? "The ID Token's issuer or attribute condition is not accepted by the provider."
            : null;
    }

    /// <summary>The workload identity pool provider the external account configurations name.</summary>
    public const string PoolAudience = "//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/ci/providers/test-oidc";

    /// <summary>
    /// Writes what a CI's auth step leaves for workload identity federation: an OIDC token in <paramref name="tokenPath"/>
    /// (one the fake's STS accepts unless <paramref name="foreign"/>) and an external account configuration
    /// (<c>credential_source.file</c>) in <paramref name="configPath"/> whose <c>token_url</c> is this fake's STS.
    /// </summary>
    /// <remarks>
    /// With <paramref name="fromUrl"/>, the configuration has GitHub Actions' shape instead (as <c>google-github-actions/auth</c>
    /// writes it): <c>credential_source.url</c> (this fake's <c>GET /oidc</c>) with an <c>Authorization</c> header and the
    /// token in the JSON field <c>value</c>; the file then holds the bearer token that URL requires.
    /// </remarks>
    public void WriteExternalAccount(string configPath, string tokenPath, bool foreign = false, bool fromUrl = false)
    {
        string subject = "eyJhbGciOiJSUzI1NiJ9.fake-ci-oidc." + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        if (!foreign)
        {
            lock (_subjectTokens)
            {
                _subjectTokens.Add(subject);
            }
        }
        File.WriteAllText(tokenPath, subject);
        _oidcBearer = "runtime-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        _oidcSubject = subject;
        JsonObject source = fromUrl
            ? new JsonObject
            {
                ["url"] = $"http://{_listener.Address}/oidc?audience={Uri.EscapeDataString("https://iam.googleapis.com" + PoolAudience[1..])}",
                ["headers"] = new JsonObject { ["Authorization"] = "Bearer " + _oidcBearer },
                ["format"] = new JsonObject { ["type"] = "json", ["subject_token_field_name"] = "value" },
            }
            : new JsonObject { ["file"] = tokenPath, ["format"] = new JsonObject { ["type"] = "text" } };
        var config = new JsonObject
        {
            ["type"] = "external_account",
            ["audience"] = PoolAudience,
            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
            ["token_url"] = $"http://{_listener.Address}/v1/token",
            ["credential_source"] = source,
        };
        File.WriteAllText(configPath, config.ToJsonString());
    }

    /// <summary>Null when the assertion is a valid RS256 JWT of the service account for this endpoint; else what is wrong.</summary>
    private string? CheckAssertion(string assertion)
    {
        string[] parts = assertion.Split('.');
        if (parts.Length != 3)
        {
            return "Invalid JWT: not three parts";
        }
        using JsonDocument header = JsonDocument.Parse(Base64Url(parts[0]));
        if (header.RootElement.GetProperty("alg").GetString() != "RS256")
        {
            return "Invalid JWT: alg must be RS256";
        }
        if (!_key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return "Invalid JWT Signature.";
        }
        using JsonDocument claims = JsonDocument.Parse(Base64Url(parts[1]));
        JsonElement c = claims.RootElement;
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        long iat = c.GetProperty("iat").GetInt64();
        long exp = c.GetProperty("exp").GetInt64();
        return c.GetProperty("iss").GetString() != Email ? "Invalid JWT: iss is not the service account"
            : c.GetProperty("aud").GetString() is not { } aud || (aud != TokenUri.ToString() && aud != GoogleTokenAudience) ? $"Invalid JWT: aud {c.GetProperty("aud")} is not {GoogleTokenAudience}"
            : !(c.TryGetProperty("scope", out JsonElement scope) && (scope.GetString() ?? "").Split(' ').Contains(CloudPlatformScope)) ? "Invalid scope"
            : exp - iat > 3600 || iat > now + 300 || exp < now - 300 ? "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe"
            : null;
    }

    private static JsonObject Error(string code, string description) => new() { ["error"] = code, ["error_description"] = description };

    private static byte[] Base64Url(string text)
    {
        string padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + (4 - padded.Length % 4) % 4, '='));
    }
}
