namespace ContainerTasks.Registry.Auth;

/// <summary>
/// Credentials for one registry: a user name and password, an identity (refresh) token, or a ready
/// bearer token (user name <c>&lt;token&gt;</c>). <see cref="Source"/> says where they came from, for logs;
/// <see cref="ToString"/> never shows a secret.
/// </summary>
internal sealed class RegistryCredential
{
    private RegistryCredential(string? username, string? password, string? identityToken, string? bearerToken, string source)
    {
        Username = username;
        Password = password;
        IdentityToken = identityToken;
        BearerToken = bearerToken;
        Source = source;
    }

    /// <summary>The user name, when there is one.</summary>
    public string? Username { get; }

    /// <summary>The password.</summary>
    public string? Password { get; }

    /// <summary>An OAuth2 refresh token (Docker's <c>identitytoken</c>), exchanged at the token endpoint.</summary>
    public string? IdentityToken { get; }

    /// <summary>A token sent as is (<c>Authorization: Bearer</c>).</summary>
    public string? BearerToken { get; }

    /// <summary>Where the credentials were found, e.g. <c>environment DOTNET_CONTAINER_PUSH_REGISTRY_UNAME/PWORD</c>.</summary>
    public string Source { get; }

    /// <summary>User name and password; <c>&lt;token&gt;</c> as user name makes the password a token, as Docker does.</summary>
    public static RegistryCredential FromUserPassword(string username, string password, string source)
        => username == "<token>"
            ? new RegistryCredential(null, null, password, null, source)
            : new RegistryCredential(username, password, null, null, source);

    /// <summary>An identity token.</summary>
    public static RegistryCredential FromIdentityToken(string token, string? username, string source) => new(username, null, token, null, source);

    /// <summary>A bearer token used directly.</summary>
    public static RegistryCredential FromBearerToken(string token, string source) => new(null, null, null, token, source);

    /// <summary>Every secret value, so messages can be scrubbed of them.</summary>
    internal IEnumerable<string> Secrets => new[] { Password, IdentityToken, BearerToken }.Where(s => !string.IsNullOrEmpty(s))!;

    /// <summary>Equal for two credentials that are the same, for caching what was built for them; its text shows no secret.</summary>
    internal object Identity => new SameCredential(Username, Password, IdentityToken, BearerToken, Source);

    /// <summary>Describes the credential without secrets.</summary>
    public override string ToString() => $"{(Username is null ? "token" : $"user '{Username}'")} from {Source}";

    private sealed record SameCredential(string? Username, string? Password, string? IdentityToken, string? BearerToken, string Source)
    {
        public override string ToString() => Source;
    }
}
