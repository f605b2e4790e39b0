namespace ContainerTasks.Processes;

/// <summary>
/// Finds a program (<c>docker</c>, <c>docker-credential-pass</c>) as an absolute path on the build's <c>PATH</c> and
/// nowhere else. Process.Start's own lookup also tries the current folder and the folder of the running app (and
/// reads this process's PATH, not the build's), so a file named <c>docker-credential-x</c> or <c>docker</c> in a
/// cloned project would run with the user's credentials at hand.
/// </summary>
internal static class ExecutableLookup
{
    /// <summary>
    /// The absolute path of <paramref name="program"/> in the first absolute <c>PATH</c> folder holding an executable of
    /// that name; null when there is none. Empty and relative <c>PATH</c> entries (which mean the current folder) are skipped.
    /// </summary>
    /// <param name="program">A bare program name, without folder.</param>
    /// <param name="environment">The build's environment snapshot, whose <c>PATH</c> is searched.</param>
    public static string? Find(string program, IReadOnlyDictionary<string, string> environment)
    {
        if (program.IndexOfAny([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar]) >= 0
            || !environment.TryGetValue("PATH", out string? path))
        {
            return null;
        }
        foreach (string directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Path.IsPathFullyQualified(directory))
            {
                continue;
            }
            foreach (string name in Candidates(program))
            {
                string full = Path.Combine(directory, name);
                if (IsExecutable(full))
                {
                    return full;
                }
            }
        }
        return null;
    }

    // Windows runs programs by extension; a file without one cannot be started.
    private static string[] Candidates(string program)
        => OperatingSystem.IsWindows() ? [program + ".exe", program + ".cmd", program + ".bat"] : [program];

    // A file without an execute bit is skipped, as shells skip it, so that a later PATH folder's program is found.
    private static bool IsExecutable(string file)
        => File.Exists(file)
            && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}
