namespace ContainerTasks.Registry.Auth.Cloud.Aws;

/// <summary>
/// The build's AWS identity, from the standard credential chain (implemented with AWSSDK.Core in
/// <c>ContainerTasks.Cloud</c>, loaded by <see cref="CloudLibraries"/>). Only BCL and core types cross this boundary.
/// </summary>
internal interface IAwsIdentity
{
    /// <summary>
    /// The credentials of the first source of the chain that has some. <paramref name="region"/> is the registry's, for the
    /// STS call of a web identity. Nothing found: CT3021 listing the sources; a source that fails (STS refused): CT3022.
    /// </summary>
    Task<AwsCredentials> GetCredentialsAsync(IReadOnlyDictionary<string, string> environment, string region, CancellationToken cancellationToken);
}

/// <summary>AWS credentials and where they came from. A class, not a record: <see cref="ToString"/> shows no secret.</summary>
internal sealed class AwsCredentials
{
    /// <param name="accessKeyId">The access key id (not secret: it names the key).</param>
    /// <param name="secretAccessKey">The secret key.</param>
    /// <param name="sessionToken">The session token of temporary credentials, or null.</param>
    /// <param name="expiration">When temporary credentials expire, when known.</param>
    /// <param name="source">Which source of the chain, e.g. <c>web identity (role arn:aws:iam::123456789012:role/ci)</c>.</param>
    public AwsCredentials(string accessKeyId, string secretAccessKey, string? sessionToken, DateTimeOffset? expiration, string source)
    {
        AccessKeyId = accessKeyId;
        SecretAccessKey = secretAccessKey;
        SessionToken = string.IsNullOrEmpty(sessionToken) ? null : sessionToken;
        Expiration = expiration;
        Source = source;
    }

    /// <summary>The access key id.</summary>
    public string AccessKeyId { get; }

    /// <summary>The secret access key.</summary>
    public string SecretAccessKey { get; }

    /// <summary>The session token, or null.</summary>
    public string? SessionToken { get; }

    /// <summary>When the credentials expire, when known.</summary>
    public DateTimeOffset? Expiration { get; }

    /// <summary>The source of the chain that had them.</summary>
    public string Source { get; }

    /// <summary>The access key id shortened for messages: <c>AKIA…WXYZ</c>.</summary>
    public string ShortKeyId => AccessKeyId.Length > 8 ? $"{AccessKeyId[..4]}…{AccessKeyId[^4..]}" : "…";

    /// <summary>The source and the shortened key id; never a secret.</summary>
    public override string ToString() => $"{Source}, access key {ShortKeyId}";
}
