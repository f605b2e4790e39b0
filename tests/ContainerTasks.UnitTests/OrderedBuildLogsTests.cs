using ContainerTasks.Pipeline;

namespace ContainerTasks.Tests;

public class OrderedBuildLogsTests
{
    private sealed class ListLog : IContainerBuildLog
    {
        public List<string> Lines { get; } = [];

        public void Progress(string message) => Lines.Add(message);

        public void Detail(string message) => Lines.Add("detail " + message);

        public void Warning(string code, string message) => Lines.Add($"{code} {message}");
    }

    [Fact]
    public void Platforms_built_at_once_log_in_platform_order()
    {
        var target = new ListLog();
        var logs = new OrderedBuildLogs(target, 3);
        logs[2].Progress("c1");
        logs[1].Progress("b1");
        logs[0].Progress("a1");
        Assert.Equal(["a1"], target.Lines);
        logs[1].Warning("CT4121", "b2");
        logs.Finished(1);
        logs.Finished(2);
        Assert.Equal(["a1"], target.Lines);
        logs[0].Detail("a2");
        logs.Finished(0);
        Assert.Equal(["a1", "detail a2", "b1", "CT4121 b2", "c1"], target.Lines);
    }
}
