using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Web;

namespace ContainerTasks.Tests.Infrastructure.Registries.Cloud;

/// <summary>
/// The OIDC token services of two CI systems, over HTTPS on 127.0.0.1, giving a job's federated token:
/// <list type="bullet">
/// <item>GitHub Actions (<c>ACTIONS_ID_TOKEN_REQUEST_URL</c> = <see cref="GitHubRequestUrl"/>): <c>GET …?audience=A</c> with
/// <c>Authorization: Bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN</c> → <c>{"count": 1, "value": JWT}</c>.</item>
/// <item>Azure Pipelines (<c>SYSTEM_OIDCREQUESTURI</c> = <see cref="PipelinesRequestUri"/>): <c>POST …?api-version=7.1&amp;serviceConnectionId=ID</c>
/// with <c>Authorization: Bearer SYSTEM_ACCESSTOKEN</c> → <c>{"oidcToken": JWT}</c>.</item>
/// </list>
/// The token is <paramref name="federatedToken"/> for audience <c>api://AzureADTokenExchange</c> (GitHub) or the known
/// service connection (Pipelines); another audience gets another token, which Entra ID's federated credential does not match.
/// A wrong bearer gets 401.
/// </summary>
public sealed class CiOidcProtocolFake(X509Certificate2 certificate, string federatedToken) : IAsyncDisposable
{
    /// <summary>The request token GitHub gives the job.</summary>
    public const string GitHubRequestToken = "ghs-request-token-0a1b2c3d4e5f";

    /// <summary>The pipeline's System.AccessToken.</summary>
    public const string PipelinesAccessToken = "ado-system-access-token-9z8y7x";

    /// <summary>The service connection's id.</summary>
    public const string ServiceConnection = "5d6e7f80-9102-4a3b-8c4d-5e6f7a8b9c0d";

    private readonly Recorded<string> _requests = new();
    private HttpsLoopbackServer? _server;

    /// <summary>Starts the services.</summary>
    public CiOidcProtocolFake Start()
    {
        _server = new HttpsLoopbackServer(certificate, ServeAsync).Start();
        return this;
    }

    /// <summary>For <c>ACTIONS_ID_TOKEN_REQUEST_URL</c> (with a query already, as GitHub's has).</summary>
    public string GitHubRequestUrl => $"https://127.0.0.1:{_server!.Port}/github/token?api-version=2.0";

    /// <summary>For <c>SYSTEM_OIDCREQUESTURI</c>.</summary>
    public string PipelinesRequestUri => $"https://127.0.0.1:{_server!.Port}/pipelines/oidctoken";

    /// <summary>Each request's method, target and status.</summary>
    public IReadOnlyList<string> Requests => _requests.Snapshot();

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;

    private async Task<bool> ServeAsync(HttpMessageHead head, HttpReader reader, Stream stream, CancellationToken cancellation)
    {
        await HttpBody.ReadAsync(reader, head, cancellation);
        var query = HttpUtility.ParseQueryString(head.Target.Split('?', 2) is [_, var q] ? q : "");
        string bearer = head.Get("Authorization") is { } authorization && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..] : "";
        (int status, JsonNode body) = (head.Method, head.Path) switch
        {
            ("GET", "/github/token") when bearer == GitHubRequestToken
                => (200, new JsonObject { ["count"] = 1, ["value"] = query["audience"] == "api://AzureADTokenExchange" ? federatedToken : "token-for-" + query["audience"] }),
            ("POST", "/pipelines/oidctoken") when bearer == PipelinesAccessToken && query["api-version"] is not null
                => (200, new JsonObject { ["oidcToken"] = query["serviceConnectionId"] == ServiceConnection ? federatedToken : "token-of-another-connection" }),
            ("GET", "/github/token") or ("POST", "/pipelines/oidctoken") => (401, new JsonObject { ["message"] = "Bad credentials" }),
            _ => (404, new JsonObject { ["message"] = "Not found" }),
        };
        _requests.Add($"{head.Method} {head.Target} {status}");
        await HttpsLoopbackServer.AnswerAsync(stream, status, body, cancellation);
        return true;
    }
}
