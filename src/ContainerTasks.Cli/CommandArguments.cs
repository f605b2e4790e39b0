namespace ContainerTasks.Cli;

/// <summary>The arguments of a command that takes one image reference, some <c>--name value</c> options and some <c>--flag</c>s.</summary>
/// <param name="Reference">The image reference (a <c>docker://</c> prefix removed); null when none was given.</param>
/// <param name="Values">The value of each option given (the last one when repeated).</param>
/// <param name="Flags">The flags given.</param>
internal sealed record CommandArguments(string? Reference, IReadOnlyDictionary<string, string> Values, IReadOnlySet<string> Flags)
{
    /// <summary>Reads <paramref name="args"/>; an argument of neither kind, or a second reference, is an <see cref="ArgumentException"/>.</summary>
    public static CommandArguments Parse(IReadOnlyList<string> args, IReadOnlyCollection<string> options, IReadOnlyCollection<string> flags)
    {
        string? reference = null;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var given = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case var flag when flags.Contains(flag):
                    given.Add(flag);
                    break;
                case var option when options.Contains(option) && i + 1 < args.Count:
                    values[option] = args[++i];
                    break;
                case var arg when !arg.StartsWith("--", StringComparison.Ordinal) && reference is null:
                    reference = arg.StartsWith("docker://", StringComparison.Ordinal) ? arg["docker://".Length..] : arg;
                    break;
                case var arg:
                    throw new ArgumentException($"unexpected argument '{arg}'");
            }
        }
        return new CommandArguments(reference, values, given);
    }
}
