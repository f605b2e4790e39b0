namespace ContainerTasks.Registry.Auth;

/// <summary>
/// A parsed <c>WWW-Authenticate</c> challenge: <c>Basic realm="..."</c> or
/// <c>Bearer realm="...",service="...",scope="a b"</c>. Values may be quoted (with <c>\"</c> escapes) or bare.
/// </summary>
internal sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    /// <summary>The token68 form of a challenge (<c>Negotiate YIIB...</c>), which has no parameters.</summary>
    public string? Token68 { get; init; }

    /// <summary>True for Bearer (token) authentication.</summary>
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for Basic authentication.</summary>
    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    /// <summary>The token endpoint (Bearer).</summary>
    public string? Realm => Parameters.TryGetValue("realm", out string? v) ? v : null;

    /// <summary>The service name to ask the token endpoint for.</summary>
    public string? Service => Parameters.TryGetValue("service", out string? v) ? v : null;

    /// <summary>The scopes the registry asked for (space-separated in the challenge).</summary>
    public IReadOnlyList<string> Scopes => Parameters.TryGetValue("scope", out string? v)
        ? v.Split(' ', StringSplitOptions.RemoveEmptyEntries)
        : [];

    /// <summary>
    /// Parses every challenge in a header value (RFC 9110 §11.6.1): several per header, <c>name = value</c> with
    /// optional spaces, quoted values with <c>\"</c> escapes, token68 forms. Malformed parts are skipped, never read
    /// as another challenge.
    /// </summary>
    public static IReadOnlyList<AuthChallenge> Parse(string header) => new AuthChallengeReader(header).ReadAll();

    /// <summary>Every challenge of a response's <c>WWW-Authenticate</c> headers, read from the raw header values.</summary>
    public static IReadOnlyList<AuthChallenge> FromResponse(HttpResponseMessage response)
        // Raw values: .NET's typed header drops a challenge it cannot parse (e.g. "realm = ...").
        => response.Headers.TryGetValues("WWW-Authenticate", out IEnumerable<string>? values)
            ? values.SelectMany(Parse).ToList()
            : [];
}
