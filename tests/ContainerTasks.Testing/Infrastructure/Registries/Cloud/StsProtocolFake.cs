using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security;
using System.Text;
using System.Web;

namespace ContainerTasks.Tests.Infrastructure.Registries.Cloud;

/// <summary>One AssumeRoleWithWebIdentity call the <see cref="StsProtocolFake"/> answered.</summary>
/// <param name="RoleArn">The role asked for.</param>
/// <param name="SessionName">The session name.</param>
/// <param name="Status">The status answered.</param>
public sealed record StsCall(string? RoleArn, string? SessionName, int Status);

/// <summary>
/// AWS STS's <c>AssumeRoleWithWebIdentity</c> over plain HTTP on 127.0.0.1 (reached through <c>AWS_ENDPOINT_URL_STS</c>):
/// the AWS Query protocol (<c>POST /</c>, form <c>Action=AssumeRoleWithWebIdentity&amp;Version=2011-06-15&amp;RoleArn=…&amp;
/// RoleSessionName=…&amp;WebIdentityToken=…</c>, unsigned) answered with STS's XML. The one token and role it accepts
/// give session credentials (ASIA… key, secret, session token, 1 hour), which it registers with the
/// <see cref="EcrApiProtocolFake"/>; anything else is 403 <c>AccessDenied</c>.
/// </summary>
public sealed class StsProtocolFake : IAsyncDisposable
{
    private readonly LoopbackListener _listener;
    private readonly EcrApiProtocolFake _ecr;
    private readonly string _token;
    private readonly string _roleArn;
    private readonly Recorded<StsCall> _calls = new();
    private readonly Recorded<string> _secrets = new();

    /// <summary>Accepts <paramref name="webIdentityToken"/> for <paramref name="roleArn"/>; issued keys go to <paramref name="ecr"/>.</summary>
    public StsProtocolFake(EcrApiProtocolFake ecr, string webIdentityToken, string roleArn)
    {
        _ecr = ecr;
        _token = webIdentityToken;
        _roleArn = roleArn;
        _listener = new LoopbackListener(ServeAsync);
    }

    /// <summary><c>http://127.0.0.1:PORT</c>, for <c>AWS_ENDPOINT_URL_STS</c>.</summary>
    public string Endpoint => $"http://{_listener.Address}";

    /// <summary>Every call so far.</summary>
    public IReadOnlyList<StsCall> Calls => _calls.Snapshot();

    /// <summary>Every secret key and session token issued (to check that none appears in a build's output).</summary>
    public IReadOnlyList<string> Secrets => _secrets.Snapshot();

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private async Task ServeAsync(TcpClient client, CancellationToken cancellation)
    {
        Stream stream = client.GetStream();
        var reader = new HttpReader(stream);
        while (await HttpMessageHead.ReadAsync(reader, cancellation) is { } head)
        {
            var form = HttpUtility.ParseQueryString(Encoding.UTF8.GetString(await HttpBody.ReadAsync(reader, head, cancellation)));
            var (status, xml) = Handle(head, form);
            _calls.Add(new(form["RoleArn"], form["RoleSessionName"], status));
            await HttpBody.WriteResponseAsync(stream, status, status == 200 ? "OK" : "Forbidden", Encoding.UTF8.GetBytes(xml), cancellation, ("Content-Type", "text/xml"));
            if (head.WantsClose)
            {
                return;
            }
        }
    }

    private (int Status, string Xml) Handle(HttpMessageHead head, System.Collections.Specialized.NameValueCollection form)
    {
        if (head.Method != "POST" || form["Action"] != "AssumeRoleWithWebIdentity" || form["Version"] != "2011-06-15")
        {
            return Error(400, "InvalidAction", "Could not find operation.");
        }
        if (form["WebIdentityToken"] != _token || form["RoleArn"] != _roleArn)
        {
            return Error(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");
        }
        var key = new AwsTestKey("ASIA" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)), Convert.ToBase64String(RandomNumberGenerator.GetBytes(30)),
            "session-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(32)), $"{_roleArn.Replace(":iam:", ":sts:").Replace(":role/", ":assumed-role/")}/{form["RoleSessionName"]}");
        _secrets.Add(key.Secret);
        _secrets.Add(key.SessionToken!);
        _ecr.AddKey(key);
        string expiration = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return (200, $"""
            <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleWithWebIdentityResult>
                <SubjectFromWebIdentityToken>repo:example/app:ref:refs/heads/main</SubjectFromWebIdentityToken>
                <Audience>sts.amazonaws.com</Audience>
                <AssumedRoleUser>
                  <Arn>{SecurityElement.Escape(key.Arn)}</Arn>
                  <AssumedRoleId>AROAEXAMPLE:{SecurityElement.Escape(form["RoleSessionName"])}</AssumedRoleId>
                </AssumedRoleUser>
                <Credentials>
                  <SessionToken>{key.SessionToken}</SessionToken>
                  <SecretAccessKey>{key.Secret}</SecretAccessKey>
                  <Expiration>{expiration}</Expiration>
                  <AccessKeyId>{key.AccessKeyId}</AccessKeyId>
                </Credentials>
                <Provider>token.actions.githubusercontent.com</Provider>
              </AssumeRoleWithWebIdentityResult>
              <ResponseMetadata><RequestId>{Guid.NewGuid()}</RequestId></ResponseMetadata>
            </AssumeRoleWithWebIdentityResponse>
            """);
    }

    private static (int, string) Error(int status, string code, string message)
        => (status, $"""
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <Error><Type>Sender</Type><Code>{code}</Code><Message>{SecurityElement.Escape(message)}</Message></Error>
              <RequestId>{Guid.NewGuid()}</RequestId>
            </ErrorResponse>
            """);
}
