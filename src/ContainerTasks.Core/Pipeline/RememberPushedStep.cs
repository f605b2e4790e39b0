using ContainerTasks.Content;
using ContainerTasks.Model;

namespace ContainerTasks.Pipeline;

/// <summary>
/// After a push: the next build finds this image's manifest and config in the content store when it looks at what
/// the tag points at, and the marker that this machine pushed it (reuse looks only at such images). The layers this
/// build wrote itself are recorded as checked (blob, diff_id) pairs: only those are taken on trust later, never a
/// base's, a layer image's or a cache image's claim that the image merely carries.
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
        foreach (IImage image in images.Images)
        {
            MarkOwnLayers(image);
        }
        return Task.CompletedTask;
    }

    // A layer this build compressed (or took from its layer cache) has the diff_id this build computed. A blob that
    // also stands under another diff_id in the image (another image's layer claiming this blob) is left out.
    private void MarkOwnLayers(IImage image)
    {
        foreach (var blob in image.Layers.GroupBy(l => l.Descriptor.Digest))
        {
            if (blob.All(l => l.IsNew && l.MountFrom is null) && blob.Select(l => l.DiffId).Distinct().Count() == 1
                && !blob.Key.IsEmpty && !blob.First().DiffId.IsEmpty && !store.WasVerified(blob.Key, blob.First().DiffId))
            {
                store.MarkVerified(blob.Key, blob.First().DiffId);
            }
        }
    }
}
