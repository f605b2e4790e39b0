namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>What a test server saw, added from its connection tasks and read by the test: a list behind a lock.</summary>
public sealed class Recorded<T>
{
    private readonly List<T> _items = new();

    /// <summary>Adds one item.</summary>
    public void Add(T item)
    {
        lock (_items)
        {
            _items.Add(item);
        }
    }

    /// <summary>A copy of the items so far, oldest first.</summary>
    public IReadOnlyList<T> Snapshot()
    {
        lock (_items)
        {
            return _items.ToArray();
        }
    }
}
