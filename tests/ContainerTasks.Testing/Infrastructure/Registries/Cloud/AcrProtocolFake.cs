using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Web;

namespace ContainerTasks.Tests.Infrastructure.Registries.Cloud;

/// <summary>Settings of an <see cref="AcrProtocolFake"/>.</summary>
public sealed record AcrFakeOptions
{
    /// <summary>Which registry user (of the token server's) each Entra application (client id) acts as, like its role assignment; others are refused at the exchange.</summary>
    public IReadOnlyDictionary<string, string> Roles { get; init; } = new Dictionary<string, string>();

    /// <summary>The lifetime of the refresh tokens the exchange gives (ACR: 3 hours).</summary>
    public TimeSpan RefreshTokenLifetime { get; init; } = TimeSpan.FromHours(3);

    /// <summary>How long the first manifest PUT is held before it goes to the registry (so tokens expire in the middle of a push).</summary>
    public TimeSpan HoldFirstManifestPut { get; init; } = TimeSpan.Zero;
}

/// <summary>One request to the fake's own endpoints.</summary>
/// <param name="Endpoint">exchange or token.</param>
/// <param name="GrantType">The form's grant_type.</param>
/// <param name="Identity">The client id (exchange) or registry user (token); null when refused before.</param>
/// <param name="Status">The status answered.</param>
public sealed record AcrRequest(string Endpoint, string? GrantType, string? Identity, int Status);

/// <summary>
/// Azure Container Registry's authentication, in front of a real Distribution registry in token mode
/// (<see cref="RegistryServer"/> whose token server's service is the registry name), over HTTPS on 127.0.0.1 with a
/// certificate for <c>NAME.azurecr.io</c> (reached through a <see cref="ForwardProxy"/>):
/// <list type="bullet">
/// <item><c>POST /oauth2/exchange</c> (form <c>grant_type=access_token</c>, <c>service</c>, <c>tenant</c>, <c>access_token</c>):
/// an Entra ID token the <see cref="EntraIdProtocolFake"/> issued for the ARM audience, of an application with a role here,
/// for <c>{"refresh_token": JWT}</c> whose <c>exp</c> is <see cref="AcrFakeOptions.RefreshTokenLifetime"/> away; else 401.</item>
/// <item><c>POST /oauth2/token</c> (form <c>grant_type=refresh_token</c>, <c>service</c>, <c>scope</c>, <c>refresh_token</c>):
/// a registry access token for the scopes, granted as the role's user may (the token server's JWTs, which the registry trusts); an
/// expired or unknown refresh token gets 401. A <c>GET</c> without credentials (anonymous) gets 401.</item>
/// <item>Everything else goes to the registry, with its challenge's realm rewritten to <c>https://NAME/oauth2/token</c>, as ACR's is.</item>
/// </list>
/// </summary>
public sealed class AcrProtocolFake : IAsyncDisposable
{
    private readonly HttpsLoopbackServer _server;
    private readonly RegistryServer _registry;
    private readonly EntraIdProtocolFake _entra;
    private readonly Dictionary<string, (string User, DateTimeOffset Expires)> _refreshTokens = new();
    private readonly Recorded<AcrRequest> _requests = new();
    private int _manifestPuts;

    /// <summary>Starts the fake for <paramref name="name"/> (e.g. <c>ctacrtest.azurecr.io</c>) in front of <paramref name="registry"/>.</summary>
    public AcrProtocolFake(string name, X509Certificate2 certificate, RegistryServer registry, EntraIdProtocolFake entra, AcrFakeOptions options)
    {
        Name = name;
        Options = options;
        _registry = registry;
        _entra = entra;
        _server = new HttpsLoopbackServer(certificate, ServeAsync).Start();
    }

    /// <summary>The registry name.</summary>
    public string Name { get; }

    /// <summary>The settings.</summary>
    public AcrFakeOptions Options { get; }

    /// <summary><c>127.0.0.1:PORT</c>, where the proxy sends <see cref="Name"/>.</summary>
    public string Address => $"127.0.0.1:{_server.Port}";

    /// <summary>The requests to the fake's own endpoints so far.</summary>
    public IReadOnlyList<AcrRequest> Requests => _requests.Snapshot();

    /// <summary>Unexpected failures while serving (for diagnostics).</summary>
    public IReadOnlyList<string> Failures => _server.Failures.Snapshot();

    /// <summary>How many exchanges succeeded.</summary>
    public int Exchanges => Requests.Count(r => r.Endpoint == "exchange" && r.Status == 200);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task<bool> ServeAsync(HttpMessageHead head, HttpReader reader, Stream stream, CancellationToken cancellation)
    {
        if (head.Path is "/oauth2/exchange" or "/oauth2/token")
        {
            byte[] body = await HttpBody.ReadAsync(reader, head, cancellation);
            var form = HttpUtility.ParseQueryString(head.Method == "POST" ? Encoding.UTF8.GetString(body) : head.Target.Split('?', 2) is [_, var q] ? q : "");
            var (status, answer) = head.Path == "/oauth2/exchange" ? Exchange(head.Method, form) : Token(head.Method, form);
            await HttpsLoopbackServer.AnswerAsync(stream, status, answer, cancellation,
                status == 401 ? [("WWW-Authenticate", $"Bearer realm=\"https://{Name}/oauth2/token\",service=\"{Name}\"")] : []);
            return true;
        }
        if (head.Method == "PUT" && head.Path.Contains("/manifests/", StringComparison.Ordinal) && Interlocked.Increment(ref _manifestPuts) == 1)
        {
            await Task.Delay(Options.HoldFirstManifestPut, cancellation);
        }
        return await ForwardAsync(head, reader, stream, cancellation);
    }

    private (int, JsonNode) Exchange(string method, System.Collections.Specialized.NameValueCollection form)
    {
        (int, JsonNode) Answer(int status, JsonNode body, string? identity = null)
        {
            _requests.Add(new("exchange", form["grant_type"], identity, status));
            return (status, body);
        }
        if (method != "POST" || form["grant_type"] != "access_token" || form["access_token"] is not { } token)
        {
            return Answer(400, Errors("UNSUPPORTED", "grant_type access_token with an access_token is required"));
        }
        if (form["service"] != Name)
        {
            return Answer(400, Errors("INVALID", $"service must be {Name}"));
        }
        if (_entra.Validate(token) is not { } claims || claims.GetProperty("aud").GetString() != "https://containerregistry.azure.net"
            || (form["tenant"] is { } tenant && tenant != claims.GetProperty("tid").GetString()))
        {
            return Answer(401, Errors("UNAUTHORIZED", "The access token is not valid for this registry."));
        }
        string client = claims.GetProperty("appid").GetString()!;
        if (!Options.Roles.TryGetValue(client, out string? user))
        {
            return Answer(401, Errors("UNAUTHORIZED", $"The identity {client} has no role assignment on the registry {Name}."), client);
        }
        DateTimeOffset expires = DateTimeOffset.UtcNow + Options.RefreshTokenLifetime;
        string refreshToken = RefreshToken(client, expires);
        lock (_refreshTokens)
        {
            _refreshTokens[refreshToken] = (user, expires);
        }
        return Answer(200, new JsonObject { ["refresh_token"] = refreshToken }, client);
    }

    private (int, JsonNode) Token(string method, System.Collections.Specialized.NameValueCollection form)
    {
        (int, JsonNode) Answer(int status, JsonNode body, string? user = null)
        {
            _requests.Add(new("token", form["grant_type"], user, status));
            return (status, body);
        }
        if (method != "POST" || form["grant_type"] != "refresh_token")
        {
            return Answer(401, Errors("UNAUTHORIZED", "authentication required"));
        }
        (string User, DateTimeOffset Expires) entry;
        lock (_refreshTokens)
        {
            if (!_refreshTokens.TryGetValue(form["refresh_token"] ?? "", out entry))
            {
                return Answer(401, Errors("UNAUTHORIZED", "The refresh token is not valid."));
            }
        }
        if (entry.Expires <= DateTimeOffset.UtcNow)
        {
            return Answer(401, Errors("UNAUTHORIZED", "The refresh token has expired."), entry.User);
        }
        string[] scopes = (form["scope"] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        TokenServer server = _registry.TokenServer!;
        return Answer(200, new JsonObject
        {
            ["access_token"] = server.CreateToken(entry.User, scopes),
            ["expires_in"] = (int)server.Options.TokenLifetime.TotalSeconds,
        }, entry.User);
    }

    private static string RefreshToken(string client, DateTimeOffset expires)
    {
        var claims = new JsonObject
        {
            ["jti"] = Guid.NewGuid().ToString(),
            ["sub"] = client,
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["grant_type"] = "refresh_token",
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        };
        static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return B64("""{"alg":"RS256","typ":"JWT"}""") + "." + B64(claims.ToJsonString()) + "." + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    }

    private static JsonObject Errors(string code, string message)
        => new() { ["errors"] = new JsonArray(new JsonObject { ["code"] = code, ["message"] = message }) };

    // One request to the registry on a connection of its own, the answer copied back with ACR's realm.
    private async Task<bool> ForwardAsync(HttpMessageHead head, HttpReader reader, Stream client, CancellationToken cancellation)
    {
        using var origin = await Sockets.ConnectAsync("127.0.0.1", _registry.Port, cancellation);
        await using var tls = new SslStream(origin.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cancellation);
        head.Remove("Connection");
        head.Headers.Add(new("Connection", "close"));
        await tls.WriteAsync(head.ToBytes(), cancellation);
        await HttpBody.CopyAsync(reader, head, head.RequestFraming, tls, cancellation);
        await tls.FlushAsync(cancellation);
        var originReader = new HttpReader(tls);
        HttpMessageHead response = await HttpMessageHead.ReadAsync(originReader, cancellation) ?? throw new IOException("The registry closed the connection.");
        BodyFraming framing = response.ResponseFraming(head.Method);
        if (response.Get("WWW-Authenticate") is { } challenge)
        {
            response.Remove("WWW-Authenticate");
            response.Headers.Add(new("WWW-Authenticate", challenge.Replace(_registry.TokenServer!.Realm.ToString(), $"https://{Name}/oauth2/token", StringComparison.Ordinal)));
        }
        // One connection per forwarded request, both sides: the client opens a new one for the next.
        response.Remove("Connection");
        response.Headers.Add(new("Connection", "close"));
        await client.WriteAsync(response.ToBytes(), cancellation);
        await HttpBody.CopyAsync(originReader, response, framing, client, cancellation);
        await client.FlushAsync(cancellation);
        return false;
    }
}
