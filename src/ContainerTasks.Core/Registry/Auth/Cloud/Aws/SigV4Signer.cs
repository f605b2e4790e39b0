using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ContainerTasks.Registry.Auth.Cloud.Aws;

/// <summary>
/// AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html)
/// for one request whose body is in memory. Written here because AWSSDK.Core's signer needs a service client's request
/// model; it is checked against AWS's published test vectors. Query strings and paths are taken as already encoded
/// (ours are <c>/</c> with no query).
/// </summary>
internal static class SigV4Signer
{
    /// <summary>The signing algorithm's name, first word of the Authorization header.</summary>
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>
    /// The headers to add: <c>X-Amz-Date</c>, <c>X-Amz-Security-Token</c> (session credentials) and <c>Authorization</c>.
    /// <paramref name="headers"/> are the other headers to sign (at least <c>host</c>), names in any case.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Sign(string method, Uri uri, IEnumerable<KeyValuePair<string, string>> headers, byte[] body,
        AwsCredentials credentials, string region, string service, DateTimeOffset now)
    {
        string amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var added = new List<KeyValuePair<string, string>> { new("X-Amz-Date", amzDate) };
        if (credentials.SessionToken is { } token)
        {
            added.Add(new("X-Amz-Security-Token", token));
        }
        string scope = $"{amzDate[..8]}/{region}/{service}/aws4_request";
        var (canonical, signedHeaders) = CanonicalRequest(method, uri, headers.Concat(added), body);
        string stringToSign = $"{Algorithm}\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        string signature = Hex(HMACSHA256.HashData(SigningKey(credentials.SecretAccessKey, amzDate[..8], region, service), Encoding.UTF8.GetBytes(stringToSign)));
        added.Add(new("Authorization", $"{Algorithm} Credential={credentials.AccessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}"));
        return added;
    }

    /// <summary>The canonical request and the signed header list (lower-case names, sorted, values trimmed, inner spaces squeezed).</summary>
    internal static (string Canonical, string SignedHeaders) CanonicalRequest(string method, Uri uri, IEnumerable<KeyValuePair<string, string>> headers, byte[] body)
    {
        var byName = headers
            .GroupBy(h => h.Key.Trim().ToLowerInvariant())
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (Name: g.Key, Value: string.Join(',', g.Select(h => Squeeze(h.Value)))))
            .ToList();
        string signedHeaders = string.Join(';', byName.Select(h => h.Name));
        var canonical = new StringBuilder()
            .Append(method).Append('\n')
            .Append(uri.AbsolutePath.Length == 0 ? "/" : uri.AbsolutePath).Append('\n')
            .Append(CanonicalQuery(uri.Query)).Append('\n');
        foreach (var (name, value) in byName)
        {
            canonical.Append(name).Append(':').Append(value).Append('\n');
        }
        canonical.Append('\n').Append(signedHeaders).Append('\n').Append(Hex(SHA256.HashData(body)));
        return (canonical.ToString(), signedHeaders);
    }

    /// <summary>The key of one day, region and service: HMAC chain from <c>AWS4</c> + the secret.</summary>
    internal static byte[] SigningKey(string secret, string date, string region, string service)
    {
        byte[] key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secret), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(key, "aws4_request"u8.ToArray());
    }

    // Parameters sorted by name then value; an absent value is an empty one ("a" → "a=").
    private static string CanonicalQuery(string query)
        => string.Join('&', query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Contains('=') ? p : p + "=")
            .OrderBy(p => p[..p.IndexOf('=')], StringComparer.Ordinal).ThenBy(p => p, StringComparer.Ordinal));

    private static string Squeeze(string value) => string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
