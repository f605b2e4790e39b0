using ContainerTasks.Building;
using ContainerTasks.Model;

namespace ContainerTasks.Pipeline;

/// <summary>The result of a build, from what was built and where it went.</summary>
internal static class BuildResults
{
    public static ContainerBuildResult From(BuildRun run, IReadOnlyList<PlatformBuild> built, Delivery delivery, IReadOnlyList<ArtifactResult> artifacts)
    {
        ContainerBuildRequest request = run.Request;
        ImageSet set = delivery.Images;
        IReadOnlyList<string> names = run.ResultNames();
        var platforms = set.Images.Select((image, i) => new PlatformResult(built[i].Input.RuntimeIdentifier, image.Platform.ToString(), image.ManifestDigest,
            image.ManifestBytes, image.ConfigBytes) { Layers = LayerReports(image, built[i]) }).ToList();
        // One line for the whole image: what a user reads at the default verbosity.
        string shape = set.Index is null ? $"{set.Images[0].Manifest.Layers.Count} layers" : $"{set.Images.Count} platforms";
        string otherTags = names.Count > 1 ? $"; also tagged {string.Join(", ", request.Tags.Skip(1))}" : "";
        otherTags += Attached(artifacts);
        return new ContainerBuildResult
        {
            ManifestDigest = set.Root.Digest,
            Manifest = set.Index?.Bytes ?? set.Images[0].ManifestBytes,
            Config = set.Images[0].ConfigBytes,
            MediaType = set.Root.MediaType,
            Registry = run.PushRegistry,
            Repository = request.Repository,
            Tags = request.Tags,
            Names = names,
            ArchivePath = delivery.ArchivePath,
            Destination = delivery.Destination,
            Summary = $"{names[0]}@{set.Root.Digest} ({shape}, {delivery.Destination}{otherTags})",
            BaseDigest = built[0].Base.Identity,
            Platforms = platforms,
            Index = set.Index?.Bytes,
            Artifacts = artifacts,
        };
    }

    // "; SBOM attached", "; 2 SBOMs attached": what a reader of the result line should know is on the image too.
    private static string Attached(IReadOnlyList<ArtifactResult> artifacts)
    {
        var attached = artifacts.Where(a => a.Manifest is not null).GroupBy(a => a.Kind).Select(g => ArtifactKinds.Label(g.Key, g.Count())).ToList();
        return attached.Count == 0 ? "" : $"; {string.Join(", ", attached)} attached";
    }

    // The manifest's layers: the base's first, then those of the layer images, then this build's, in plan order.
    private static List<LayerResult> LayerReports(BuiltImage image, PlatformBuild built)
    {
        IReadOnlyList<Descriptor> layers = image.Manifest.Layers;
        var added = built.Added.SelectMany(a => a.Layers.Select(_ => a.Origin.Image)).ToList();
        int baseCount = layers.Count - built.Plan.Count - added.Count;
        return layers.Select((layer, i) =>
        {
            if (i < baseCount)
            {
                return new LayerResult(layer.Digest, layer.Size, "base", LayerSources.Base);
            }
            if (i < baseCount + added.Count)
            {
                return new LayerResult(layer.Digest, layer.Size, "layer image", LayerSources.LayerImage) { FoundIn = added[i - baseCount].ToString() };
            }
            int planned = i - baseCount - added.Count;
            string source = built.Sources[planned];
            return new LayerResult(layer.Digest, layer.Size, built.Plan[planned].Name, source)
            {
                FoundIn = image.Layers[i].MountFrom is { } from && source is not (LayerSources.Built or LayerSources.Cache) ? from.ToString() : null,
            };
        }).ToList();
    }
}
