using ContainerTasks.Model;
using ContainerTasks.Registry.Referrers;
using ContainerTasks.Sources;
using ContainerTasks.Supply;
using ContainerTasks.Supply.Signing;

namespace ContainerTasks.Pipeline;

/// <summary>
/// After the image is written: the documents about it (an SBOM per platform image, a provenance for the whole image),
/// attached by the destination where it can carry them, and returned so the front end writes them next to the image outputs.
/// </summary>
internal static class SupplyChain
{
    private static readonly string ToolVersion = typeof(SupplyChain).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>The signing key the request names, loaded before anything is built (a bad key fails the build first); null for none.</summary>
    public static SigningKey? LoadSigningKey(ContainerBuildRequest request)
        => request.Supply?.SigningKey is { } spec ? SigningKey.Load(spec, request.Supply.SigningKeyPassword, request.EnvironmentSnapshot) : null;

    /// <summary>Makes, attaches and signs what the request asks for; nothing without <see cref="ContainerBuildRequest.Supply"/>.</summary>
    public static async Task<IReadOnlyList<ArtifactResult>> RunAsync(BuildRun run, IReadOnlyList<PlatformBuild> built, Delivery delivery, ImageDestination destination,
        SigningKey? key, CancellationToken cancellationToken)
    {
        List<ImageArtifact> artifacts = Artifacts(run, built, delivery.Images, destination);
        var results = new List<ArtifactResult>();
        if (artifacts.Count > 0)
        {
            IReadOnlyList<AttachedReferrer?> attached = await destination.AttachAsync(artifacts, cancellationToken).ConfigureAwait(false);
            results.AddRange(artifacts.Select((a, i) => new ArtifactResult(a.Kind, a.FileName, a.RuntimeIdentifier, a.Subject.Digest, a.Content.ArtifactType,
                a.Content.Content) { Manifest = attached[i]?.Manifest.Digest, Changed = attached[i]?.Changed ?? false }));
        }
        if (key is not null)
        {
            results.AddRange(await SignAsync(run, built, delivery, artifacts, destination, key, cancellationToken).ConfigureAwait(false));
        }
        if (results.Count > 0)
        {
            run.Log.Progress(Summary(results, delivery));
            run.Timer.Mark("supply chain");
        }
        return results;
    }

    // The image (its index, and each platform image under it) signed as cosign signs, and its provenance attested.
    private static async Task<IEnumerable<ArtifactResult>> SignAsync(BuildRun run, IReadOnlyList<PlatformBuild> built, Delivery delivery,
        IReadOnlyList<ImageArtifact> artifacts, ImageDestination destination, SigningKey key, CancellationToken cancellationToken)
    {
        IImageSet images = delivery.Images;
        var requests = new List<SignatureRequest> { new(images.Root, null, null) };
        if (images.Index is not null)
        {
            requests.AddRange(images.Images.Select((image, i) => new SignatureRequest(image.Descriptor, built[i].Input.RuntimeIdentifier, null)));
        }
        if (artifacts.FirstOrDefault(a => a.Kind == ArtifactKinds.Provenance) is { } provenance)
        {
            requests.Add(new SignatureRequest(images.Root, null, provenance.Content.Content));
        }
        IReadOnlyList<SignedImage?> signed = await destination.SignAsync(key, requests, run.Request.SourceDateEpoch, cancellationToken).ConfigureAwait(false);
        if (signed.All(s => s is null))
        {
            run.Log.Warning(ErrorCodes.NothingSigned, $"ContainerSigningKey is set, but the image was {delivery.Destination}, which carries no signatures: nothing was signed. "
                + "Push it to a registry (ContainerRegistry) to sign it, or sign it there later with 'ctimage sign'.");
            return [];
        }
        return requests.Select((r, i) => new ArtifactResult(ArtifactKinds.Signature, null, r.RuntimeIdentifier, r.Subject.Digest, SigstoreBundle.MediaType, [])
        {
            Manifest = signed[i]?.Referrer,
            Changed = signed[i]?.Changed ?? false,
        });
    }

    private static List<ImageArtifact> Artifacts(BuildRun run, IReadOnlyList<PlatformBuild> built, IImageSet images, ImageDestination destination)
    {
        if (run.Request.Supply is not { } supply)
        {
            return [];
        }
        var artifacts = new List<ImageArtifact>();
        if (supply.Sbom ?? destination.CarriesArtifacts)
        {
            bool several = images.Images.Count > 1;
            artifacts.AddRange(built.Select((b, i) => Sbom(run, supply, b, images.Images[i], several)));
        }
        if (supply.Provenance ?? destination.CarriesArtifacts)
        {
            var bases = built.Select(b => BaseOf(run, b.Base)).OfType<SbomBaseImage>().ToList();
            artifacts.Add(ProvenanceArtifact.For(run, supply, images, bases, ToolVersion));
        }
        return artifacts;
    }

    private static ImageArtifact Sbom(BuildRun run, SupplyChainRequest supply, PlatformBuild build, IImage image, bool several)
    {
        string? rid = build.Input.AssetsRuntimeIdentifier;
        AssetsGraph graph = supply.AssetsFile is { } assets ? AssetsFile.Read(assets, supply.TargetFramework, rid) : new AssetsGraph([], []);
        // Only what the publish put in the app: build-only and PrivateAssets="all" packages are in the assets file, not in the image.
        string deps = Path.Combine(build.Input.PublishDirectory, supply.AppName + ".deps.json");
        if (File.Exists(deps))
        {
            graph = graph.Published(DepsFile.Packages(deps));
        }
        string runtimeConfig = Path.Combine(build.Input.PublishDirectory, supply.AppName + ".runtimeconfig.json");
        var inputs = new SbomInputs(supply.AppName, supply.AppVersion, supply.TargetFramework, rid, image.Platform, graph.Packages, graph.ProjectReferences,
            File.Exists(runtimeConfig) ? RuntimeFrameworks.Read(runtimeConfig) : [], BaseOf(run, build.Base), run.Time, ToolVersion);
        bool spdx = supply.SbomFormat == SbomFormat.Spdx;
        string type = spdx ? SbomMediaTypes.Spdx : SbomMediaTypes.CycloneDx;
        string file = $"sbom{(several ? "." + build.Input.RuntimeIdentifier : "")}.{(spdx ? "spdx" : "cdx")}.json";
        var content = new ReferrerArtifact(type, type, spdx ? SpdxWriter.Write(inputs) : CycloneDxWriter.Write(inputs))
        {
            BlobAnnotations = new Dictionary<string, string> { ["org.opencontainers.image.title"] = file },
            Annotations = new Dictionary<string, string> { ["org.opencontainers.image.created"] = Timestamps.Format(run.Time) },
        };
        return new ImageArtifact(ArtifactKinds.Sbom, file, build.Input.RuntimeIdentifier, image.Descriptor, content);
    }

    // The base by the name it was given and the digest of the platform manifest used; null for scratch.
    private static SbomBaseImage? BaseOf(BuildRun run, SourceImage source)
    {
        if (source.IsScratch)
        {
            return null;
        }
        return run.BaseReference is { } reference
            ? new SbomBaseImage(reference.Registry, reference.Repository, reference.Tag, source.ManifestDigest.ToString())
            : new SbomBaseImage(null, source.Name, null, source.ManifestDigest.ToString());
    }

    private static string Summary(IReadOnlyList<ArtifactResult> results, Delivery delivery)
    {
        int attached = results.Count(r => r.Manifest is not null);
        int added = results.Count(r => r.Changed);
        string what = string.Join(", ", results.GroupBy(r => r.Kind).Select(g => ArtifactKinds.Label(g.Key, g.Count())));
        return attached == 0
            ? $"Supply chain: {what} written next to the image outputs only (the image was {delivery.Destination}, which carries no referrers)."
            : $"Supply chain: {what} attached to the image as OCI referrers ({(added == 0 ? "all there already, nothing sent" : $"{added} new, {attached - added} there already")}).";
    }
}
