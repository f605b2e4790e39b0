using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace ContainerTasks.Tests.Infrastructure.Registries.Cloud;

/// <summary>One registry request the <see cref="EcrRegistryProtocolFake"/> answered.</summary>
/// <param name="Method">The method.</param>
/// <param name="Path">The path and query.</param>
/// <param name="Status">The status answered (the registry's when relayed).</param>
/// <param name="Refusal">Why the front refused it (no/unknown token, expired, denied), or null when relayed.</param>
public sealed record EcrRegistryRequest(string Method, string Path, int Status, string? Refusal);

/// <summary>
/// An Amazon ECR registry host (<c>ACCOUNT.dkr.ecr.REGION.amazonaws.com</c>) in front of a real Distribution registry
/// with Basic authentication (<see cref="RegistryMode.HttpsBasic"/>). A client reaches it as its HTTPS proxy
/// (<c>HTTPS_PROXY</c>): it accepts <c>CONNECT HOST:443</c> for that one name, answers TLS with a certificate for it
/// (<see cref="CaBundlePath"/>: system roots + its CA, for <c>SSL_CERT_FILE</c>), and checks each request's Basic
/// credentials as ECR does: user <c>AWS</c> and a password the <see cref="EcrApiProtocolFake"/> issued. Unknown or
/// missing: 401 with ECR's <c>WWW-Authenticate: Basic realm="https://HOST/",service="ecr.amazonaws.com"</c>; expired: 403
/// DENIED "Your authorization token has expired"; a key that may not push, on a write: 403 DENIED naming the identity and
/// the action. Accepted requests go to the registry with the registry's own user, unchanged otherwise (the Host header
/// stays the ECR name, so the registry's Location URLs do too).
/// </summary>
public sealed class EcrRegistryProtocolFake : IAsyncDisposable
{
    private readonly LoopbackListener _listener;
    private readonly RegistryServer _registry;
    private readonly EcrApiProtocolFake _api;
    private readonly IssuedCertificate _certificate;
    private readonly Recorded<EcrRegistryRequest> _requests = new();

    /// <summary>Starts the front for <paramref name="host"/>; <paramref name="directory"/> receives the CA bundle.</summary>
    public EcrRegistryProtocolFake(string host, RegistryServer registry, EcrApiProtocolFake api, string directory)
    {
        Host = host;
        _registry = registry;
        _api = api;
        _certificate = IssuedCertificate.Create([host], DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        CaBundlePath = Path.Combine(directory, "ecr-ca-bundle.crt");
        string system = File.Exists(TestCertificates.SystemBundle) ? File.ReadAllText(TestCertificates.SystemBundle) : "";
        File.WriteAllText(CaBundlePath, system.TrimEnd() + "\n" + _certificate.CaPem);
        _listener = new LoopbackListener(ServeAsync);
    }

    /// <summary>The ECR registry host.</summary>
    public string Host { get; }

    /// <summary><c>http://127.0.0.1:PORT</c>, for <c>HTTPS_PROXY</c>.</summary>
    public string ProxyUri => $"http://{_listener.Address}";

    /// <summary>System roots + the CA of the front's certificate, for <c>SSL_CERT_FILE</c>.</summary>
    public string CaBundlePath { get; }

    /// <summary>A pause before each request is answered (to make a push outlast a short token), while <see cref="DelayWhile"/> holds.</summary>
    public TimeSpan RequestDelay { get; init; }

    /// <summary>When requests are held for <see cref="RequestDelay"/>: e.g. until the token was renewed (default: always).</summary>
    public Func<bool> DelayWhile { get; init; } = () => true;

    /// <summary>Every request so far.</summary>
    public IReadOnlyList<EcrRegistryRequest> Requests => _requests.Snapshot();

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync();
        _certificate.Certificate.Dispose();
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellation)
    {
        NetworkStream plain = client.GetStream();
        var proxyReader = new HttpReader(plain);
        if (await HttpMessageHead.ReadAsync(proxyReader, cancellation) is not { } connect)
        {
            return;
        }
        if (connect.Method != "CONNECT" || !connect.Target.Equals($"{Host}:443", StringComparison.OrdinalIgnoreCase))
        {
            await HttpBody.WriteResponseAsync(plain, 502, "Bad Gateway", Encoding.UTF8.GetBytes($"Only CONNECT {Host}:443 here.\n"), cancellation);
            return;
        }
        await plain.WriteAsync("HTTP/1.1 200 Connection Established\r\n\r\n"u8.ToArray(), cancellation);
        await using var tls = new SslStream(plain);
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate.Certificate }, cancellation);
        var reader = new HttpReader(tls);
        TcpClient? upstream = null;
        SslStream? upstreamTls = null;
        HttpReader? upstreamReader = null;
        try
        {
            while (await HttpMessageHead.ReadAsync(reader, cancellation) is { } request)
            {
                // Checked as it arrives, then held: a token valid when sent is not refused for the fake's own delay.
                var refused = Refusal(request);
                if (DelayWhile())
                {
                    await Task.Delay(RequestDelay, cancellation);
                }
                if (refused is { } refusal)
                {
                    await HttpBody.CopyAsync(reader, request, request.RequestFraming, null, cancellation);
                    await HttpBody.WriteResponseAsync(tls, refusal.Status, refusal.Status == 401 ? "Unauthorized" : "Forbidden",
                        Encoding.UTF8.GetBytes(refusal.Body), cancellation, refusal.Headers);
                    _requests.Add(new(request.Method, request.Target, refusal.Status, refusal.Why));
                    continue;
                }
                if (upstreamTls is null)
                {
                    upstream = await Sockets.ConnectAsync("127.0.0.1", _registry.Port, cancellation);
                    upstreamTls = new SslStream(upstream.GetStream(), false, (_, _, _, _) => true);
                    await upstreamTls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cancellation);
                    upstreamReader = new HttpReader(upstreamTls);
                }
                int status = await RelayAsync(reader, request, tls, upstreamTls, upstreamReader!, cancellation);
                _requests.Add(new(request.Method, request.Target, status, null));
                if (request.WantsClose)
                {
                    return;
                }
            }
        }
        finally
        {
            upstreamTls?.Dispose();
            upstream?.Dispose();
        }
    }

    private static async Task<int> RelayAsync(HttpReader reader, HttpMessageHead request, Stream client, SslStream upstream, HttpReader upstreamReader, CancellationToken cancellation)
    {
        request.Remove("Authorization");
        request.Headers.Add(new("Authorization", RegistryUsers.Pusher.BasicHeader));
        await upstream.WriteAsync(request.ToBytes(), cancellation);
        await HttpBody.CopyAsync(reader, request, request.RequestFraming, upstream, cancellation);
        await upstream.FlushAsync(cancellation);
        HttpMessageHead response = await HttpMessageHead.ReadAsync(upstreamReader, cancellation)
            ?? throw new IOException("The registry closed the connection without answering.");
        await client.WriteAsync(response.ToBytes(), cancellation);
        await HttpBody.CopyAsync(upstreamReader, response, response.ResponseFraming(request.Method), client, cancellation);
        await client.FlushAsync(cancellation);
        return response.Status;
    }

    // ECR's answers to a missing, unknown, expired or insufficient token.
    private (int Status, string Why, string Body, (string, string)[] Headers)? Refusal(HttpMessageHead request)
    {
        string? password = BasicPassword(request.Get("Authorization"));
        if (password is null || _api.Lookup(password) is not { } token)
        {
            return (401, password is null ? "no token" : "unknown token", ErrorBody("UNAUTHORIZED", "Not Authorized"),
                [("Content-Type", "application/json; charset=utf-8"), ("WWW-Authenticate", $"Basic realm=\"https://{Host}/\",service=\"ecr.amazonaws.com\"")]);
        }
        if (token.Expires <= DateTimeOffset.UtcNow)
        {
            return (403, "expired", ErrorBody("DENIED", "Your authorization token has expired. Reauthenticate and try again."), [("Content-Type", "application/json; charset=utf-8")]);
        }
        if (!token.Key.MayPush && request.Method is "POST" or "PUT" or "PATCH" or "DELETE")
        {
            string repository = request.Path.StartsWith("/v2/", StringComparison.Ordinal) ? request.Path[4..].Split("/blobs/")[0].Split("/manifests/")[0] : "";
            string[] arn = token.Key.Arn.Split(':');
            return (403, "denied", ErrorBody("DENIED",
                $"User: {token.Key.Arn} is not authorized to perform: ecr:InitiateLayerUpload on resource: arn:aws:ecr:{_api.Region}:{arn[4]}:repository/{repository} because no identity-based policy allows the ecr:InitiateLayerUpload action"),
                [("Content-Type", "application/json; charset=utf-8")]);
        }
        return null;
    }

    private static string? BasicPassword(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        try
        {
            string decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
            return decoded.StartsWith("AWS:", StringComparison.Ordinal) ? decoded[4..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string ErrorBody(string code, string message)
        => new System.Text.Json.Nodes.JsonObject { ["errors"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["code"] = code, ["message"] = message }) }.ToJsonString();
}
