using ContainerTasks.Pipeline;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ContainerTasks.MSBuild;

/// <summary>
/// Sends a build's progress to MSBuild: the result line at high importance (-v:m and the terminal logger), steps,
/// retries and notices at normal importance (-v:n), details at low importance (-v:d), and coded warnings and errors that link to the docs.
/// </summary>
internal sealed class TaskBuildLog(TaskLoggingHelper log) : IContainerBuildLog
{
    // docs/errors.md inside the installed package (tasks/<tfm>/ -> docs/): the page of this very version, offline too.
    // Each code has an anchor there.
    private static readonly string? ErrorsPage = FindErrorsPage();

    private static string? FindErrorsPage()
    {
        string? tasks = Path.GetDirectoryName(typeof(TaskBuildLog).Assembly.Location);
        string? page = tasks is null ? null : Path.GetFullPath(Path.Combine(tasks, "..", "..", "docs", "errors.md"));
        return page is not null && File.Exists(page) ? new Uri(page).AbsoluteUri : null;
    }

    /// <summary>The page that explains <paramref name="code"/>, e.g. <c>…/docs/errors.md#ct4107</c>.</summary>
    public static string? HelpLink(string? code) => ErrorsPage is null || string.IsNullOrEmpty(code) ? null : $"{ErrorsPage}#{code.ToLowerInvariant()}";

    public void Milestone(string message) => log.LogMessage(MessageImportance.High, message);

    public void Progress(string message) => log.LogMessage(MessageImportance.Normal, message);

    public void Detail(string message) => log.LogMessage(MessageImportance.Low, message);

    // A retry or a notice is a step a user waiting should see: the same importance as progress (-v:n and above).
    public void Notice(string message) => Progress(message);

    public void Warning(string code, string message) => log.LogWarning(null, code, null, HelpLink(code), null, 0, 0, 0, 0, message);

    public void Error(ContainerTasksException error) => Error(error.Code, error.Message);

    public void Error(string code, string message) => log.LogError(null, code, null, HelpLink(code), null, 0, 0, 0, 0, message);
}
