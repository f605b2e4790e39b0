using ContainerTasks.Content;
using ContainerTasks.Model;

namespace ContainerTasks.Pipeline;

/// <summary>
/// After a push: the next build finds this image's manifest and config in the content store when it looks at what
/// the tag points at, and the marker that this machine pushed it (reuse trusts only such images).
/// </summary>
internal sealed class RememberPushedStep(ContentStore store) : IDeliveredImageStep
{
    public Task RunAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        IImageSet images = delivery.Images;
        if (delivery.Pushed is { UpToDate: false })
        {
            foreach (IImage image in images.Images)
            {
                store.Put(image.ManifestBytes);
                store.Put(image.ConfigBytes);
            }
            if (images.Index is { } index)
            {
                store.Put(index.Bytes);
            }
        }
        // Also when nothing was sent: this build's own digest, or one already trusted.
        store.MarkPushedHere(images.Root.Digest);
        return Task.CompletedTask;
    }
}
