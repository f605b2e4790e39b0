using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ContainerTasks.Compose;

/// <summary>
/// The services of one compose file, one JSON record per project, in <c>.containertasks/&lt;file name&gt;.d/</c> next to
/// the file, and the lock every project writing the file takes (MSBuild's <c>-m</c> nodes are processes). Those folders
/// and the lock are never links, records are read only as small regular files, and written through a new file of a
/// random name: nothing planted there makes a publish write elsewhere or read without end.
/// </summary>
public sealed class ComposeRecords
{
    /// <summary>How long a project waits for another one writing the same compose file.</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The largest record read; ours are a few KiB.</summary>
    public const int MaxRecordBytes = 1024 * 1024;

    /// <summary>The records of <paramref name="composeFile"/> (a full path).</summary>
    public ComposeRecords(string composeFile)
    {
        Directory = Path.Combine(Path.GetDirectoryName(composeFile)!, ".containertasks", Path.GetFileName(composeFile) + ".d");
    }

    /// <summary>The folder holding the records and the lock.</summary>
    public string Directory { get; }

    /// <summary>The record file of <paramref name="project"/>: its name and a hash of its full path.</summary>
    public string PathOf(string project)
    {
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(project)))[..12].ToLowerInvariant();
        return Path.Combine(Directory, $"{Path.GetFileNameWithoutExtension(project)}-{hash}.json");
    }

    /// <summary>Takes the file's lock: waits while another project holds it. Dispose to release.</summary>
    public IDisposable Lock(CancellationToken cancellationToken)
    {
        CreateFolders();
        string path = Path.Combine(Directory, "lock");
        RefuseLink(path);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        int delay = 10;
        while (true)
        {
            try
            {
                // An OS lock, released when the handle closes, also when the process dies. The file stays.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
            }
            catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
            {
                if (waited.Elapsed > LockTimeout)
                {
                    throw new ContainerTasksException(ErrorCodes.ComposeFileFailed,
                        $"Waited {LockTimeout.TotalMinutes:0} minutes for the lock '{path}' of the compose file, held by another build: {e.Message}. "
                        + "Stop the other build (its lock is released when it exits), then publish again.", e);
                }
                Task.Delay(delay, cancellationToken).GetAwaiter().GetResult();
                delay = Math.Min(delay * 2, 200);
            }
        }
    }

    /// <summary>
    /// Saves <paramref name="service"/> as its project's record, keeping the earlier record's publish time when nothing
    /// else changed (so a publish with no change leaves the compose file as it was). Returns the record as saved.
    /// </summary>
    public ComposeService Save(ComposeService service, CancellationToken cancellationToken = default)
    {
        string path = PathOf(service.Project);
        ComposeService? earlier = TryRead(path, out _);
        if (earlier is not null && earlier.SameAs(service))
        {
            return earlier;
        }
        byte[] json = ComposeRecordJson.ToJson(service);
        // A new file of a random name (never one planted in advance), renamed over the record (a link there is replaced, not followed).
        Outputs.AtomicFile.WriteAsync(path, s => s.WriteAsync(json, cancellationToken).AsTask(), cancellationToken).GetAwaiter().GetResult();
        return service with { Notes = [] };
    }

    /// <summary>
    /// Every readable record, one per project; a record that cannot be read — not a small regular file, not a record,
    /// or not under its project's own file name (<see cref="PathOf"/>) — is skipped and said in <paramref name="skipped"/>
    /// (its project writes it again).
    /// </summary>
    public IReadOnlyList<ComposeService> ReadAll(ICollection<string>? skipped = null)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }
        RefuseLinkedFolders();
        var services = new List<ComposeService>();
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory, "*.json").Order(StringComparer.Ordinal))
        {
            ComposeService? service = TryRead(file, out string? problem);
            if (service is not null && !string.Equals(file, PathOf(service.Project), StringComparison.Ordinal))
            {
                // A planted record cannot add a service: it must be the very record of the project it names.
                problem = $"it names the project '{service.Project}', whose record is '{Path.GetFileName(PathOf(service.Project))}'";
                service = null;
            }
            if (service is null)
            {
                skipped?.Add($"Skipped the compose record '{file}': {problem}. Its project writes it again when it is published.");
            }
            else
            {
                services.Add(service);
            }
        }
        return services;
    }

    private static ComposeService? TryRead(string path, out string? problem)
    {
        problem = null;
        try
        {
            if (new FileInfo(path).LinkTarget is not null)
            {
                problem = "it is a symbolic link";
                return null;
            }
            byte[]? json = FileSystem.RegularFile.TryReadAll(path, MaxRecordBytes);
            if (json is null)
            {
                problem = $"it is not a regular file of at most {MaxRecordBytes / (1024 * 1024)} MiB";
                return null;
            }
            return ComposeRecordJson.FromJson(json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidDataException)
        {
            problem = e.Message;
            return null;
        }
    }

    private void CreateFolders()
    {
        RefuseLinkedFolders();
        System.IO.Directory.CreateDirectory(Directory);
        RefuseLinkedFolders(); // one made a link meanwhile
    }

    private void RefuseLinkedFolders()
    {
        RefuseLink(Path.GetDirectoryName(Directory)!);
        RefuseLink(Directory);
    }

    private static void RefuseLink(string path)
    {
        if (new FileInfo(path).LinkTarget is { } target)
        {
            throw new ContainerTasksException(ErrorCodes.ComposeFileFailed,
                $"'{path}' is a symbolic link (to '{target}'). The compose file's records and lock are kept only in a real folder, never where a link points. "
                + $"Remove the link ({(OperatingSystem.IsWindows() ? "rmdir" : "rm")} \"{path}\"): the next publish writes the records again.");
        }
    }
}
