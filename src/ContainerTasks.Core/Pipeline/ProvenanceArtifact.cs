using ContainerTasks.Model;
using ContainerTasks.Registry.Referrers;
using ContainerTasks.Supply;
using ContainerTasks.Supply.Provenance;

namespace ContainerTasks.Pipeline;

/// <summary>The provenance of a build's image: one in-toto statement about the root (the index of several platforms).</summary>
internal static class ProvenanceArtifact
{
    /// <summary>The file next to the image outputs.</summary>
    public const string FileName = "provenance.json";

    /// <summary>The statement about <paramref name="images"/>' root, from the request and the bases used.</summary>
    public static ImageArtifact For(BuildRun run, SupplyChainRequest supply, IImageSet images, IReadOnlyList<SbomBaseImage> bases, string toolVersion)
    {
        ContainerBuildRequest request = run.Request;
        string project = supply.ProjectPath ?? Path.Combine(Directory.GetCurrentDirectory(), supply.AppName + ".csproj");
        SourceInfo source = SourceInfo.Find(Path.GetDirectoryName(Path.GetFullPath(project))!, supply.SourceRevisionId, supply.RepositoryUrl, supply.RepositoryBranch);
        string name = run.PushRegistry is { } registry ? $"{registry}/{request.Repository}" : request.Repository;
        var inputs = new ProvenanceInputs([new ProvenanceSubject(name, images.Root.Digest.ToString())], project, supply.Configuration,
            request.Platforms.Select(p => p.RuntimeIdentifier).ToList(), Parameters(request), supply.SdkVersion, toolVersion, bases, source,
            request.EnvironmentSnapshot);
        var content = new ReferrerArtifact(ProvenanceWriter.MediaType, ProvenanceWriter.MediaType, ProvenanceWriter.Write(inputs))
        {
            BlobAnnotations = new Dictionary<string, string> { ["org.opencontainers.image.title"] = FileName },
            Annotations = new Dictionary<string, string>
            {
                ["org.opencontainers.image.created"] = Timestamps.Format(run.Time),
                [ProvenanceWriter.PredicateTypeAnnotation] = ProvenanceWriter.PredicateType,
            },
        };
        return new ImageArtifact(ArtifactKinds.Provenance, FileName, null, images.Root, content);
    }

    // The container properties that shaped the image. Environment variables and labels by name only: their values may
    // come from the build's secrets, and the provenance is read by more people than the image.
    private static List<(string Name, string Value)> Parameters(ContainerBuildRequest request)
    {
        var parameters = new List<(string, string)>
        {
            ("ContainerBaseImage", request.BaseImage),
            ("ContainerRepository", request.Repository),
            ("ContainerWorkingDirectory", request.WorkingDirectory),
            ("ContainerLayering", request.Layering.ToString()),
            ("ContainerImageFormat", request.Format.ToString()),
        };
        parameters.AddRange(request.Tags.Select(t => ("ContainerImageTags", t)));
        parameters.AddRange(request.LayerImages.Select(l => ("ContainerLayerImage", l.Reference.Trim())));
        Add(parameters, "ContainerRegistry", request.OutputRegistry);
        Add(parameters, "ContainerUser", request.User);
        Add(parameters, "ContainerAppCommandInstruction", request.Entrypoint.Instruction);
        parameters.AddRange(request.Ports.Select(p => ("ContainerPort", p)));
        parameters.AddRange(request.Environment.Select(e => ("ContainerEnvironmentVariable", e.Key)));
        parameters.AddRange(request.Labels.Select(l => ("ContainerLabel", l.Key)));
        parameters.AddRange(request.Volumes.Select(v => ("ContainerVolume", v)));
        return parameters;
    }

    private static void Add(List<(string, string)> parameters, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            parameters.Add((name, value));
        }
    }
}
