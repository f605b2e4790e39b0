using ContainerTasks.DotNet;
using ContainerTasks.Model;

namespace ContainerTasks.MSBuild;

/// <summary>
/// Two projects of one build that would write the same image name (registry, repository and tag) or the same
/// archive file: the second would silently replace the first.
/// </summary>
public static class ProjectDestinations
{
    private static readonly string[] SharedFiles = ["Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props"];

    /// <summary>
    /// A cheap first look, so that a solution build does not evaluate every other project: true when the project
    /// file, or a <c>Directory.Build.props</c>/<c>.targets</c> or <c>Directory.Packages.props</c> in its folder or
    /// above, mentions ContainerTasks. A package added through some other import is not seen (that project is then
    /// not checked); a mention that is not a reference only costs one evaluation.
    /// </summary>
    public static bool MayUseContainerTasks(string projectFile)
    {
        try
        {
            if (Mentions(projectFile))
            {
                return true;
            }
            for (DirectoryInfo? dir = new FileInfo(projectFile).Directory; dir is not null; dir = dir.Parent)
            {
                foreach (string name in SharedFiles)
                {
                    if (Mentions(Path.Combine(dir.FullName, name)))
                    {
                        return true;
                    }
                }
            }
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return true;   // cannot tell: let the evaluation decide
        }

        static bool Mentions(string file) => File.Exists(file) && File.ReadAllText(file).Contains("ContainerTasks", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The names or files this project would write (the same precedence as the build: an archive path wins over a registry).</summary>
    public static IReadOnlyList<string> Targets(ProjectDestination destination)
    {
        string repository = ContainerNames.NormalizeRepository(destination.Repository, out _);
        IReadOnlyList<string> tags = ContainerNames.ParseTags(destination.ImageTag, destination.ImageTags);
        if (!string.IsNullOrWhiteSpace(destination.ArchiveOutputPath))
        {
            string file = ArchiveOutputPaths.FilePath(destination.ArchiveOutputPath, repository, destination.ProjectDirectory);
            // File names compare as the file system does; image names (tags are case-sensitive) exactly.
            return [OperatingSystem.IsLinux() ? file : file.ToUpperInvariant()];
        }
        string prefix = string.IsNullOrWhiteSpace(destination.Registry) ? "" : destination.Registry.Trim().ToLowerInvariant() + "/";
        return tags.Select(tag => $"{prefix}{repository}:{tag}").ToList();
    }

    /// <summary>
    /// Throws CT4118 when another project writes one of this project's names or its archive. Projects whose settings
    /// are themselves invalid are left to their own build to report.
    /// </summary>
    public static void ThrowOnClash(ProjectDestination self, IEnumerable<ProjectDestination> others)
    {
        StringComparison paths = OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        var mine = new HashSet<string>(Targets(self), StringComparer.Ordinal);
        foreach (ProjectDestination other in others)
        {
            if (string.Equals(Path.GetFullPath(other.Project), Path.GetFullPath(self.Project), paths))
            {
                continue;
            }
            IReadOnlyList<string> theirs;
            try
            {
                theirs = Targets(other);
            }
            catch (ContainerTasksException)
            {
                continue;
            }
            var shared = theirs.Where(mine.Contains).ToList();
            if (shared.Count > 0)
            {
                string what = string.IsNullOrWhiteSpace(self.ArchiveOutputPath) ? "image" : "archive";
                throw new ContainerTasksException(ErrorCodes.SameDestination,
                    $"Projects '{Path.GetFileName(self.Project)}' ({self.Project}) and '{Path.GetFileName(other.Project)}' ({other.Project}) in this build both write the {what} {string.Join(", ", shared)}: "
                    + "one would replace the other. Give each project its own ContainerRepository (or its own ContainerImageTags or ContainerArchiveOutputPath).");
            }
        }
    }
}
