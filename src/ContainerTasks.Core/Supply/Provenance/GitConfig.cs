using System.Text;

namespace ContainerTasks.Supply.Provenance;

/// <summary>One line of a git config file (git-config(1), "Syntax"): a key and its value.</summary>
internal static class GitConfig
{
    /// <summary>
    /// The key (lower case) and value of a <c>key = value</c> line, quotes and escapes undone and a trailing
    /// <c>#</c> or <c>;</c> comment dropped; null for any other line.
    /// </summary>
    public static (string Key, string Value)? Entry(string line)
    {
        int equals = line.IndexOf('=');
        if (equals <= 0 || line[0] is '#' or ';')
        {
            return null;
        }
        string key = line[..equals].Trim().ToLowerInvariant();
        return key.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') ? (key, Value(line[(equals + 1)..])) : null;
    }

    private static string Value(string raw)
    {
        var value = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < raw.Length; i++)
        {
            char c = raw[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == '\\' && i + 1 < raw.Length)
            {
                value.Append(raw[++i] switch { 'n' => '\n', 't' => '\t', 'b' => '\b', char other => other });
            }
            else if (!quoted && c is '#' or ';')
            {
                break;
            }
            else
            {
                value.Append(c);
            }
        }
        return value.ToString().Trim();
    }
}
