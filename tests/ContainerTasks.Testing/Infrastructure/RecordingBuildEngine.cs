using System.Collections;
using Microsoft.Build.Framework;

namespace ContainerTasks.Tests.Infrastructure;

/// <summary>
/// A build engine that runs one task in this process and keeps what it logged: errors and warnings with their codes
/// and help links, and messages with their importance. What MSBuild would print, without MSBuild.
/// </summary>
public sealed class RecordingBuildEngine : IBuildEngine
{
    private readonly object _gate = new();

    /// <summary>Errors, in order.</summary>
    public List<BuildErrorEventArgs> Errors { get; } = [];

    /// <summary>Warnings, in order.</summary>
    public List<BuildWarningEventArgs> Warnings { get; } = [];

    /// <summary>Messages, in order.</summary>
    public List<BuildMessageEventArgs> Messages { get; } = [];

    /// <summary>Every line logged, of any kind: what a leak check reads.</summary>
    public IEnumerable<string> AllText
        => Errors.Select(e => $"{e.Code} {e.Message} {e.HelpLink}").Concat(Warnings.Select(w => $"{w.Code} {w.Message} {w.HelpLink}")).Concat(Messages.Select(m => m.Message ?? ""));

    /// <summary>The messages logged at <paramref name="importance"/>.</summary>
    public IEnumerable<string> MessagesAt(MessageImportance importance) => Messages.Where(m => m.Importance == importance).Select(m => m.Message ?? "");

    /// <inheritdoc />
    public bool ContinueOnError => false;

    /// <inheritdoc />
    public int LineNumberOfTaskNode => 0;

    /// <inheritdoc />
    public int ColumnNumberOfTaskNode => 0;

    /// <inheritdoc />
    public string ProjectFileOfTaskNode => "ContainerTasks.targets";

    /// <inheritdoc />
    public void LogErrorEvent(BuildErrorEventArgs e)
    {
        lock (_gate)
        {
            Errors.Add(e);
        }
    }

    /// <inheritdoc />
    public void LogWarningEvent(BuildWarningEventArgs e)
    {
        lock (_gate)
        {
            Warnings.Add(e);
        }
    }

    /// <inheritdoc />
    public void LogMessageEvent(BuildMessageEventArgs e)
    {
        lock (_gate)
        {
            Messages.Add(e);
        }
    }

    /// <inheritdoc />
    public void LogCustomEvent(CustomBuildEventArgs e)
    {
    }

    /// <inheritdoc />
    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs)
        => throw new NotSupportedException("The container tasks build no other project.");
}
