namespace ContainerTasks.Layers;

/// <summary>A send that takes the bytes and keeps none: what a target that cannot take a blob returns.</summary>
internal sealed class DroppedBlob : IStreamedBlob
{
    /// <summary>The one instance (it holds nothing).</summary>
    public static DroppedBlob Instance { get; } = new();

    private DroppedBlob()
    {
    }

    public Stream Content => Stream.Null;

    public Task<bool> CompleteAsync(Model.Descriptor blob, CancellationToken cancellationToken) => Task.FromResult(false);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
