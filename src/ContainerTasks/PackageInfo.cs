namespace ContainerTasks.MSBuild;

/// <summary>Facts about the package the MSBuild targets and the tasks share.</summary>
public static class PackageInfo
{
    /// <summary>The NuGet package id.</summary>
    public const string PackageId = "ContainerTasks";

    /// <summary>The version of the core library the tasks were built with.</summary>
    public static string CoreVersion => typeof(ContainerTasksException).Assembly.GetName().Version?.ToString() ?? "unknown";
}
