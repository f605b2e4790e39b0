using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ContainerTasks.Tests.Infrastructure.Registries.Cloud;

/// <summary>An AWS access key the <see cref="EcrApiProtocolFake"/> knows.</summary>
/// <param name="AccessKeyId">The key id.</param>
/// <param name="Secret">The secret the fake checks signatures with.</param>
/// <param name="SessionToken">The session token the request must carry (temporary credentials), or null.</param>
/// <param name="Arn">The identity, for AccessDenied messages.</param>
/// <param name="MayGetToken">False: GetAuthorizationToken is AccessDenied.</param>
/// <param name="MayPush">False: the registry front answers pushes 403 DENIED.</param>
public sealed record AwsTestKey(string AccessKeyId, string Secret, string? SessionToken, string Arn, bool MayGetToken = true, bool MayPush = true);

/// <summary>One GetAuthorizationToken call the fake answered.</summary>
/// <param name="AccessKeyId">The key id the request was signed with (from its Authorization header), or null.</param>
/// <param name="Status">The status answered.</param>
/// <param name="ErrorType">The AWS error type, or null on success.</param>
/// <param name="At">When.</param>
public sealed record EcrApiCall(string? AccessKeyId, int Status, string? ErrorType, DateTimeOffset At);

/// <summary>
/// Amazon ECR's API endpoint as far as <c>GetAuthorizationToken</c> goes, over plain HTTP on 127.0.0.1 (reached through
/// <c>AWS_ENDPOINT_URL_ECR</c>): the AWS JSON 1.1 protocol (<c>POST /</c>, <c>X-Amz-Target:
/// AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken</c>, <c>Content-Type: application/x-amz-json-1.1</c>). Every
/// request's SigV4 signature is recomputed here, independently of the product's signer, with the secret of the key it
/// names: a wrong one is 403 <c>InvalidSignatureException</c>, an unknown key 400 <c>UnrecognizedClientException</c>, a
/// date more than 5 minutes off 403 <c>InvalidSignatureException</c> (Signature expired), a key without the permission
/// 400 <c>AccessDeniedException</c>, as AWS answers. A token is base64 <c>AWS:&lt;password&gt;</c>, valid for
/// <see cref="TokenLifetime"/>; <see cref="Lookup"/> tells a registry front whose a password is and until when.
/// </summary>
public sealed class EcrApiProtocolFake : IAsyncDisposable
{
    private const string Target = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";
    private readonly LoopbackListener _listener;
    private readonly Dictionary<string, AwsTestKey> _keys;
    private readonly Dictionary<string, (AwsTestKey Key, DateTimeOffset Expires)> _tokens = new();
    private readonly Recorded<EcrApiCall> _calls = new();

    /// <summary>Starts the endpoint for <paramref name="region"/> with the keys it knows.</summary>
    public EcrApiProtocolFake(string region, params AwsTestKey[] keys)
    {
        Region = region;
        _keys = keys.ToDictionary(k => k.AccessKeyId);
        _listener = new LoopbackListener(ServeAsync);
    }

    /// <summary>Makes <paramref name="key"/> known (temporary credentials that STS issued).</summary>
    public void AddKey(AwsTestKey key)
    {
        lock (_keys)
        {
            _keys[key.AccessKeyId] = key;
        }
    }

    /// <summary>The region signatures must be scoped to.</summary>
    public string Region { get; }

    /// <summary>How long a token is valid (ECR: 12 hours).</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromHours(12);

    /// <summary>The lifetime the answer's <c>expiresAt</c> states, when it differs from <see cref="TokenLifetime"/> (a client clock that lags ECR's).</summary>
    public TimeSpan? StatedLifetime { get; init; }

    /// <summary><c>http://127.0.0.1:PORT</c>, for <c>AWS_ENDPOINT_URL_ECR</c>.</summary>
    public string Endpoint => $"http://{_listener.Address}";

    /// <summary>Every call so far.</summary>
    public IReadOnlyList<EcrApiCall> Calls => _calls.Snapshot();

    /// <summary>Every password handed out so far (to check that none appears in a build's output).</summary>
    public IReadOnlyList<string> Passwords
    {
        get
        {
            lock (_tokens)
            {
                return _tokens.Keys.ToArray();
            }
        }
    }

    /// <summary>The key a password was issued to and when it expires, or null for a password never issued here.</summary>
    public (AwsTestKey Key, DateTimeOffset Expires)? Lookup(string password)
    {
        lock (_tokens)
        {
            return _tokens.TryGetValue(password, out var token) ? token : null;
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private async Task ServeAsync(TcpClient client, CancellationToken cancellation)
    {
        Stream stream = client.GetStream();
        var reader = new HttpReader(stream);
        while (await HttpMessageHead.ReadAsync(reader, cancellation) is { } head)
        {
            byte[] body = await HttpBody.ReadAsync(reader, head, cancellation);
            var (status, type, json) = Handle(head, body);
            _calls.Add(new(SignedKeyId(head), status, type, DateTimeOffset.UtcNow));
            (string, string)[] headers = type is null ? [("Content-Type", "application/x-amz-json-1.1")]
                : [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", $"{type}:http://internal.amazon.com/coral/com.amazon.coral.service/")];
            await HttpBody.WriteResponseAsync(stream, status, status == 200 ? "OK" : status == 403 ? "Forbidden" : "Bad Request",
                Encoding.UTF8.GetBytes(json.ToJsonString()), cancellation, headers);
            if (head.WantsClose)
            {
                return;
            }
        }
    }

    private (int Status, string? Type, JsonObject Body) Handle(HttpMessageHead head, byte[] body)
    {
        if (head.Method != "POST" || head.Path != "/" || head.Get("X-Amz-Target") != Target || head.Get("Content-Type") != "application/x-amz-json-1.1")
        {
            return Error(400, "UnknownOperationException", "");
        }
        if (ParseAuthorization(head.Get("Authorization")) is not { } auth)
        {
            return Error(400, "MissingAuthenticationTokenException", "Missing Authentication Token");
        }
        AwsTestKey? key;
        lock (_keys)
        {
            _keys.TryGetValue(auth.KeyId, out key);
        }
        if (key is null || (key.SessionToken is { } token && head.Get("X-Amz-Security-Token") != token))
        {
            return Error(400, "UnrecognizedClientException", "The security token included in the request is invalid.");
        }
        if (!DateTimeOffset.TryParseExact(head.Get("X-Amz-Date"), "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset date)
            || (DateTimeOffset.UtcNow - date).Duration() > TimeSpan.FromMinutes(5))
        {
            return Error(403, "InvalidSignatureException", "Signature expired or X-Amz-Date missing.");
        }
        string expected = Signature(head, body, key.Secret, auth.Scope, auth.SignedHeaders);
        if (auth.Scope != $"{date:yyyyMMdd}/{Region}/ecr/aws4_request" || !auth.SignedHeaders.Split(';').Contains("host")
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(auth.Signature)))
        {
            return Error(403, "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
        }
        if (!key.MayGetToken)
        {
            return Error(400, "AccessDeniedException",
                $"User: {key.Arn} is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action");
        }
        return (200, null, Issue(key));
    }

    private JsonObject Issue(AwsTestKey key)
    {
        string password = "ecr-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        DateTimeOffset expires = DateTimeOffset.UtcNow + TokenLifetime;
        lock (_tokens)
        {
            _tokens[password] = (key, expires);
        }
        return new JsonObject
        {
            ["authorizationData"] = new JsonArray(new JsonObject
            {
                ["authorizationToken"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("AWS:" + password)),
                ["expiresAt"] = Math.Round((StatedLifetime is { } stated ? expires - TokenLifetime + stated : expires).ToUnixTimeMilliseconds() / 1000.0, 3),
                ["proxyEndpoint"] = "https://" + key.Arn.Split(':')[4] + $".dkr.ecr.{Region}.amazonaws.com",
            }),
        };
    }

    // The signature as AWS computes it, from what arrived: the signed headers' values as sent, the body's SHA-256.
    private static string Signature(HttpMessageHead head, byte[] body, string secret, string scope, string signedHeaders)
    {
        var canonical = new StringBuilder($"{head.Method}\n{head.Path}\n{CanonicalQuery(head.Target)}\n");
        foreach (string name in signedHeaders.Split(';'))
        {
            string value = string.Join(',', head.Headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
                .Select(h => string.Join(' ', h.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))));
            canonical.Append(name).Append(':').Append(value).Append('\n');
        }
        canonical.Append('\n').Append(signedHeaders).Append('\n').Append(Hex(SHA256.HashData(body)));
        string[] parts = scope.Split('/');
        string toSign = $"AWS4-HMAC-SHA256\n{head.Get("X-Amz-Date")}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))}";
        byte[] key = Encoding.UTF8.GetBytes("AWS4" + secret);
        foreach (string part in parts)
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }
        return Hex(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign)));
    }

    private static string CanonicalQuery(string target)
        => target.Contains('?') ? string.Join('&', target[(target.IndexOf('?') + 1)..].Split('&').Order(StringComparer.Ordinal)) : "";

    private static (string KeyId, string Scope, string SignedHeaders, string Signature)? ParseAuthorization(string? header)
    {
        if (header is null || !header.StartsWith("AWS4-HMAC-SHA256 ", StringComparison.Ordinal))
        {
            return null;
        }
        var fields = header[17..].Split(',', StringSplitOptions.TrimEntries)
            .Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
        if (!fields.TryGetValue("Credential", out string? credential) || !fields.TryGetValue("SignedHeaders", out string? signed)
            || !fields.TryGetValue("Signature", out string? signature) || credential.IndexOf('/') is var slash && slash < 0)
        {
            return null;
        }
        return (credential[..slash], credential[(slash + 1)..], signed, signature);
    }

    private static string? SignedKeyId(HttpMessageHead head) => ParseAuthorization(head.Get("Authorization"))?.KeyId;

    private static (int, string?, JsonObject) Error(int status, string type, string message)
        => (status, type, new JsonObject { ["__type"] = type, ["message"] = message });

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
