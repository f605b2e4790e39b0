using System.Net;
using System.Text;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Registry.Auth.Cloud;
using ContainerTasks.Registry.Auth.Cloud.Aws;

namespace ContainerTasks.Tests;

/// <summary>SigV4 against AWS's published test suite (aws-sig-v4-test-suite), and the pieces of the ECR credential source.</summary>
public class EcrCredentialTests
{
    private static readonly AwsCredentials SuiteKey = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", null, null, "test");
    private static readonly DateTimeOffset SuiteTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    // Each: the suite's case name, method, path and query, extra headers ("name:value|…"), body, and its published signature.
    [Theory]
    [InlineData("get-vanilla", "GET", "/", "", "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")]
    [InlineData("get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", "", "", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")]
    [InlineData("get-vanilla-query-order-value", "GET", "/?Param1=value2&Param1=value1", "", "", "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694")]
    [InlineData("get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "", "", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f")]
    [InlineData("post-x-www-form-urlencoded", "POST", "/", "Content-Type:application/x-www-form-urlencoded", "Param1=value1", "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")]
    public void SigV4_signs_the_published_test_vectors(string name, string method, string pathAndQuery, string headers, string body, string signature)
    {
        var uri = new Uri("https://example.amazonaws.com" + pathAndQuery);
        var signed = new List<KeyValuePair<string, string>> { new("Host", "example.amazonaws.com") };
        signed.AddRange(headers.Split('|', StringSplitOptions.RemoveEmptyEntries).Select(h => new KeyValuePair<string, string>(h[..h.IndexOf(':')], h[(h.IndexOf(':') + 1)..])));
        var added = SigV4Signer.Sign(method, uri, signed, Encoding.UTF8.GetBytes(body), SuiteKey, "us-east-1", "service", SuiteTime);
        string authorization = added.Single(h => h.Key == "Authorization").Value;
        Assert.True(authorization.EndsWith("Signature=" + signature, StringComparison.Ordinal), $"{name}: {authorization}");
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=", authorization);
        Assert.Equal("20150830T123600Z", added.Single(h => h.Key == "X-Amz-Date").Value);
    }

    [Fact]
    public void SigV4_with_session_credentials_sends_and_signs_the_security_token()
    {
        var session = new AwsCredentials("ASIAEXAMPLE", "secret", "session-token", null, "test");
        var added = SigV4Signer.Sign("POST", new Uri("https://api.ecr.us-east-1.amazonaws.com/"), [new("host", "api.ecr.us-east-1.amazonaws.com")], "{}"u8.ToArray(), session, "us-east-1", "ecr", SuiteTime);
        Assert.Equal("session-token", added.Single(h => h.Key == "X-Amz-Security-Token").Value);
        Assert.Contains("SignedHeaders=host;x-amz-date;x-amz-security-token,", added.Single(h => h.Key == "Authorization").Value);
    }

    [Fact]
    public void Aws_credentials_print_no_secret()
    {
        var credentials = new AwsCredentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "the-session-token", null, "environment variables");
        string text = credentials.ToString();
        Assert.Equal("environment variables, access key AKIA…MPLE", text);
        Assert.DoesNotContain("EXAMPLEKEY", text);
        Assert.DoesNotContain("session-token", text);
    }

    [Theory]
    [InlineData("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "", "https://api.ecr.eu-west-1.amazonaws.com/")]
    [InlineData("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "", "https://ecr-fips.us-gov-west-1.amazonaws.com/")]
    [InlineData("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "", "https://api.ecr.cn-north-1.amazonaws.com.cn/")]
    [InlineData("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "AWS_ENDPOINT_URL=http://127.0.0.1:9/", "http://127.0.0.1:9/")]
    [InlineData("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "AWS_ENDPOINT_URL=http://a.test/|AWS_ENDPOINT_URL_ECR=https://ecr.test/", "https://ecr.test/")]
    [InlineData("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "AWS_ENDPOINT_URL_ECR=https://ecr.test/|AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true", "https://api.ecr.eu-west-1.amazonaws.com/")]
    public void The_ECR_endpoint_is_the_regions_or_the_SDKs_override(string registry, string variables, string expected)
    {
        var environment = variables.Split('|', StringSplitOptions.RemoveEmptyEntries).ToDictionary(v => v[..v.IndexOf('=')], v => v[(v.IndexOf('=') + 1)..]);
        using var transport = new RegistryTransport(new RegistrySettings(), (string?)null, null);
        var source = new EcrCredentialSource(CloudRegistryHost.Recognize(registry)!, new CloudContext(environment, transport, null, null));
        Assert.Equal(expected, source.Endpoint.ToString());
    }

    [Fact]
    public async Task GetAuthorizationToken_is_signed_for_ecr_and_its_answer_becomes_user_AWS_until_expiresAt()
    {
        HttpRequestMessage? seen = null;
        string? body = null;
        using var transport = new RegistryTransport(new RegistrySettings(), new Answering(async request =>
        {
            seen = request;
            body = await request.Content!.ReadAsStringAsync();
            return Json(HttpStatusCode.OK, "{\"authorizationData\":[{\"authorizationToken\":\"" + Convert.ToBase64String("AWS:pass:word"u8.ToArray()) + "\",\"expiresAt\":1.8E9,\"proxyEndpoint\":\"https://x\"}]}");
        }));
        var source = Source(transport, "AWS_ENDPOINT_URL_ECR=https://ecr.test/");
        var credential = await source.ObtainAsync(CancellationToken.None);
        Assert.Equal(("AWS", "pass:word"), (credential.Username, credential.Password));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), credential.ExpiresAt);
        Assert.Equal("AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", seen!.Headers.GetValues("X-Amz-Target").Single());
        Assert.Equal("application/x-amz-json-1.1", seen.Content!.Headers.ContentType!.ToString());
        Assert.Equal("{}", body);
        string authorization = seen.Headers.GetValues("Authorization").Single();
        Assert.Matches("^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/[0-9]{8}/eu-west-1/ecr/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$", authorization);
        Assert.Contains("AKIA…MPLE", source.Description);
        Assert.DoesNotContain("pass:word", credential.ToString());
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"authorizationData\":[]}")]
    [InlineData("{\"authorizationData\":[{\"authorizationToken\":\"bm90LWF3cw==\"}]}")]
    [InlineData("{\"authorizationData\":[{\"authorizationToken\":\"%%%\"}]}")]
    [InlineData("[1]")]
    [InlineData("{\"authorizationData\":[1]}")]
    [InlineData("<html/>")]
    public async Task An_answer_without_an_AWS_token_is_CT3022(string answer)
    {
        using var transport = new RegistryTransport(new RegistrySettings(), new Answering(_ => Task.FromResult(Json(HttpStatusCode.OK, answer))));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => Source(transport, "AWS_ENDPOINT_URL_ECR=https://ecr.test/").ObtainAsync(CancellationToken.None));
        Assert.Equal(ErrorCodes.CloudTokenServiceError, error.Code);
    }

    [Fact]
    public async Task A_plain_http_endpoint_that_is_not_loopback_is_refused_with_CT3009_before_anything_is_sent()
    {
        bool sent = false;
        using var transport = new RegistryTransport(new RegistrySettings(), new Answering(_ => { sent = true; return Task.FromResult(Json(HttpStatusCode.OK, "{}")); }));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => Source(transport, "AWS_ENDPOINT_URL_ECR=http://ecr.example/").ObtainAsync(CancellationToken.None));
        Assert.Equal(ErrorCodes.InsecureCredentials, error.Code);
        Assert.False(sent);
        Assert.DoesNotContain("the-session", error.Message);
    }

    [Theory]
    [InlineData("https://user:hunter2@ecr.test/")]
    [InlineData("user:hunter2@ecr.test")]
    public async Task An_endpoint_with_a_user_name_or_password_is_CT3022_without_printing_them(string endpoint)
    {
        bool sent = false;
        using var transport = new RegistryTransport(new RegistrySettings(), new Answering(_ => { sent = true; return Task.FromResult(Json(HttpStatusCode.OK, "{}")); }));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => Source(transport, $"AWS_ENDPOINT_URL_ECR={endpoint}").ObtainAsync(CancellationToken.None));
        Assert.Equal(ErrorCodes.CloudTokenServiceError, error.Code);
        Assert.DoesNotContain("hunter2", error.Message);
        Assert.False(sent);
    }

    [Fact]
    public async Task An_error_that_echoes_the_session_token_is_quoted_without_it()
    {
        // A real session token is about 1,000 characters: longer than a quoted message is kept.
        string session = "IQoJb3JpZ2luX2VjE" + new string('x', 1000) + "END";
        using var transport = new RegistryTransport(new RegistrySettings(), new Answering(request =>
            Task.FromResult(Json(HttpStatusCode.BadRequest, "not json: " + request.Headers.GetValues("X-Amz-Security-Token").Single()))));
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => Source(transport, "AWS_ENDPOINT_URL_ECR=https://ecr.test/", session: session).ObtainAsync(CancellationToken.None));
        Assert.Equal(ErrorCodes.CloudTokenServiceError, error.Code);
        Assert.DoesNotContain("IQoJb3JpZ2luX2VjE", error.Message);
        Assert.DoesNotContain("xxxxxxxx", error.Message);
        Assert.Contains("not json: ***", error.Message);
    }

    [Fact]
    public async Task An_ECR_token_got_with_a_roles_session_keys_is_renewed_before_those_keys_end()
    {
        DateTimeOffset keysEnd = DateTimeOffset.UtcNow.AddMinutes(15);
        using var transport = new RegistryTransport(new RegistrySettings(), new Answering(_ => Task.FromResult(Json(HttpStatusCode.OK,
            "{\"authorizationData\":[{\"authorizationToken\":\"" + Convert.ToBase64String("AWS:pw"u8.ToArray()) + "\",\"expiresAt\":" + DateTimeOffset.UtcNow.AddHours(12).ToUnixTimeSeconds() + "}]}"))));
        RegistryCredential credential = await Source(transport, "AWS_ENDPOINT_URL_ECR=https://ecr.example/", keysEnd).ObtainAsync(CancellationToken.None);
        Assert.Equal(keysEnd, credential.ExpiresAt);
    }

    private static EcrCredentialSource Source(RegistryTransport transport, string variables, DateTimeOffset? keysEnd = null, string session = "the-session")
    {
        var environment = variables.Split('|').ToDictionary(v => v[..v.IndexOf('=')], v => v[(v.IndexOf('=') + 1)..]);
        var credentials = new AwsCredentials("AKIAIOSFODNN7EXAMPLE", "secret", session, keysEnd, "test keys");
        return new EcrCredentialSource(CloudRegistryHost.Recognize("123456789012.dkr.ecr.eu-west-1.amazonaws.com")!,
            new CloudContext(environment, transport, null, null), () => new FixedIdentity(credentials));
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string body)
        => new(status) { Content = new StringContent(body, Encoding.UTF8, "application/x-amz-json-1.1") };

    private sealed class FixedIdentity(AwsCredentials credentials) : IAwsIdentity
    {
        public Task<AwsCredentials> GetCredentialsAsync(IReadOnlyDictionary<string, string> environment, string region, CancellationToken cancellationToken) => Task.FromResult(credentials);
    }

    private sealed class Answering(Func<HttpRequestMessage, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            HttpResponseMessage response = await answer(request);
            response.RequestMessage = request;
            return response;
        }
    }

    [Theory]
    [InlineData("{\"__type\":\"AccessDeniedException\",\"message\":\"User: arn:aws:iam::1:user/x is not authorized\"}", null, "AccessDeniedException", "User: arn:aws:iam::1:user/x is not authorized")]
    [InlineData("{\"__type\":\"com.amazonaws.ecr#UnrecognizedClientException\",\"Message\":\"The security token included in the request is invalid.\"}", null, "UnrecognizedClientException", "The security token included in the request is invalid.")]
    [InlineData("{\"message\":\"Signature expired\"}", "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/", "InvalidSignatureException", "Signature expired")]
    [InlineData("<html>oops</html>", null, "BadRequest", "<html>oops</html>")]
    public void AWS_JSON_errors_are_read_by_type_and_message(string body, string? header, string type, string message)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.BadRequest) { ReasonPhrase = "Bad Request" };
        if (header is not null)
        {
            response.Headers.TryAddWithoutValidation("x-amzn-ErrorType", header);
        }
        Assert.Equal((type, message), AwsError.Read(response, body));
    }
}
