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

    /// <summary>The documents the request asks for about <paramref name="images"/> (final: after the steps that change them); none without <see cref="ContainerBuildRequest.Supply"/>.</summary>
    public static IReadOnlyList<ImageArtifact> Documents(BuildRun run, IReadOnlyList<PlatformBuild> built, IImageSet images, ImageDestination destination)
    {
        if (run.Request.Supply is not { } supply)
        {
            return [];
        }
        var artifacts = new List<ImageArtifact>();
        if (supply.Sbom ?? destination.CarriesArtifacts)
        {
            bool several = images.Images.Count > 1;
            IReadOnlyList<AssetsGraph> graphs = supply.AssetsFile is { } assets
                ? AssetsFile.ReadAll(assets, supply.TargetFramework, built.Select(b => b.Input.AssetsRuntimeIdentifier).ToList())
                : built.Select(_ => new AssetsGraph([], [])).ToList();
            artifacts.AddRange(built.Select((b, i) => Sbom(run, supply, b, images.Images[i], graphs[i], several)));
        }
        if (supply.Provenance ?? destination.CarriesArtifacts)
        {
            // The images the layers came from: each platform's base, and the images of ContainerLayerImage items.
            var bases = built.Select(b => BaseOf(run, b.Base)).OfType<SbomBaseImage>()
                .Concat(built.SelectMany(b => b.Added).Select(a => new SbomBaseImage(a.Origin.Image.Registry, a.Origin.Image.Repository, a.Origin.Image.Tag,
                    a.Image.ManifestDigest.ToString()))).ToList();
            artifacts.Add(ProvenanceArtifact.For(run, supply, images, bases, ToolVersion));
        }
        return artifacts;
    }

    /// <summary>The documents as manifests an archive or layout holds next to the image.</summary>
    public static IReadOnlyList<AttachedManifest> Manifests(IReadOnlyList<ImageArtifact> documents) => documents.Select(d =>
    {
        ArtifactManifest manifest = d.Manifest;
        return new AttachedManifest(manifest.ReferrerEntry, [new AttachedBlob(manifest.Descriptor, manifest.Bytes),
            new AttachedBlob(ArtifactManifest.EmptyDescriptor, ArtifactManifest.EmptyConfig), new AttachedBlob(manifest.Blob, d.Content.Content)]);
    }).ToList();

    /// <summary>
    /// Attaches the documents after the image was written (a registry), or reports them held by it (an archive, a layout),
    /// and signs the image when given a key.
    /// </summary>
    public static async Task<IReadOnlyList<ArtifactResult>> AttachAsync(BuildRun run, IReadOnlyList<PlatformBuild> built, Delivery delivery, ImageDestination destination,
        IReadOnlyList<ImageArtifact> documents, SigningKey? key, CancellationToken cancellationToken)
    {
        IReadOnlyList<AttachedReferrer?> attached = destination.HoldsArtifacts
            ? documents.Select(d => (AttachedReferrer?)new AttachedReferrer(d.Manifest.Descriptor, false, true)).ToList()
            : await AttachOrWarnAsync(run, destination, documents, cancellationToken).ConfigureAwait(false);
        var results = documents.Select((a, i) => new ArtifactResult(a.Kind, a.FileName, a.RuntimeIdentifier, a.Subject.Digest, a.Content.ArtifactType,
            a.Content.Content) { Manifest = attached[i]?.Manifest.Digest, Changed = attached[i]?.Changed ?? false }).ToList();
        if (key is not null)
        {
            results.AddRange(await SignAsync(run, built, delivery, documents, destination, key, cancellationToken).ConfigureAwait(false));
        }
        if (results.Count > 0)
        {
            run.Log.Progress(Summary(results, delivery));
            run.Timer.Mark("supply chain");
        }
        return results;
    }

    // Made by default rather than asked for, documents a registry refuses (an old registry, immutable sha256-* tags) do not
    // fail a publish whose image is pushed already: a warning, and the files next to image.json.
    private static async Task<IReadOnlyList<AttachedReferrer?>> AttachOrWarnAsync(BuildRun run, ImageDestination destination, IReadOnlyList<ImageArtifact> documents,
        CancellationToken cancellationToken)
    {
        try
        {
            return await destination.AttachAsync(documents, cancellationToken).ConfigureAwait(false);
        }
        catch (ContainerTasksException e) when (documents.Count > 0 && run.Request.Supply is { Sbom: not true, Provenance: not true })
        {
            run.Log.Warning(ErrorCodes.DocumentsNotAttached, $"The image is pushed, but its SBOM and provenance could not be attached to it: {e.Message} "
                + "They are written next to image.json. Set ContainerSbom and ContainerProvenance to false to stop making them, or to true to make this an error.");
            return new AttachedReferrer?[documents.Count];
        }
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

    private static ImageArtifact Sbom(BuildRun run, SupplyChainRequest supply, PlatformBuild build, IImage image, AssetsGraph graph, bool several)
    {
        string? rid = build.Input.AssetsRuntimeIdentifier;
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
        string file = $"sbom{(several ? "." + FileNamePart(build.Input.RuntimeIdentifier) : "")}.{(spdx ? "spdx" : "cdx")}.json";
        var content = new ReferrerArtifact(type, type, spdx ? SpdxWriter.Write(inputs) : CycloneDxWriter.Write(inputs))
        {
            BlobAnnotations = new Dictionary<string, string> { ["org.opencontainers.image.title"] = file },
            Annotations = new Dictionary<string, string> { ["org.opencontainers.image.created"] = Timestamps.Format(run.Time) },
        };
        return new ImageArtifact(ArtifactKinds.Sbom, file, build.Input.RuntimeIdentifier, image.Descriptor, content);
    }

    // A runtime identifier as part of a file name: only the characters runtime identifiers have, never a path separator.
    private static string FileNamePart(string rid) => new string(rid.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' ? c : '_').ToArray()).Replace("..", "__");

    // The base by the name it was given and the digest of the platform manifest used (a local engine's: its image id); null for scratch.
    private static SbomBaseImage? BaseOf(BuildRun run, SourceImage source)
    {
        if (source.IsScratch)
        {
            return null;
        }
        if (source.FromEngine is { } local)
        {
            // No registry: the name as the engine was asked, pinned by the engine's image id.
            int colon = local.Name.LastIndexOf(':');
            bool tagged = colon > local.Name.LastIndexOf('/') && !local.Name.Contains('@');
            return new SbomBaseImage(null, tagged ? local.Name[..colon] : local.Name, tagged ? local.Name[(colon + 1)..] : null, local.ImageId.ToString());
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
