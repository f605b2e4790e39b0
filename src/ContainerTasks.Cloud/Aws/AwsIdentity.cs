using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.SharedInterfaces;
using Amazon.SecurityToken;
using ContainerTasks.Registry.Auth.Cloud;
using ContainerTasks.Registry.Auth.Cloud.Aws;

namespace ContainerTasks.Cloud.Aws;

/// <summary>
/// The build's AWS credentials from the standard chain of the AWS SDKs, in its order: environment variables, web identity
/// (token file and role, as CI systems and EKS provide), the shared profile (<c>AWS_PROFILE</c> or <c>default</c>), the
/// container credentials endpoint (ECS, EKS Pod Identity), EC2 instance metadata. The sources are tried one by one here,
/// rather than through <c>DefaultAWSCredentialsIdentityResolver</c>, to know which one answered, to pass what the SDK lets us
/// pass from the build's environment snapshot (keys, token file, role, profile name, STS endpoint), and to skip instance
/// metadata when <c>AWS_EC2_METADATA_DISABLED=true</c>. The SDK reads the rest from the process environment itself (which is
/// the build's): <c>AWS_SHARED_CREDENTIALS_FILE</c>, <c>AWS_CONFIG_FILE</c>, <c>HOME</c>, <c>AWS_CONTAINER_*</c>.
/// The credentials object found first is kept: the SDK refreshes temporary credentials (web identity, role, container,
/// instance) itself when they near their expiry.
/// </summary>
public sealed class AwsIdentity : IAwsIdentity
{
    private AWSCredentials? _credentials;
    private string _source = "";

    /// <inheritdoc/>
    async Task<ContainerTasks.Registry.Auth.Cloud.Aws.AwsCredentials> IAwsIdentity.GetCredentialsAsync(IReadOnlyDictionary<string, string> environment, string region, CancellationToken cancellationToken)
    {
        var chain = new AwsCredentialChain(environment, region);
        if (_credentials is null)
        {
            (_credentials, _source) = await chain.ResolveAsync(cancellationToken).ConfigureAwait(false);
        }
        ImmutableCredentials current = await chain.ReadAsync(_credentials, _source, cancellationToken).ConfigureAwait(false);
        DateTimeOffset? expiration = _credentials.Expiration is { } e ? new DateTimeOffset(DateTime.SpecifyKind(e, DateTimeKind.Utc)) : null;
        return new ContainerTasks.Registry.Auth.Cloud.Aws.AwsCredentials(current.AccessKey, current.SecretKey, current.Token, expiration, _source);
    }
}

/// <summary>One walk of the chain, over the build's environment snapshot.</summary>
internal sealed class AwsCredentialChain(IReadOnlyDictionary<string, string> environment, string region)
{
    private readonly List<string> _tried = new();

    /// <summary>The first source that has credentials, and its description; none: CT3021 listing what was tried.</summary>
    public async Task<(AWSCredentials Credentials, string Source)> ResolveAsync(CancellationToken cancellationToken)
    {
        if (FromEnvironment() is { } fromEnvironment)
        {
            return fromEnvironment;
        }
        if (FromWebIdentity() is { } webIdentity)
        {
            return webIdentity;
        }
        if (FromProfile() is { } profile)
        {
            return profile;
        }
        if (FromContainer() is { } container)
        {
            return container;
        }
        if (await FromInstanceMetadataAsync(cancellationToken).ConfigureAwait(false) is { } instance)
        {
            return instance;
        }
        throw new ContainerTasksException(ErrorCodes.CloudIdentityNotFound,
            $"No AWS identity found for the ECR registry (region {region}). Tried: {string.Join("; ", _tried)}. "
            + "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE (CI OIDC), "
            + "or AWS_PROFILE naming a profile of ~/.aws/credentials or ~/.aws/config; or give the registry a credential another way (docker login, DOTNET_CONTAINER_REGISTRY_UNAME/PWORD).");
    }

    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The current key of <paramref name="credentials"/> (temporary ones are fetched or refreshed here).</summary>
    public async Task<ImmutableCredentials> ReadAsync(AWSCredentials credentials, string source, CancellationToken cancellationToken)
    {
        try
        {
            // The SDK's call takes no cancellation token: ours bounds it (a silent STS or container endpoint), and Ctrl+C ends the wait.
            return await credentials.GetCredentialsAsync().WaitAsync(ReadTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
                $"The AWS credentials of {source} did not come within {ReadTimeout.TotalSeconds:0} s. Check that the source's endpoint (STS, the container or instance credentials endpoint) can be reached (HTTPS_PROXY, NO_PROXY).", e);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or InvalidOperationException or IOException or HttpRequestException)
        {
            // The SDK wraps STS's answer ("Error calling AssumeRole …"): AWS's own error code and message say more.
            if (Refusal(e) is { } refused)
            {
                throw new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
                    $"AWS refused the credentials of {source}: {refused.ErrorCode ?? refused.StatusCode.ToString()}: {refused.Message.TrimEnd('.')}. Check the role's trust policy (the OIDC provider, the token's audience and subject) and the source's settings.", e);
            }
            throw new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
                $"The AWS credentials of {source} could not be obtained: {e.Message.TrimEnd('.')}. Check the source's settings and that its endpoint can be reached.", e);
        }
    }

    private static AmazonServiceException? Refusal(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is AmazonServiceException service)
            {
                return service;
            }
        }
        return null;
    }

    private string? Variable(string name) => CloudContext.Variable(environment, name);

    private (AWSCredentials, string)? FromEnvironment()
    {
        string? key = Variable("AWS_ACCESS_KEY_ID");
        string? secret = Variable("AWS_SECRET_ACCESS_KEY") ?? Variable("AWS_SECRET_KEY");
        if (key is null || secret is null)
        {
            _tried.Add("environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (not set)");
            return null;
        }
        AWSCredentials credentials = Variable("AWS_SESSION_TOKEN") is { } token ? new SessionAWSCredentials(key, secret, token) : new BasicAWSCredentials(key, secret);
        return (credentials, "environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
    }

    private (AWSCredentials, string)? FromWebIdentity()
    {
        string? file = Variable("AWS_WEB_IDENTITY_TOKEN_FILE");
        string? role = Variable("AWS_ROLE_ARN");
        if (file is null || role is null)
        {
            _tried.Add("web identity AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN (not set)");
            return null;
        }
        string? session = Variable("AWS_ROLE_SESSION_NAME");
        var sts = new StsClientSettings(region, string.Equals(Variable("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true", StringComparison.OrdinalIgnoreCase) ? null : Variable("AWS_ENDPOINT_URL_STS") ?? Variable("AWS_ENDPOINT_URL"));
        return (new WebIdentityCredentials(file, role, session, sts), $"web identity (role {role}, token file {file})");
    }

    private (AWSCredentials, string)? FromProfile()
    {
        string name = Variable("AWS_PROFILE") ?? "default";
        var profiles = new CredentialProfileStoreChain();
        if (!profiles.TryGetProfile(name, out CredentialProfile? profile))
        {
            if (name != "default")
            {
                throw new ContainerTasksException(ErrorCodes.CloudIdentityNotFound,
                    $"AWS_PROFILE names the profile '{name}', which neither ~/.aws/credentials nor ~/.aws/config (or AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE) has. Add it, or unset AWS_PROFILE.");
            }
            _tried.Add("shared profile 'default' in ~/.aws/credentials and ~/.aws/config (none)");
            return null;
        }
        if (!string.IsNullOrEmpty(profile.Options.SsoStartUrl) || !string.IsNullOrEmpty(profile.Options.SsoSession))
        {
            // The SSO provider needs AWSSDK.SSO and AWSSDK.SSOOIDC, which the tasks do not ship (and a browser login).
            throw new ContainerTasksException(ErrorCodes.CloudIdentityNotFound,
                $"The AWS profile '{name}' signs in with IAM Identity Center (SSO), which the build does not support. Run 'aws sso login --profile {name}', then "
                + "'eval \"$(aws configure export-credentials --profile " + name + " --format env)\"' to put its temporary keys in the environment, or use a profile with keys, a role or credential_process.");
        }
        return (profile.GetAWSCredentials(profiles), $"profile '{name}'");
    }

    private (AWSCredentials, string)? FromContainer()
    {
        if (Variable("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") is null && Variable("AWS_CONTAINER_CREDENTIALS_FULL_URI") is null)
        {
            _tried.Add("container credentials AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI (not set)");
            return null;
        }
        // GenericContainerCredentials reads those variables (and the authorization token ones) from the process environment.
        return (new GenericContainerCredentials(), "container credentials endpoint (ECS task role, EKS Pod Identity)");
    }

    /// <summary>How long instance metadata may take to answer: on EC2 it answers in milliseconds.</summary>
    internal static readonly TimeSpan InstanceMetadataTimeout = TimeSpan.FromSeconds(3);

    // Off EC2 there is no instance metadata service: AWS_EC2_METADATA_DISABLED=true skips it. Otherwise the probe fails
    // at once where 169.254.169.254 is refused or unroutable, and is cut short after InstanceMetadataTimeout where packets
    // to it are dropped (the SDK's own retries would take longer).
    private async Task<(AWSCredentials, string)?> FromInstanceMetadataAsync(CancellationToken cancellationToken)
    {
        if (Variable("AWS_EC2_METADATA_DISABLED") is { } disabled && disabled.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            _tried.Add("EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)");
            return null;
        }
        try
        {
            AWSCredentials instance = new InstanceProfileAWSCredentials();
            await Task.Run(instance.GetCredentialsAsync, cancellationToken).WaitAsync(InstanceMetadataTimeout, cancellationToken).ConfigureAwait(false);
            return (instance, "EC2 instance metadata (instance profile)");
        }
        catch (TimeoutException)
        {
            _tried.Add($"EC2 instance metadata (no answer in {InstanceMetadataTimeout.TotalSeconds:0} s: not on EC2?)");
            return null;
        }
        catch (Exception e) when (e is AmazonClientException or AmazonServiceException or InvalidOperationException or HttpRequestException or IOException)
        {
            _tried.Add($"EC2 instance metadata ({e.Message.TrimEnd('.')}: not on EC2?)");
            return null;
        }
    }
}

/// <summary>Where the STS client of a web identity goes: the registry's region, or an endpoint override.</summary>
internal sealed record StsClientSettings(string Region, string? Endpoint);

/// <summary>
/// Web identity credentials whose STS client is made here, with the registry's region and the build's endpoint override,
/// rather than by the SDK's lookup of AWSSDK.SecurityToken by name and of the region (which may ask instance metadata).
/// </summary>
internal sealed class WebIdentityCredentials(string tokenFile, string roleArn, string? sessionName, StsClientSettings sts)
    : AssumeRoleWithWebIdentityCredentials(tokenFile, roleArn, sessionName ?? "containertasks")
{
    /// <inheritdoc/>
    protected override ICoreAmazonSTS CreateClient()
    {
        var config = new AmazonSecurityTokenServiceConfig { RegionEndpoint = RegionEndpoint.GetBySystemName(sts.Region) };
        if (sts.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = sts.Region;
        }
        return new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), config);
    }
}
