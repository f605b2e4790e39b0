namespace ContainerTasks.Pipeline;

/// <summary>
/// Where a build reports progress: steps (base, layers, credential sources, retries), details for diagnostics, coded
/// warnings. The one-line result is <see cref="ContainerBuildResult.Summary"/>, for the caller to print.
/// </summary>
public interface IContainerBuildLog
{
    /// <summary>A step a user sees at normal verbosity (-v:n), never a secret.</summary>
    void Progress(string message);

    /// <summary>A line for detailed logs.</summary>
    void Detail(string message);

    /// <summary>A line a user sees at normal verbosity, not at minimal: a retry and its cause, a certificate accepted unchecked.</summary>
    void Notice(string message) => Detail(message);

    /// <summary>A warning with a stable code.</summary>
    void Warning(string code, string message);
}
