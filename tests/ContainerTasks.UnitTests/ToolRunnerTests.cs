using ContainerTasks.Processes;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>A tool's time limit: its whole run, or, with a progress probe (an export's growing file), its silence.</summary>
public sealed class ToolRunnerTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // Appends a line each 0.5 s, four times: two seconds in all, never silent for longer than half a second.
    private ToolResult Run(Func<bool>? progressed)
        => ToolRunner.Run("/bin/sh", ["-c", $"for i in 1 2 3 4; do echo x >> '{_dir["out"]}'; sleep 0.5; done"],
            new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }, null, TimeSpan.FromSeconds(1.2), CancellationToken.None, progressed);

    [Fact]
    public void A_tool_that_keeps_writing_is_not_cut_short_when_its_progress_is_watched_and_is_without()
    {
        long seen = 0;
        bool Grew()
        {
            long length = File.Exists(_dir["out"]) ? new FileInfo(_dir["out"]).Length : 0;
            (bool grew, seen) = (length > seen, length);
            return grew;
        }
        ToolResult watched = Run(Grew);
        Assert.False(watched.TimedOut);
        Assert.Equal(0, watched.ExitCode);
        Assert.Equal(8, new FileInfo(_dir["out"]).Length);

        File.Delete(_dir["out"]);
        Assert.True(Run(null).TimedOut);
    }
}
