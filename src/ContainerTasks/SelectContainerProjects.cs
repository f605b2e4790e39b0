using Microsoft.Build.Framework;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace ContainerTasks.MSBuild;

/// <summary>
/// Of a solution's other projects, those that may use ContainerTasks (see
/// <see cref="ProjectDestinations.MayUseContainerTasks"/>): only they are asked where their image goes.
/// </summary>
public sealed class SelectContainerProjects : MSBuildTask
{
    /// <summary>Project files.</summary>
    public ITaskItem[] Projects { get; set; } = [];

    /// <summary>The projects that may use ContainerTasks.</summary>
    [Output] public ITaskItem[] Selected { get; private set; } = [];

    /// <inheritdoc />
    public override bool Execute()
    {
        Selected = Projects.Where(p => ProjectDestinations.MayUseContainerTasks(p.GetMetadata("FullPath"))).ToArray();
        return true;
    }
}
