namespace ContainerTasks.Processes;

/// <summary>What a tool run by <see cref="ToolRunner"/> did.</summary>
/// <param name="ExitCode">The exit code; -1 when it was stopped.</param>
/// <param name="Output">Everything it wrote to stdout.</param>
/// <param name="Error">Everything it wrote to stderr.</param>
/// <param name="TimedOut">True when it did not finish in time and was stopped.</param>
internal sealed record ToolResult(int ExitCode, string Output, string Error, bool TimedOut);
