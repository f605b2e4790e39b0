using ContainerTasks.Registry.Auth.Cloud;

namespace ContainerTasks.Registry.Auth;

/// <summary>
/// Credentials for one registry: a user name and password, an identity (refresh) token, or a ready
/// bearer token (user name <c>&lt;token&gt;</c>). <see cref="Source"/> says where they came from, for logs;
/// <see cref="ToString"/> never shows a secret. A credential from a cloud identity is first only its
/// <see cref="Renewal"/>: the registry's authenticator obtains it when the registry first asks, and again when it expires
/// or is refused.
/// </summary>
internal sealed class RegistryCredential
{
    private static long _serials;
    private readonly string _source;

    private RegistryCredential(string? username, string? password, string? identityToken, string? bearerToken, string source, ICredentialSource? renewal = null)
    {
        Username = username;
        Password = password;
        IdentityToken = identityToken;
        BearerToken = bearerToken;
        _source = source;
        Renewal = renewal;
        Serial = Interlocked.Increment(ref _serials);
    }

    /// <summary>Tells this credential object from every other one of the process (tokens are kept per credential).</summary>
    internal long Serial { get; }

    /// <summary>The user name, when there is one.</summary>
    public string? Username { get; }

    /// <summary>The password.</summary>
    public string? Password { get; }

    /// <summary>An OAuth2 refresh token (Docker's <c>identitytoken</c>), exchanged at the token endpoint.</summary>
    public string? IdentityToken { get; }

    /// <summary>A token sent as is (<c>Authorization: Bearer</c>).</summary>
    public string? BearerToken { get; }

    /// <summary>Where the credentials were found, e.g. <c>environment DOTNET_CONTAINER_PUSH_REGISTRY_UNAME/PWORD</c>.</summary>
    public string Source => Renewal?.Description ?? _source;

    /// <summary>When the credential stops working, when known (cloud credentials); it is obtained again a little before.</summary>
    public DateTimeOffset? ExpiresAt { get; private init; }

    /// <summary>Where a credential that is obtained when needed comes from; null for credentials given as they are.</summary>
    public ICredentialSource? Renewal { get; }

    /// <summary>User name and password; <c>&lt;token&gt;</c> as user name makes the password a token, as Docker does.</summary>
    public static RegistryCredential FromUserPassword(string username, string password, string source)
        => username == "<token>"
            ? new RegistryCredential(null, null, password, null, source)
            : new RegistryCredential(username, password, null, null, source);

    /// <summary>An identity token.</summary>
    public static RegistryCredential FromIdentityToken(string token, string? username, string source) => new(username, null, token, null, source);

    /// <summary>A bearer token used directly.</summary>
    public static RegistryCredential FromBearerToken(string token, string source) => new(null, null, null, token, source);

    /// <summary>A credential obtained from <paramref name="source"/> when the registry first asks for one.</summary>
    public static RegistryCredential FromSource(ICredentialSource source) => new(null, null, null, null, source.Description, source);

    /// <summary>This credential, valid until <paramref name="expiresAt"/>.</summary>
    public RegistryCredential ExpiringAt(DateTimeOffset expiresAt)
        => new(Username, Password, IdentityToken, BearerToken, _source, Renewal) { ExpiresAt = expiresAt };

    /// <summary>Every secret value, so messages can be scrubbed of them.</summary>
    internal IEnumerable<string> Secrets => new[] { Password, IdentityToken, BearerToken }.Where(s => !string.IsNullOrEmpty(s))!;

    /// <summary>
    /// Equal for two credentials that are the same, for caching what was built for them; its text shows no secret. A
    /// renewable credential is its source (one per registry host), whose description changes once it has obtained one.
    /// </summary>
    internal object Identity => Renewal ?? (object)new SameCredential(Username, Password, IdentityToken, BearerToken, Source);

    /// <summary>Describes the credential without secrets.</summary>
    public override string ToString()
        => Renewal is not null ? $"credential from {Source}" : $"{(Username is null ? "token" : $"user '{Username}'")} from {Source}";

    private sealed record SameCredential(string? Username, string? Password, string? IdentityToken, string? BearerToken, string Source)
    {
        public override string ToString() => Source;
    }
}
