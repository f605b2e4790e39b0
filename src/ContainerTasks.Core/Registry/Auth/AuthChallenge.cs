namespace ContainerTasks.Registry.Auth;

/// <summary>
/// A parsed <c>WWW-Authenticate</c> challenge: <c>Basic realm="..."</c> or
/// <c>Bearer realm="...",service="...",scope="a b"</c>. Values may be quoted (with <c>\"</c> escapes) or bare.
/// </summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
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

    /// <summary>Parses every challenge in a header value (several may be comma-separated).</summary>
    public static IReadOnlyList<AuthChallenge> Parse(string header)
    {
        var challenges = new List<AuthChallenge>();
        int i = 0;
        while (i < header.Length)
        {
            SkipSeparators(header, ref i);
            int start = i;
            while (i < header.Length && !char.IsWhiteSpace(header[i]) && header[i] != ',')
            {
                i++;
            }
            if (i == start)
            {
                break;
            }
            string scheme = header[start..i];
            var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (true)
            {
                int save = i;
                SkipSeparators(header, ref i);
                int nameStart = i;
                while (i < header.Length && header[i] != '=' && header[i] != ',' && !char.IsWhiteSpace(header[i]))
                {
                    i++;
                }
                if (i >= header.Length || header[i] != '=' || i == nameStart)
                {
                    // Not "name=": the start of the next challenge (or the end).
                    i = save;
                    break;
                }
                string name = header[nameStart..i];
                i++; // '='
                string value;
                if (i < header.Length && header[i] == '"')
                {
                    i++;
                    var builder = new System.Text.StringBuilder();
                    while (i < header.Length && header[i] != '"')
                    {
                        if (header[i] == '\\' && i + 1 < header.Length)
                        {
                            i++;
                        }
                        builder.Append(header[i]);
                        i++;
                    }
                    i++; // closing quote
                    value = builder.ToString();
                }
                else
                {
                    int valueStart = i;
                    while (i < header.Length && header[i] != ',' && !char.IsWhiteSpace(header[i]))
                    {
                        i++;
                    }
                    value = header[valueStart..i];
                }
                parameters[name] = parameters.TryGetValue(name, out string? previous) ? previous + " " + value : value;
                if (i >= header.Length)
                {
                    break;
                }
            }
            challenges.Add(new AuthChallenge(scheme, parameters));
        }
        return challenges;
    }

    private static void SkipSeparators(string s, ref int i)
    {
        while (i < s.Length && (s[i] == ',' || char.IsWhiteSpace(s[i])))
        {
            i++;
        }
    }
}
