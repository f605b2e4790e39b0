using ContainerTasks.Processes;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>A tool's time limit: its whole run, or, with a progress probe (an export's growing file), its silence.</summary>
public sealed class ToolRunnerTests
{
    // Appends a line each 0.5 s, four times: two seconds in all, never silent for longer than half a second.
    private static ToolResult Run(string file, Func<bool>? progressed)
        => ToolRunner.Run("/bin/sh", ["-c", $"for i in 1 2 3 4; do echo x >> '{file}'; sleep 0.5; done"],
            new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }, null, TimeSpan.FromSeconds(1.2), CancellationToken.None, progressed);

    [Fact]
    public void A_tool_that_keeps_writing_is_not_cut_short_when_its_progress_is_watched_and_is_without()
    {
        using var dir = new TempDirectory();
        string file = dir["out"];
        long seen = 0;
        bool Grew()
        {
            long length = File.Exists(file) ? new FileInfo(file).Length : 0;
            (bool grew, seen) = (length > seen, length);
            return grew;
        }
        ToolResult watched = Run(file, Grew);
        Assert.False(watched.TimedOut);
        Assert.Equal(0, watched.ExitCode);
        Assert.Equal(8, new FileInfo(file).Length);

        File.Delete(file);
        Assert.True(Run(file, null).TimedOut);
    }
}
