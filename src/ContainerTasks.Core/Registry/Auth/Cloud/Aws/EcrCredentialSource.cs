using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ContainerTasks.Registry.Auth.Cloud.Aws;

/// <summary>
/// Credentials for an Amazon ECR registry from the build's AWS identity: the AWS credentials of the standard chain
/// (<see cref="IAwsIdentity"/>), with which ECR's <c>GetAuthorizationToken</c> (JSON 1.1 protocol, SigV4-signed) gives a
/// registry password for the user <c>AWS</c>, valid 12 hours. The API endpoint is ECR's of the registry's region and
/// partition (<c>ecr-fips</c> for a FIPS registry), or the SDKs' standard override <c>AWS_ENDPOINT_URL_ECR</c>, then
/// <c>AWS_ENDPOINT_URL</c>.
/// </summary>
internal sealed class EcrCredentialSource : ICredentialSource
{
    /// <summary>The type in <c>ContainerTasks.Cloud</c> implementing <see cref="IAwsIdentity"/>.</summary>
    public const string IdentityTypeName = "ContainerTasks.Cloud.Aws.AwsIdentity";

    private const string Target = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";
    private readonly CloudRegistryHost _host;
    private readonly CloudContext _context;
    private readonly Func<IAwsIdentity> _createIdentity;
    private IAwsIdentity? _identity;
    private AwsCredentials? _last;

    /// <param name="host">The registry.</param>
    /// <param name="context">The build's environment and transport.</param>
    /// <param name="createIdentity">Makes the identity (default: from the cloud libraries); tests pass their own.</param>
    public EcrCredentialSource(CloudRegistryHost host, CloudContext context, Func<IAwsIdentity>? createIdentity = null)
    {
        _host = host;
        _context = context;
        _createIdentity = createIdentity ?? (() => CloudLibraries.Create<IAwsIdentity>(IdentityTypeName, context.Log));
    }

    /// <summary>The source for <paramref name="host"/>.</summary>
    public static ICredentialSource Create(CloudRegistryHost host, CloudContext context) => new EcrCredentialSource(host, context);

    /// <inheritdoc/>
    public string Description => _last is { } credentials
        ? $"AWS {credentials} (ECR GetAuthorizationToken for {_host.Host})"
        : $"the build's AWS identity (ECR GetAuthorizationToken for {_host.Host})";

    /// <summary>The ECR API endpoint for this registry.</summary>
    public Uri Endpoint
    {
        get
        {
            string? configured = string.Equals(_context.Variable("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true", StringComparison.OrdinalIgnoreCase) ? null
                : _context.Variable("AWS_ENDPOINT_URL_ECR") ?? _context.Variable("AWS_ENDPOINT_URL");
            if (configured is not null)
            {
                // A user name or password in the URL would show in logs and messages: such a URL is refused, unprinted.
                return Uri.TryCreate(configured, UriKind.Absolute, out Uri? uri) && uri.Scheme is "https" or "http" && uri.UserInfo.Length == 0
                    ? uri
                    : uri?.UserInfo.Length > 0
                    ? throw new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
                        $"The ECR endpoint (AWS_ENDPOINT_URL_ECR or AWS_ENDPOINT_URL) carries a user name or password, which AWS endpoints never take. Set it to the API endpoint, e.g. https://api.ecr.{_host.Region}.amazonaws.com, or unset it.")
                    : throw new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
                        $"The ECR endpoint (AWS_ENDPOINT_URL_ECR or AWS_ENDPOINT_URL) is not an http(s) URL (it is not printed: it may hold a secret). Set it to the API endpoint, e.g. https://api.ecr.{_host.Region}.amazonaws.com, or unset it.");
            }
            return new Uri(_host.Fips ? $"https://ecr-fips.{_host.Region}.{_host.Suffix}/" : $"https://api.ecr.{_host.Region}.{_host.Suffix}/");
        }
    }

    /// <inheritdoc/>
    public async Task<RegistryCredential> ObtainAsync(CancellationToken cancellationToken)
    {
        AwsCredentials credentials = await CredentialsAsync(cancellationToken).ConfigureAwait(false);
        _last = credentials;
        Uri endpoint = CheckedEndpoint(credentials);
        _context.Log?.Invoke($"Asking {endpoint.GetLeftPart(UriPartial.Authority)} (ECR GetAuthorizationToken) for a token for {_host.Host} as {credentials}.");
        var request = new TokenServiceRequest(_context.Transport, $"getting an ECR token for {_host.Host}", $"the ECR API of {_host.Region}",
            "Check the network and proxy settings (HTTPS_PROXY, NO_PROXY), and AWS_ENDPOINT_URL_ECR if set.", _context.Notice, ErrorCodes.CloudTokenServiceError);
        using HttpResponseMessage response = await request.SendAsync(() => SignedRequest(endpoint, credentials), cancellationToken).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw Refused(response, body, credentials);
        }
        var (password, tokenExpiresAt) = ReadToken(body);
        // Temporary keys (a role's session) that end sooner: the token is obtained again with new keys before then.
        DateTimeOffset expiresAt = credentials.Expiration is { } keysEnd && keysEnd < tokenExpiresAt ? keysEnd : tokenExpiresAt;
        _context.Notice?.Invoke($"Credentials for {_host.Host}: ECR token from AWS {credentials}, valid until {expiresAt:u}.");
        return RegistryCredential.FromUserPassword("AWS", password, Description).ExpiringAt(expiresAt);
    }

    private async Task<AwsCredentials> CredentialsAsync(CancellationToken cancellationToken)
    {
        try
        {
            _identity ??= _createIdentity();
            return await _identity.GetCredentialsAsync(_context.Environment, _host.Region!, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (ContainerTasksException or OperationCanceledException))
        {
            // The SDK's own failures (a broken profile, an unsupported provider) say what is wrong in their message.
            throw new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
                $"The AWS credentials for {_host.Host} could not be obtained: {e.GetType().Name}: {RegistryText.Clean(e.Message)}. Check the AWS configuration of the build (environment, AWS_PROFILE, ~/.aws/config).", e);
        }
    }

    // The session token and the signature travel in headers: only over HTTPS, or to a loopback or insecure-listed endpoint.
    private Uri CheckedEndpoint(AwsCredentials credentials)
    {
        Uri endpoint = Endpoint;
        if (endpoint.Scheme == "http" && !_context.Transport.Settings.IsInsecure(endpoint.Authority) && !_context.Transport.Settings.IsInsecure(endpoint.Host))
        {
            throw new ContainerTasksException(ErrorCodes.InsecureCredentials,
                $"The ECR endpoint {endpoint.GetLeftPart(UriPartial.Authority)} is plain HTTP; the request signed as {credentials} was not sent. Use https, or list {endpoint.Authority} in DOTNET_CONTAINER_INSECURE_REGISTRIES if that is intended (a test endpoint).");
        }
        return endpoint;
    }

    // Signed again for every attempt: a signature is valid 5 minutes from its X-Amz-Date.
    private HttpRequestMessage SignedRequest(Uri endpoint, AwsCredentials credentials)
    {
        byte[] body = "{}"u8.ToArray();
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", Target);
        KeyValuePair<string, string>[] signed =
        [
            new("host", endpoint.Authority),
            new("content-type", "application/x-amz-json-1.1"),
            new("x-amz-target", Target),
        ];
        foreach (var (name, value) in SigV4Signer.Sign("POST", endpoint, signed, body, credentials, _host.Region!, "ecr", DateTimeOffset.UtcNow))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return request;
    }

    private (string Password, DateTimeOffset ExpiresAt) ReadToken(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("authorizationData", out JsonElement data) && data.ValueKind == JsonValueKind.Array && data.GetArrayLength() > 0
                && data[0].TryGetProperty("authorizationToken", out JsonElement token) && token.ValueKind == JsonValueKind.String
                && Encoding.UTF8.GetString(Convert.FromBase64String(token.GetString()!)) is { } decoded && decoded.StartsWith("AWS:", StringComparison.Ordinal))
            {
                DateTimeOffset expiresAt = data[0].TryGetProperty("expiresAt", out JsonElement e) && e.ValueKind == JsonValueKind.Number
                    ? DateTimeOffset.UnixEpoch.AddSeconds(e.GetDouble())
                    : DateTimeOffset.UtcNow.AddHours(12);
                return (decoded[4..], expiresAt);
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException or InvalidOperationException)
        {
            // Below: the same message for every malformed answer.
        }
        throw new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
            $"The ECR API answered GetAuthorizationToken for {_host.Host} without an authorization token of the form base64(\"AWS:password\"). Check AWS_ENDPOINT_URL_ECR and any proxy in between.");
    }

    private ContainerTasksException Refused(HttpResponseMessage response, string body, AwsCredentials credentials)
    {
        // An endpoint that echoes the request would put its session token in the message.
        var (type, message) = AwsError.Read(response, body, credentials.SessionToken);
        string hint = type switch
        {
            "AccessDeniedException" => "Allow the identity ecr:GetAuthorizationToken (and the push and pull actions on the repository) in IAM.",
            "UnrecognizedClientException" or "InvalidClientTokenId" => "AWS does not know this access key: check AWS_ACCESS_KEY_ID or the profile, and that the key is active.",
            "InvalidSignatureException" or "SignatureDoesNotMatch" => "The secret key does not belong to this access key id: check AWS_SECRET_ACCESS_KEY or the profile.",
            "ExpiredTokenException" or "ExpiredToken" => "The session credentials expired: renew them (AWS_SESSION_TOKEN) or let the build assume a role (web identity, profile).",
            _ => "Check the identity's IAM permissions and the region of the registry.",
        };
        return new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
            $"Amazon ECR refused GetAuthorizationToken for {_host.Host} to AWS {credentials}: {(int)response.StatusCode} {type}: {message}. {hint}");
    }
}
