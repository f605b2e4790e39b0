namespace ContainerTasks.Pipeline;

/// <summary>A step after a destination wrote the image: bookkeeping, or later an SBOM or signature attached as a referrer.</summary>
internal interface IDeliveredImageStep
{
    /// <summary>Runs once the image is where <paramref name="delivery"/> says.</summary>
    Task RunAsync(Delivery delivery, CancellationToken cancellationToken);
}
