namespace ContainerTasks.Pipeline;

/// <summary>Times of the build's phases, for the detailed log.</summary>
internal sealed class PhaseTimer
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly List<string> _phases = [];
    private long _last;

    public void Mark(string phase)
    {
        lock (_phases)
        {
            long now = _clock.ElapsedMilliseconds;
            _phases.Add($"{phase} {now - _last} ms");
            _last = now;
        }
    }

    public override string ToString()
    {
        lock (_phases)
        {
            return $"{string.Join(", ", _phases)} (total {_clock.ElapsedMilliseconds} ms)";
        }
    }
}
