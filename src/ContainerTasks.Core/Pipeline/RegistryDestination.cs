using ContainerTasks.Building;
using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Registry.Referrers;
using ContainerTasks.Supply.Signing;

namespace ContainerTasks.Pipeline;

/// <summary>
/// A repository in a registry. Before the push, layers keep the blobs the tag's previous image already has
/// (<see cref="LayerReuseStep"/>); after it, the pushed image is remembered for the next build's reuse.
/// </summary>
internal sealed class RegistryDestination : ImageDestination
{
    private readonly BuildRun _run;
    private readonly string _registry;
    private readonly ImagePusher _pusher;
    private readonly RegistryClient _client;
    private readonly StreamingBlobUploads? _streamed;
    private readonly object _gate = new();
    private Task<IReadOnlyDictionary<string, Descriptor?>>? _tags;
    private Task<AttachPlan[]>? _plans;

    public RegistryDestination(BuildRun run, string registry)
    {
        _run = run;
        _registry = registry;
        RegistryClient client = run.Registries.Client(registry, run.Request.Repository, RegistryRole.Push);
        _client = client;
        _pusher = new ImagePusher(client, run.Log.Progress);
        // Only compressed layers: an uncompressed one is written about as fast as it is read, so there is nothing to overlap.
        _streamed = run.Request.Compression.IsGzip ? new StreamingBlobUploads(client, run.Request.Repository) : null;
        StepsBefore = [new LayerReuseStep(client, run.Request.Repository, CurrentTagsAsync, run.Store, run.Log)];
        StepsAfter = [new RememberPushedStep(run.Store)];
    }

    public override string Phase => "push";

    public override IReadOnlyList<IImageStep> StepsBefore { get; }

    public override IReadOnlyList<IDeliveredImageStep> StepsAfter { get; }

    public override Func<CancellationToken, Task<IReadOnlyList<CandidateImage>>>? CurrentImages => CurrentImagesAsync;

    public override Layers.IBlobStreamTarget? LayerUploads => _streamed;

    public override async Task<Delivery> WriteAsync(ImageSet images, CancellationToken cancellationToken)
    {
        ContainerBuildRequest request = _run.Request;
        IReadOnlyDictionary<string, Descriptor?> current = await CurrentTagsAsync(cancellationToken).ConfigureAwait(false);
        PushResult pushed = await _pusher.PushAsync(images, request.Repository, request.Tags, current, cancellationToken).ConfigureAwait(false);
        if (images.Index is not null && request.PublishPlatformTags)
        {
            // Only on request: "<tag>-<rid>" tags for each platform image, as the SDK's built-in always adds.
            for (int i = 0; i < images.Images.Count; i++)
            {
                string rid = request.Platforms[i].RuntimeIdentifier;
                await _pusher.PushAsync(images.Images[i], request.Repository, request.Tags.Select(t => $"{t}-{rid}").ToList(), null, cancellationToken).ConfigureAwait(false);
            }
        }
        string streamed = _streamed is { BlobsSent: > 0 } s
            ? $"{s.BlobsSent} {(s.BlobsSent == 1 ? "blob" : "blobs")} uploaded while compressed ({Sizes.Format(s.BytesSent)}), "
            : "";
        string destination = pushed.UpToDate
            ? $"already in {_registry}, nothing pushed"
            : $"pushed to {_registry}: {streamed}{pushed.BlobsUploaded} blobs uploaded ({Sizes.Format(pushed.BytesUploaded)}), {pushed.BlobsMounted} mounted, {pushed.BlobsAlreadyPresent} already there";
        return new Delivery(images, null, destination) { Pushed = pushed };
    }

    public override bool CarriesArtifacts => true;

    /// <summary>Starts reading each image's referrers and uploading the documents' blobs while the image is pushed.</summary>
    public override void Expect(IReadOnlyList<ImageArtifact> documents, CancellationToken cancellationToken)
    {
        if (documents.Count == 0)
        {
            return;
        }
        var attacher = new ReferrerAttacher(_client);
        _plans = Task.WhenAll(documents.GroupBy(a => a.Subject.Digest)
            .Select(g => attacher.PrepareAsync(_run.Request.Repository, g.First().Subject, g.Select(a => a.Content).ToList(), cancellationToken)));
        // Observed here too: when the push fails first, nothing else awaits it.
        _plans.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>Each image's artifacts at once, the images side by side: their manifests, then one update of each image's referrers list.</summary>
    public override async Task<IReadOnlyList<AttachedReferrer?>> AttachAsync(IReadOnlyList<ImageArtifact> artifacts, CancellationToken cancellationToken)
    {
        if (artifacts.Count == 0)
        {
            return [];
        }
        var attacher = new ReferrerAttacher(_client);
        if (_plans is null)
        {
            Expect(artifacts, cancellationToken);
        }
        AttachPlan[] plans = await _plans!.ConfigureAwait(false);
        var attached = await Task.WhenAll(plans.Select(p => attacher.CompleteAsync(p, cancellationToken))).ConfigureAwait(false);
        var groups = artifacts.Select((artifact, i) => (artifact, i)).GroupBy(a => a.artifact.Subject.Digest).ToList();
        var results = new AttachedReferrer?[artifacts.Count];
        for (int g = 0; g < groups.Count; g++)
        {
            foreach (var ((_, index), result) in groups[g].Zip(attached[g]))
            {
                results[index] = result;
            }
        }
        return results;
    }

    /// <summary>One after the other: two signatures of one image would update its referrers list at once.</summary>
    public override async Task<IReadOnlyList<SignedImage?>> SignAsync(SigningKey key, IReadOnlyList<SignatureRequest> requests, DateTimeOffset? created,
        CancellationToken cancellationToken)
    {
        var results = new List<SignedImage?>();
        foreach (SignatureRequest request in requests)
        {
            results.Add(request.Statement is { } statement
                ? await ImageSigner.AttestOnceAsync(_client, _run.Request.Repository, request.Subject, key, statement, created, cancellationToken).ConfigureAwait(false)
                : await ImageSigner.SignOnceAsync(_client, _run.Request.Repository, request.Subject, key, created, cancellationToken).ConfigureAwait(false));
        }
        return results;
    }

    // The images the tags point at now, each once, read through the push client (it may read the repository).
    private async Task<IReadOnlyList<CandidateImage>> CurrentImagesAsync(CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, Descriptor?> current = await CurrentTagsAsync(cancellationToken).ConfigureAwait(false);
        return _run.Request.Tags.Select(t => current.GetValueOrDefault(t)).OfType<Descriptor>().Where(d => !d.Digest.IsEmpty).Select(d => d.Digest).Distinct()
            .Select(d => new CandidateImage(ImageReference.Create(_registry, _run.Request.Repository, digest: d), LayerSources.Destination, _client)).ToList();
    }

    // Asked once, by the reuse step and the push alike, with the token of the first to ask (the build's).
    private Task<IReadOnlyDictionary<string, Descriptor?>> CurrentTagsAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _tags ??= _pusher.ReadTagsAsync(_run.Request.Repository, _run.Request.Tags, cancellationToken);
        }
    }
}
