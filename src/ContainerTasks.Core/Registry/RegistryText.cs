using System.Text;

namespace ContainerTasks.Registry;

/// <summary>
/// Text a registry (or anything on the way) chose — error codes and messages, reason phrases, realms — made safe
/// for a build log: control characters (terminal escapes, newlines that would fake log lines or error codes) and
/// bidirectional overrides become spaces, runs of spaces one, and the length is capped.
/// </summary>
internal static class RegistryText
{
    /// <summary>The most characters of registry text one message carries.</summary>
    public const int MaxLength = 300;

    public static string Clean(string? text, int maxLength = MaxLength)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        var clean = new StringBuilder(Math.Min(text.Length, maxLength + 1));
        foreach (char c in text)
        {
            char safe = char.IsControl(c) || IsFormatting(c) ? ' ' : c;
            if (safe == ' ' && (clean.Length == 0 || clean[^1] == ' '))
            {
                continue;
            }
            if (clean.Length == maxLength)
            {
                return clean.ToString().TrimEnd() + "…";
            }
            clean.Append(safe);
        }
        return clean.ToString().TrimEnd();
    }

    // Line and paragraph separators, and the bidirectional controls that can make a log line read backwards.
    private static bool IsFormatting(char c) => c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
