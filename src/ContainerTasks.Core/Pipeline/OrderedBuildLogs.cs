namespace ContainerTasks.Pipeline;

/// <summary>
/// One log per platform for platforms built at once, in platform order: the first platform's lines pass straight
/// through; each later platform's wait until every platform before it has finished, so the log reads as if they were
/// built one after another.
/// </summary>
internal sealed class OrderedBuildLogs
{
    private readonly PlatformLog[] _logs;
    private readonly bool[] _finished;
    private int _current;

    public OrderedBuildLogs(IContainerBuildLog target, int count)
    {
        _logs = Enumerable.Range(0, count).Select(i => new PlatformLog(target, live: i == 0)).ToArray();
        _finished = new bool[count];
    }

    /// <summary>Platform <paramref name="index"/>'s log.</summary>
    public IContainerBuildLog this[int index] => _logs[index];

    /// <summary>Platform <paramref name="index"/> has finished: the next platforms' lines may follow.</summary>
    public void Finished(int index)
    {
        lock (_finished)
        {
            _finished[index] = true;
            while (_current < _logs.Length && _finished[_current])
            {
                _current++;
                if (_current < _logs.Length)
                {
                    _logs[_current].GoLive();
                }
            }
        }
    }

    private sealed class PlatformLog(IContainerBuildLog target, bool live) : IContainerBuildLog
    {
        private readonly List<Action<IContainerBuildLog>> _waiting = [];
        private bool _live = live;

        public void Progress(string message) => Write(log => log.Progress(message));

        public void Detail(string message) => Write(log => log.Detail(message));

        public void Notice(string message) => Write(log => log.Notice(message));

        public void Warning(string code, string message) => Write(log => log.Warning(code, message));

        public void GoLive()
        {
            lock (_waiting)
            {
                _waiting.ForEach(line => line(target));
                _waiting.Clear();
                _live = true;
            }
        }

        private void Write(Action<IContainerBuildLog> line)
        {
            lock (_waiting)
            {
                if (_live)
                {
                    line(target);
                }
                else
                {
                    _waiting.Add(line);
                }
            }
        }
    }
}
