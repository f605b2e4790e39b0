using ContainerTasks.Building;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ContainerTasks.MSBuild;

/// <summary>
/// Sends a build's progress to MSBuild: milestones at high importance (the terminal logger shows them),
/// notices at normal importance (-v:n), details at low importance (-v:d), and coded warnings and errors that link to the docs.
/// </summary>
internal sealed class TaskBuildLog(TaskLoggingHelper log) : IContainerBuildLog
{
    // Codes are explained in the package's docs/errors.md; the messages themselves say what to do.
    private const string? HelpLink = null;

    public void Milestone(string message) => log.LogMessage(MessageImportance.High, message);

    public void Detail(string message) => log.LogMessage(MessageImportance.Low, message);

    public void Notice(string message) => log.LogMessage(MessageImportance.Normal, message);

    public void Warning(string code, string message) => log.LogWarning(null, code, null, HelpLink, null, 0, 0, 0, 0, message);

    public void Error(ContainerTasksException error) => log.LogError(null, error.Code, null, HelpLink, null, 0, 0, 0, 0, error.Message);
}
