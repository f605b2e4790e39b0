namespace ContainerTasks;

/// <summary>
/// A failure the user can act on: a stable code (<c>CTxxxx</c>), what was wrong and how to fix it.
/// Everything the library throws on bad input or a failed operation is of this type, so callers
/// (the MSBuild tasks, the command-line tool) can print it without a stack trace.
/// </summary>
public sealed class ContainerTasksException : Exception
{
    /// <summary>Creates an error with a stable code and a message that says what to do.</summary>
    public ContainerTasksException(string code, string message, Exception? inner = null)
        : base(SingleStops(message), inner)
    {
        Code = code;
    }

    /// <summary>The stable error code, e.g. <c>CT1001</c>. Documented in docs/errors.md.</summary>
    public string Code { get; }

    /// <summary>The code and message on one line, as printed to users.</summary>
    public override string ToString() => $"{Code}: {Message}";

    // Messages often quote an inner exception's sentence ("…: Access denied.") before their own ". Do this":
    // one stop, not two. An ellipsis ("...") and paths ("../") are kept.
    private static string SingleStops(string message)
        => System.Text.RegularExpressions.Regex.Replace(message, @"(?<!\.)\.\.(?=\s|$)", ".");
}
