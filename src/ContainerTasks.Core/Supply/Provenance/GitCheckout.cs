using System.Text;

namespace ContainerTasks.Supply.Provenance;

/// <summary>
/// What a git checkout says of itself, read from its files with no <c>git</c> process: the folder that holds
/// <c>.git</c>, the remote <c>origin</c>'s URL, the commit of HEAD and its branch. A worktree or submodule
/// (<c>.git</c> a file naming the git folder), loose refs and <c>packed-refs</c> are followed. Anything missing or
/// malformed is simply not known (null): a provenance without source is still a provenance.
/// </summary>
/// <param name="Root">The folder that holds <c>.git</c>: the source root.</param>
/// <param name="OriginUrl">The URL of the remote <c>origin</c>, as configured (not yet cleaned of credentials).</param>
/// <param name="Commit">HEAD's commit id, 40 (SHA-1) or 64 (SHA-256) lower-case hex characters.</param>
/// <param name="Branch">HEAD's ref when it is a branch (<c>refs/heads/main</c>); null when detached.</param>
internal sealed record GitCheckout(string Root, string? OriginUrl, string? Commit, string? Branch)
{
    // HEAD, a loose ref, .git and commondir are a line each; a larger file is not git's.
    private const int SmallFileLimit = 4096;

    // packed-refs and config of a large repository are a few MiB; past this they are not read (no source then).
    private const long ListFileLimit = 64L * 1024 * 1024;
    private const int ConfigLimit = 1024 * 1024;
    private const int SymbolicRefDepth = 5;

    /// <summary>The checkout <paramref name="directory"/> is in (walking up), or null when it is in none.</summary>
    public static GitCheckout? Find(string directory)
    {
        try
        {
            for (var dir = new DirectoryInfo(Path.GetFullPath(directory)); dir is not null; dir = dir.Parent)
            {
                string dotGit = Path.Combine(dir.FullName, ".git");
                if (Directory.Exists(dotGit) || File.Exists(dotGit))
                {
                    return Read(dir.FullName, dotGit);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
        }
        return null;
    }

    private static GitCheckout? Read(string root, string dotGit)
    {
        string? gitDir = Directory.Exists(dotGit) ? dotGit : GitDirOfFile(dotGit);
        if (gitDir is null || ReadSmall(Path.Combine(gitDir, "HEAD")) is not { } head)
        {
            return new GitCheckout(root, null, null, null);
        }
        // A worktree's own folder has HEAD; refs, packed-refs and config live in the common folder it names.
        string commonDir = ReadSmall(Path.Combine(gitDir, "commondir")) is { } common
            ? Path.GetFullPath(Path.Combine(gitDir, common))
            : gitDir;
        string? branch = head.StartsWith("ref: refs/heads/", StringComparison.Ordinal) && IsRefName(head[5..].Trim()) ? head[5..].Trim() : null;
        return new GitCheckout(root, ReadOriginUrl(Path.Combine(commonDir, "config")), ResolveHead(head, gitDir, commonDir), branch);
    }

    // ".git" as a file: "gitdir: PATH", the path absolute or relative to the file's folder.
    private static string? GitDirOfFile(string dotGitFile)
    {
        string? line = ReadSmall(dotGitFile);
        if (line is null || !line.StartsWith("gitdir:", StringComparison.Ordinal))
        {
            return null;
        }
        string gitDir = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(dotGitFile)!, line[7..].Trim()));
        return Directory.Exists(gitDir) ? gitDir : null;
    }

    private static string? ResolveHead(string head, string gitDir, string commonDir)
    {
        string value = head;
        for (int depth = 0; depth < SymbolicRefDepth; depth++)
        {
            if (!value.StartsWith("ref: ", StringComparison.Ordinal))
            {
                return IsCommitId(value) ? value : null;
            }
            string name = value[5..].Trim();
            if (!IsRefName(name))
            {
                return null;
            }
            value = ReadSmall(Path.Combine(gitDir, name)) ?? ReadSmall(Path.Combine(commonDir, name)) ?? PackedRef(commonDir, name) ?? "";
        }
        return null;
    }

    // packed-refs: "# pack-refs with: …", then "<id> <ref>" lines, each maybe followed by "^<peeled id>".
    private static string? PackedRef(string commonDir, string name)
    {
        string file = Path.Combine(commonDir, "packed-refs");
        if (!File.Exists(file))
        {
            return null;
        }
        foreach (string line in Lines(file, ListFileLimit))
        {
            int space = line.IndexOf(' ');
            if (space > 0 && line[0] is not ('#' or '^') && line.AsSpan(space + 1).TrimEnd().SequenceEqual(name))
            {
                return line[..space];
            }
        }
        return null;
    }

    // A ref stays inside the git folder: "refs/…", no "..", no control character or backslash (git-check-ref-format(1)).
    private static bool IsRefName(string name)
        => name.StartsWith("refs/", StringComparison.Ordinal) && !name.Contains("..", StringComparison.Ordinal)
            && !name.Any(c => char.IsControl(c) || c is '\\' or ' ' or ':');

    /// <summary>True for a full commit id: 40 (SHA-1) or 64 (SHA-256) lower-case hex characters.</summary>
    public static bool IsCommitId(string? value)
        => value is { Length: 40 or 64 } && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private static string? ReadOriginUrl(string configFile)
    {
        if (!File.Exists(configFile) || new FileInfo(configFile).Length > ConfigLimit)
        {
            return null;
        }
        bool inOrigin = false;
        foreach (string raw in Lines(configFile, ConfigLimit))
        {
            string line = raw.Trim();
            if (line.StartsWith('['))
            {
                inOrigin = IsOriginSection(line);
            }
            else if (inOrigin && GitConfig.Entry(line) is ("url", { } url))
            {
                return url;
            }
        }
        return null;
    }

    // [remote "origin"] (the subsection is case-sensitive) or the old [remote.origin].
    private static bool IsOriginSection(string line)
    {
        string header = line.TrimStart('[').Split(']')[0].Trim();
        return (header.StartsWith("remote \"origin\"", StringComparison.OrdinalIgnoreCase) && header.EndsWith("\"origin\"", StringComparison.Ordinal))
            || header.Equals("remote.origin", StringComparison.OrdinalIgnoreCase);
    }

    private static string? ReadSmall(string file)
    {
        string? text = ReadRegular(file, SmallFileLimit)?.Trim();
        return string.IsNullOrEmpty(text) ? null : text;
    }

    // Only a regular file, read to a bound: a HEAD linked to a device or a FIFO must neither hang nor fill memory.
    private static string? ReadRegular(string file, long limit)
    {
        try
        {
            return FileSystem.RegularFile.TryReadAll(file, limit) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static IEnumerable<string> Lines(string file, long limit)
        => ReadRegular(file, limit)?.Split('\n').Select(l => l.TrimEnd('\r')) ?? [];
}
