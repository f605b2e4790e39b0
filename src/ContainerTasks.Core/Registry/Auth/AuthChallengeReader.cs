namespace ContainerTasks.Registry.Auth;

/// <summary>
/// Reads <c>WWW-Authenticate</c> challenges: <c>1#( auth-scheme [ 1*SP ( token68 / #auth-param ) ] )</c>, with
/// <c>auth-param = token BWS "=" BWS ( token / quoted-string )</c>. Lenient where registries are sloppy (bare values
/// with <c>:</c> and <c>/</c>, empty values), and whatever cannot be read is skipped up to the next comma, so that
/// a stray quote never turns into a challenge of its own.
/// </summary>
internal sealed class AuthChallengeReader(string header)
{
    private int _at;

    public List<AuthChallenge> ReadAll()
    {
        var challenges = new List<AuthChallenge>();
        while (true)
        {
            SkipWhile(c => c == ',' || IsSpace(c));
            if (_at >= header.Length)
            {
                return challenges;
            }
            string scheme = ReadToken();
            if (scheme.Length == 0)
            {
                SkipElement();
                continue;
            }
            challenges.Add(ReadChallenge(scheme));
        }
    }

    private AuthChallenge ReadChallenge(string scheme)
    {
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (!SkipWhile(IsSpace))
        {
            // "Scheme," or "Scheme" at the end: no parameters. "Scheme=..." is not a challenge either.
            SkipElement();
            return new AuthChallenge(scheme, parameters);
        }
        if (TryReadToken68() is { } token68)
        {
            return new AuthChallenge(scheme, parameters) { Token68 = token68 };
        }
        while (NextIsParameter() || NextIsJunk())
        {
            SkipWhile(c => c == ',' || IsSpace(c));
            if (!NextIsParameter())
            {
                SkipElement();
                continue;
            }
            string name = ReadToken();
            SkipWhile(IsSpace);
            _at++; // '='
            SkipWhile(IsSpace);
            string value = Peek() == '"' ? ReadQuoted() : ReadBare();
            // Repeated names (several scope parameters) are joined as one space-separated list.
            parameters[name] = parameters.TryGetValue(name, out string? earlier) ? earlier + " " + value : value;
            SkipElement();
        }
        return new AuthChallenge(scheme, parameters);
    }

    /// <summary>A token68 (<c>abc+/=</c>) that alone makes up the rest of the challenge; null (and nothing read) otherwise.</summary>
    private string? TryReadToken68()
    {
        int start = _at;
        SkipWhile(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '/');
        bool any = _at > start;
        SkipWhile(c => c == '=');
        int end = _at;
        SkipWhile(IsSpace);
        // "name=, next=x" is a parameter with an empty value, not a token68.
        if (any && (_at >= header.Length || (header[_at] == ',' && !NextIsParameter())))
        {
            return header[start..end];
        }
        _at = start;
        return null;
    }

    /// <summary>True when the next list element is <c>name BWS =</c>: a parameter of this challenge, not the next challenge.</summary>
    private bool NextIsParameter() => LookAhead(() =>
    {
        bool named = ReadToken().Length > 0;
        SkipWhile(IsSpace);
        return named && Peek() == '=';
    });

    /// <summary>True when the next list element is neither a parameter nor the start of a challenge (<c>scheme</c> then space, comma or end).</summary>
    private bool NextIsJunk() => LookAhead(() =>
    {
        bool named = ReadToken().Length > 0;
        bool challenge = named && (_at >= header.Length || header[_at] == ',' || (SkipWhile(IsSpace) && Peek() != '='));
        return _at < header.Length && !challenge;
    });

    private bool LookAhead(Func<bool> test)
    {
        int save = _at;
        SkipWhile(c => c == ',' || IsSpace(c));
        bool result = test();
        _at = save;
        return result;
    }

    private string ReadQuoted()
    {
        var value = new System.Text.StringBuilder();
        _at++; // opening quote
        while (_at < header.Length && header[_at] != '"')
        {
            if (header[_at] == '\\' && _at + 1 < header.Length)
            {
                _at++;
            }
            value.Append(header[_at++]);
        }
        // An unterminated string ends with the header.
        _at = Math.Min(_at + 1, header.Length);
        return value.ToString();
    }

    // Registries send realm=https://host/token unquoted although ':' and '/' are not token characters.
    private string ReadBare()
    {
        int start = _at;
        SkipWhile(c => c != ',' && !IsSpace(c));
        return header[start.._at];
    }

    private string ReadToken()
    {
        int start = _at;
        SkipWhile(IsTokenChar);
        return header[start.._at];
    }

    /// <summary>Skips what is left of the current element, up to the next comma (quotes are not trusted in what could not be read).</summary>
    private void SkipElement() => SkipWhile(c => c != ',');

    private bool SkipWhile(Func<char, bool> predicate)
    {
        int start = _at;
        while (_at < header.Length && predicate(header[_at]))
        {
            _at++;
        }
        return _at > start;
    }

    private char Peek() => _at < header.Length ? header[_at] : '\0';

    private static bool IsSpace(char c) => c is ' ' or '\t';

    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c);
}
