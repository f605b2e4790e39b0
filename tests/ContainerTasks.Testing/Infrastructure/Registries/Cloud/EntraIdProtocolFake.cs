using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Web;

namespace ContainerTasks.Tests.Infrastructure.Registries.Cloud;

/// <summary>An application (service principal) the <see cref="EntraIdProtocolFake"/> knows.</summary>
/// <param name="ClientId">The application (client) id.</param>
/// <param name="Secret">Its client secret, or null.</param>
/// <param name="FederatedToken">The exact client assertion its federated credential accepts (the workload's OIDC token), or null.</param>
public sealed record EntraApplication(string ClientId, string? Secret = null, string? FederatedToken = null);

/// <summary>One token request the fake answered.</summary>
/// <param name="Tenant">The tenant in the path.</param>
/// <param name="ClientId">The <c>client_id</c>.</param>
/// <param name="Credential">secret, assertion or none.</param>
/// <param name="Scope">The <c>scope</c>.</param>
/// <param name="Status">The status answered.</param>
public sealed record EntraTokenRequest(string Tenant, string? ClientId, string Credential, string? Scope, int Status);

/// <summary>
/// Microsoft Entra ID's v2.0 token endpoint, over HTTPS on 127.0.0.1, reached through <c>AZURE_AUTHORITY_HOST</c>:
/// <c>POST /{tenant}/oauth2/v2.0/token</c> with the client credentials grant (<c>client_secret</c>, or
/// <c>client_assertion</c> of type <c>urn:ietf:params:oauth:client-assertion-type:jwt-bearer</c> for federated
/// credentials), answering <c>{token_type, expires_in, ext_expires_in, access_token}</c> or Entra's error shape
/// (<c>error</c>, <c>error_description</c> starting with the AADSTS code, <c>error_codes</c>, trace and correlation ids).
/// Also <c>GET /{tenant}/v2.0/.well-known/openid-configuration</c>. Access tokens are HS256 JWTs with Entra's claims
/// (<c>aud</c>, <c>iss</c>, <c>tid</c>, <c>oid</c>, <c>appid</c>, <c>exp</c>) that <see cref="Validate"/> checks.
/// </summary>
public sealed class EntraIdProtocolFake : IAsyncDisposable
{
    private readonly HttpsLoopbackServer _server;
    private readonly ConcurrentDictionary<string, EntraApplication> _applications = new(StringComparer.OrdinalIgnoreCase);
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly Recorded<EntraTokenRequest> _requests = new();
    private readonly Recorded<string> _paths = new();

    /// <summary>Starts the endpoint with <paramref name="certificate"/> (valid for 127.0.0.1) for <paramref name="tenant"/>.</summary>
    public EntraIdProtocolFake(X509Certificate2 certificate, string tenant, IEnumerable<EntraApplication> applications)
    {
        Tenant = tenant;
        foreach (EntraApplication application in applications)
        {
            _applications[application.ClientId] = application;
        }
        _server = new HttpsLoopbackServer(certificate, ServeAsync).Start();
    }

    /// <summary>The tenant id.</summary>
    public string Tenant { get; }

    /// <summary>The lifetime of access tokens.</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The authority host, <c>https://127.0.0.1:PORT</c>, for <c>AZURE_AUTHORITY_HOST</c>.</summary>
    public Uri AuthorityHost => new($"https://127.0.0.1:{_server.Port}");

    /// <summary>The token requests answered so far.</summary>
    public IReadOnlyList<EntraTokenRequest> Requests => _requests.Snapshot();

    /// <summary>Every request's method and target, for diagnostics.</summary>
    public IReadOnlyList<string> Paths => _paths.Snapshot();

    /// <summary>The claims of an access token this fake issued and that has not expired, or null.</summary>
    public JsonElement? Validate(string token)
    {
        string[] parts = token.Split('.');
        if (parts.Length != 3 || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(parts[2]), Encoding.ASCII.GetBytes(Sign(parts[0] + "." + parts[1]))))
        {
            return null;
        }
        JsonElement claims = Jwt.Claims(token);
        return claims.GetProperty("exp").GetInt64() > DateTimeOffset.UtcNow.ToUnixTimeSeconds() ? claims : null;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task<bool> ServeAsync(HttpMessageHead head, HttpReader reader, Stream stream, CancellationToken cancellation)
    {
        byte[] body = await HttpBody.ReadAsync(reader, head, cancellation);
        _paths.Add($"{head.Method} {head.Target}");
        string[] segments = head.Path.Trim('/').Split('/');
        if (head.Method == "GET" && head.Path.EndsWith("/v2.0/.well-known/openid-configuration", StringComparison.Ordinal))
        {
            await HttpsLoopbackServer.AnswerAsync(stream, 200, OpenIdConfiguration(segments[0]), cancellation);
            return true;
        }
        if (head.Method != "POST" || segments is not [var tenant, "oauth2", "v2.0", "token"])
        {
            await HttpsLoopbackServer.AnswerAsync(stream, 404, Error("invalid_request", 900023, "Not an endpoint of this fake."), cancellation);
            return true;
        }
        var form = HttpUtility.ParseQueryString(Encoding.UTF8.GetString(body));
        var (status, answer) = Token(tenant, form);
        await HttpsLoopbackServer.AnswerAsync(stream, status, answer, cancellation);
        return true;
    }

    private (int, JsonNode) Token(string tenant, System.Collections.Specialized.NameValueCollection form)
    {
        string? clientId = form["client_id"];
        string credential = form["client_secret"] is not null ? "secret" : form["client_assertion"] is not null ? "assertion" : "none";
        (int, JsonNode) Answer(int status, JsonNode body)
        {
            _requests.Add(new(tenant, clientId, credential, form["scope"], status));
            return (status, body);
        }
        if (form["grant_type"] != "client_credentials")
        {
            return Answer(400, Error("unsupported_grant_type", 70003, "The app requested an unsupported grant type."));
        }
        if (!string.Equals(tenant, Tenant, StringComparison.OrdinalIgnoreCase))
        {
            return Answer(400, Error("invalid_request", 90002, $"Tenant '{tenant}' not found."));
        }
        if (clientId is null || !_applications.TryGetValue(clientId, out EntraApplication? application))
        {
            return Answer(400, Error("unauthorized_client", 700016, $"Application with identifier '{clientId}' was not found in the directory '{Tenant}'."));
        }
        if (credential == "secret" && (application.Secret is null || form["client_secret"] != application.Secret))
        {
            return Answer(401, Error("invalid_client", 7000215, $"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{clientId}'."));
        }
        if (credential == "assertion" && (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            || application.FederatedToken is null || form["client_assertion"] != application.FederatedToken))
        {
            return Answer(400, Error("invalid_client", 70021, "No matching federated identity record found for presented assertion."));
        }
        if (credential == "none")
        {
            return Answer(401, Error("invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."));
        }
        string scope = form["scope"] ?? "";
        if (!scope.EndsWith("/.default", StringComparison.Ordinal))
        {
            return Answer(400, Error("invalid_scope", 1002012, $"The provided value for scope {scope} is not valid."));
        }
        return Answer(200, new JsonObject
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = (int)TokenLifetime.TotalSeconds,
            ["ext_expires_in"] = (int)TokenLifetime.TotalSeconds,
            ["access_token"] = AccessToken(clientId, scope[..^"/.default".Length]),
        });
    }

    private string AccessToken(string clientId, string audience)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["aud"] = audience,
            ["iss"] = $"https://sts.windows.net/{Tenant}/",
            ["iat"] = now,
            ["nbf"] = now - 5,
            ["exp"] = now + (long)TokenLifetime.TotalSeconds,
            ["appid"] = clientId,
            ["oid"] = Guid.NewGuid().ToString(),
            ["sub"] = clientId,
            ["tid"] = Tenant,
            ["ver"] = "1.0",
        };
        string input = Base64Url(Encoding.UTF8.GetBytes("""{"typ":"JWT","alg":"HS256"}""")) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        return input + "." + Sign(input);
    }

    private string Sign(string input) => Base64Url(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(input)));

    private JsonNode OpenIdConfiguration(string tenant)
    {
        string issuer = $"{AuthorityHost.ToString().TrimEnd('/')}/{tenant}";
        return new JsonObject
        {
            ["token_endpoint"] = $"{issuer}/oauth2/v2.0/token",
            ["authorization_endpoint"] = $"{issuer}/oauth2/v2.0/authorize",
            ["issuer"] = $"{issuer}/v2.0",
            ["token_endpoint_auth_methods_supported"] = new JsonArray("client_secret_post", "private_key_jwt", "client_secret_basic"),
        };
    }

    private static JsonObject Error(string error, int code, string message)
    {
        string trace = Guid.NewGuid().ToString();
        string correlation = Guid.NewGuid().ToString();
        string timestamp = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["error"] = error,
            ["error_description"] = $"AADSTS{code}: {message} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {timestamp}",
            ["error_codes"] = new JsonArray(code),
            ["timestamp"] = timestamp,
            ["trace_id"] = trace,
            ["correlation_id"] = correlation,
            ["error_uri"] = $"https://login.microsoftonline.com/error?code={code}",
        };
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
