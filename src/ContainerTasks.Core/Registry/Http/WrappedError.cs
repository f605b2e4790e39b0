namespace ContainerTasks.Registry.Http;

/// <summary>
/// Our own error from inside a request (a content stream that does not match its digest) comes back wrapped in the
/// handler's exception; unwrapped, it is reported as it is, not taken for a network problem to retry.
/// </summary>
internal static class WrappedError
{
    /// <summary>The first <see cref="ContainerTasksException"/> inside <paramref name="error"/> (not itself); null when none.</summary>
    public static ContainerTasksException? Find(Exception error)
    {
        for (Exception? inner = error.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is ContainerTasksException coded)
            {
                return coded;
            }
        }
        return null;
    }
}
