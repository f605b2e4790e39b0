using System.Text;

namespace ContainerTasks.Compose;

/// <summary>What <see cref="ComposeFile.Update"/> did.</summary>
/// <param name="Path">The compose file.</param>
/// <param name="Written">False when the file already had these bytes (it is then not touched).</param>
/// <param name="Services">The services in the file, sorted by name, with their host ports (a moved one in <see cref="ComposeService.Notes"/>).</param>
/// <param name="Skipped">The records that could not be read, each in a sentence.</param>
public sealed record ComposeFileResult(string Path, bool Written, IReadOnlyList<ComposeService> Services, IReadOnlyList<string> Skipped);

/// <summary>
/// A compose file that several projects, published at once, keep up to date: each saves its own service, then writes
/// the whole file from every saved service of the build's projects, under one lock. The last to finish writes the file
/// with every service.
/// </summary>
public static class ComposeFile
{
    /// <summary>
    /// Saves <paramref name="service"/> and writes <paramref name="path"/> from the saved services of
    /// <paramref name="projects"/> (the solution's project files), or, for a project published alone (null), of every
    /// saved project whose file still exists. Throws CT4135 when two services clash, CT4136 when the file or its records cannot be written.
    /// </summary>
    public static ComposeFileResult Update(string path, ComposeService service, IReadOnlyCollection<string>? projects, CancellationToken cancellationToken)
    {
        path = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(path))
        {
            throw new ContainerTasksException(ErrorCodes.ComposeFileFailed, $"ContainerComposeFile is '{path}', a folder. Name the file, e.g. {System.IO.Path.Combine(path, "compose.yaml")}.");
        }
        var records = new ComposeRecords(path);
        try
        {
            using IDisposable held = records.Lock(cancellationToken);
            ComposeService saved = records.Save(service, cancellationToken);
            var members = projects is null ? null : new HashSet<string>(projects.Select(System.IO.Path.GetFullPath), StringComparer.Ordinal);
            var skipped = new List<string>();
            var services = records.ReadAll(skipped)
                .Where(s => s.Project != saved.Project && (members?.Contains(s.Project) ?? File.Exists(s.Project)))
                .Append(saved).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
            ThrowOnClash(services);
            IReadOnlyList<ComposeService> placed = HostPorts.Assign(services);
            byte[] bytes = Encoding.UTF8.GetBytes(ComposeYaml.Write(placed, System.IO.Path.GetDirectoryName(path)!));
            bool same = Holds(path, bytes);
            if (!same)
            {
                Outputs.AtomicFile.WriteAsync(path, s => s.WriteAsync(bytes, cancellationToken).AsTask(), cancellationToken).GetAwaiter().GetResult();
            }
            return new ComposeFileResult(path, !same, placed, skipped);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContainerTasksException(ErrorCodes.ComposeFileFailed,
                $"Cannot write the compose file '{path}' or its service records in '{records.Directory}': {e.Message}. Make the folder writable, or set ContainerComposeFile to another path.", e);
        }
    }

    /// <summary>CT4135 when two projects would be one service (host ports are <see cref="HostPorts.Assign"/>'s).</summary>
    public static void ThrowOnClash(IReadOnlyList<ComposeService> services)
    {
        foreach (var group in services.GroupBy(s => s.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var two = group.Take(2).ToList();
            throw new ContainerTasksException(ErrorCodes.ComposeServiceClash,
                $"Projects '{two[0].Project}' and '{two[1].Project}' would both be the service '{group.Key}' of the compose file (the last segment of their repositories). "
                + "Give one of them its own service name with ContainerComposeService (or its own ContainerRepository).");
        }
    }

    // Compared only when the file is a regular file, not a link, of the new length, read with that bound: a compose.yaml
    // linked to /dev/zero or to a huge file is replaced (the link, not its target), never read.
    private static bool Holds(string path, byte[] bytes)
    {
        var file = new FileInfo(path);
        if (!file.Exists || file.LinkTarget is not null || file.Length != bytes.Length)
        {
            return false;
        }
        try
        {
            return FileSystem.RegularFile.TryReadAll(path, bytes.Length) is { } existing && existing.AsSpan().SequenceEqual(bytes);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
