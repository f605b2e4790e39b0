namespace ContainerTasks.MSBuild;

/// <summary>How every task of the package ends on a failure: one coded error, never MSB4018 with a stack trace.</summary>
internal static class TaskFailures
{
    /// <summary>
    /// Runs <paramref name="body"/>: a <see cref="ContainerTasksException"/> is its coded error, a cancellation CT4117,
    /// anything else a one-line CT9999 (a bug; <c>CONTAINERTASKS_DEBUG=1</c> lets it surface in full).
    /// </summary>
    public static bool Run(TaskBuildLog log, CancellationToken cancellation, Func<bool> body)
    {
        try
        {
            return body();
        }
        catch (ContainerTasksException e)
        {
            log.Error(e);
            return false;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            log.Error(ErrorCodes.Cancelled, "The container build was cancelled.");
            return false;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("CONTAINERTASKS_DEBUG") != "1")
        {
            log.Error(new ContainerTasksException(ErrorCodes.Unexpected,
                $"Unexpected {e.GetType().Name}: {e.Message}. This is a bug in ContainerTasks; please report it (set CONTAINERTASKS_DEBUG=1 for details).", e));
            return false;
        }
    }
}
