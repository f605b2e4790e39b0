using System.Net;
using System.Text;
using System.Web;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth.Cloud;
using ContainerTasks.Registry.Auth.Cloud.Azure;

namespace ContainerTasks.Tests;

/// <summary>ACR credentials from an Azure identity, piece by piece: the cloud's endpoints, the exchange, the expiry; no network.</summary>
public sealed class AzureCredentialSourceTests
{
    private static readonly RegistrySettings Fast = new() { RetryBaseDelay = TimeSpan.FromMilliseconds(1), RetryMaxDelay = TimeSpan.FromMilliseconds(5) };

    [Theory]
    [InlineData("myreg.azurecr.io", "https://login.microsoftonline.com/", "https://containerregistry.azure.net/.default")]
    [InlineData("myreg.azurecr.cn", "https://login.chinacloudapi.cn/", "https://containerregistry.azure.net/.default")]
    [InlineData("myreg.azurecr.us", "https://login.microsoftonline.us/", "https://containerregistry.azure.net/.default")]
    public void Each_cloud_has_its_authority_and_the_token_is_for_registries_only(string registry, string authority, string scope)
    {
        AzureCloudEndpoints endpoints = AzureCloudEndpoints.For(CloudRegistryHost.Recognize(registry)!, Context(new Dictionary<string, string>()));
        Assert.Equal(authority, endpoints.AuthorityHost.ToString());
        Assert.Equal(scope, endpoints.Scope);
        Assert.True(endpoints.KnownAuthority);
    }

    [Fact]
    public void AZURE_AUTHORITY_HOST_overrides_the_authority_and_an_unknown_one_is_used_without_instance_discovery()
    {
        var host = CloudRegistryHost.Recognize("myreg.azurecr.io")!;
        Assert.Equal("https://login.microsoftonline.us/", AzureCloudEndpoints.For(host, Context(new() { ["AZURE_AUTHORITY_HOST"] = "https://login.microsoftonline.us" })).AuthorityHost.ToString());
        AzureCloudEndpoints stack = AzureCloudEndpoints.For(host, Context(new() { ["AZURE_AUTHORITY_HOST"] = "https://adfs.stack.local:8443/adfs" }));
        Assert.Equal("https://adfs.stack.local:8443/", stack.AuthorityHost.ToString());
        Assert.False(stack.KnownAuthority);
        var e = Assert.Throws<ContainerTasksException>(() => AzureCloudEndpoints.For(host, Context(new() { ["AZURE_AUTHORITY_HOST"] = "http://login.example" })));
        Assert.Equal(ErrorCodes.CloudIdentityNotFound, e.Code);
    }

    [Fact]
    public void JWT_claims_are_read_without_trusting_them_and_garbage_is_null()
    {
        string token = Jwt(new { exp = 1_900_000_000, tid = "tenant-1" });
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_900_000_000), JwtClaims.Expiry(token));
        Assert.Equal("tenant-1", JwtClaims.Text(token, "tid"));
        Assert.Null(JwtClaims.Expiry("not-a-jwt"));
        Assert.Null(JwtClaims.Expiry("a.!!!.c"));
        Assert.Null(JwtClaims.Expiry(Jwt(new { exp = "soon" })));
    }

    [Fact]
    public async Task The_exchange_posts_the_form_ACR_documents_and_the_refresh_token_expires_at_its_exp()
    {
        string refresh = Jwt(new { exp = 1_900_000_000 });
        string? form = null;
        using var transport = new RegistryTransport(Fast, new Handler(async request =>
        {
            Assert.Equal("https://myreg.azurecr.io/oauth2/exchange", request.RequestUri!.ToString());
            form = await request.Content!.ReadAsStringAsync();
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent($$"""{"refresh_token":"{{refresh}}"}""") };
        }));
        var source = new AcrCredentialSource(CloudRegistryHost.Recognize("myreg.azurecr.io")!, Context([], transport), () => new Identity("aad-token", "tenant-9"));
        Assert.Equal("the build's Azure identity (for myreg.azurecr.io)", source.Description);
        var credential = await source.ObtainAsync(CancellationToken.None);
        Assert.Equal(refresh, credential.IdentityToken);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_900_000_000), credential.ExpiresAt);
        Assert.Equal("Azure test identity, exchanged at myreg.azurecr.io", source.Description);
        var fields = HttpUtility.ParseQueryString(form!);
        Assert.Equal(("access_token", "myreg.azurecr.io", "tenant-9", "aad-token"), (fields["grant_type"], fields["service"], fields["tenant"], fields["access_token"]));
        Assert.DoesNotContain("aad-token", credential.ToString());
    }

    [Fact]
    public async Task A_refresh_token_without_exp_lives_three_hours_and_a_refused_exchange_is_CT3022_naming_the_identity()
    {
        var answers = new Queue<HttpResponseMessage>([
            new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"refresh_token":"opaque"}""") },
            new HttpResponseMessage(HttpStatusCode.Unauthorized) { Content = new StringContent("""{"errors":[{"code":"UNAUTHORIZED","message":"aad-token is not allowed"}]}""") },
        ]);
        using var transport = new RegistryTransport(Fast, new Handler(_ => Task.FromResult(answers.Dequeue())));
        var source = new AcrCredentialSource(CloudRegistryHost.Recognize("myreg.azurecr.io")!, Context([], transport), () => new Identity("aad-token", null));
        var credential = await source.ObtainAsync(CancellationToken.None);
        Assert.InRange(credential.ExpiresAt!.Value - DateTimeOffset.UtcNow, TimeSpan.FromHours(2.9), TimeSpan.FromHours(3.1));
        var e = await Assert.ThrowsAsync<ContainerTasksException>(() => source.ObtainAsync(CancellationToken.None));
        Assert.Equal(ErrorCodes.CloudTokenServiceError, e.Code);
        Assert.Contains("Azure test identity", e.Message);
        Assert.Contains("AcrPush", e.Message);
        Assert.DoesNotContain("aad-token", e.Message);
    }

    private static CloudContext Context(Dictionary<string, string> environment, RegistryTransport? transport = null)
        => new(environment, transport ?? new RegistryTransport(Fast), null, null);

    private static string Jwt(object claims)
    {
        static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return B64("""{"alg":"none"}""") + "." + B64(System.Text.Json.JsonSerializer.Serialize(claims)) + ".sig";
    }

    private sealed class Identity(string token, string? tenant) : IAzureIdentity
    {
        public Task<AzureAccessToken> GetTokenAsync(AzureTokenRequest request, CancellationToken cancellationToken)
            => Task.FromResult(new AzureAccessToken(token, "Azure test identity", tenant));
    }

    private sealed class Handler(Func<HttpRequestMessage, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => answer(request);
    }
}
