using System.Text.Json;
using ContainerTasks.Compose;
using ContainerTasks.Model;
using Microsoft.Build.Framework;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace ContainerTasks.MSBuild;

/// <summary>
/// After the image is delivered (<c>ContainerGenerateCompose=true</c>): saves this project's service and writes the
/// solution's compose file from every containerised project's service. A table of inputs: the work is in Core's Compose/.
/// </summary>
public sealed class WriteContainerCompose : MSBuildTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancellation = new();

    /// <summary>The compose file, full path.</summary>
    [Required] public string ComposeFile { get; set; } = "";
    /// <summary>This project (<c>$(MSBuildProjectFullPath)</c>).</summary>
    [Required] public string ProjectPath { get; set; } = "";
    /// <summary>The solution's projects; empty when the project is published alone.</summary>
    public ITaskItem[] SolutionProjects { get; set; } = [];
    /// <summary>True in a solution build: only <see cref="SolutionProjects"/> are services.</summary>
    public bool InSolution { get; set; }
    /// <summary>The <c>image.json</c> the image build wrote: where the image went, its names and digest.</summary>
    [Required] public string ResultFile { get; set; } = "";
    /// <summary>The image's config (<c>GeneratedContainerConfiguration</c>): its exposed ports, environment and volumes.</summary>
    [Required] public string Configuration { get; set; } = "";
    /// <summary><c>ContainerComposeService</c>: the service name; empty for the repository's last segment.</summary>
    public string? ServiceName { get; set; }
    /// <summary>
    /// <c>ContainerComposePorts</c>: <c>none</c>, or <c>HOST:CONTAINER[/udp]</c> entries; empty for each exposed port on
    /// the same host port, or the next free one when another service publishes it.
    /// </summary>
    public string? Ports { get; set; }
    /// <summary><c>ContainerEnvironmentVariable</c> items: which of the image's variables the service lists.</summary>
    public ITaskItem[] EnvironmentVariables { get; set; } = [];
    /// <summary><c>ProjectReference</c> items: those that are services become <c>depends_on</c>.</summary>
    public ITaskItem[] ProjectReferences { get; set; } = [];

    /// <summary>The compose file written (or left as it was).</summary>
    [Output] public string? GeneratedComposeFile { get; private set; }

    /// <summary>Stops waiting for the lock (Ctrl+C).</summary>
    public void Cancel() => _cancellation.Cancel();

    /// <inheritdoc />
    public override bool Execute()
    {
        var log = new TaskBuildLog(Log);
        return TaskFailures.Run(log, _cancellation.Token, () =>
        {
            ComposeService service = Service();
            IReadOnlyCollection<string>? projects = InSolution ? SolutionProjects.Select(p => p.GetMetadata("FullPath")).Append(service.Project).ToList() : null;
            ComposeFileResult result = Compose.ComposeFile.Update(ComposeFile, service, projects, _cancellation.Token);
            foreach (string skipped in result.Skipped)
            {
                log.Detail(skipped);
            }
            foreach (ComposeService placed in result.Services.Where(s => s.Notes.Count > 0))
            {
                log.Progress($"{Path.GetFileName(result.Path)}: service '{placed.Name}' publishes {string.Join("; ", placed.Notes)}.");
            }
            string names = string.Join(", ", result.Services.Select(s => s.Name));
            log.Milestone($"{Path.GetFileNameWithoutExtension(ProjectPath)} -> {result.Path} ({result.Services.Count} service{(result.Services.Count == 1 ? "" : "s")}: {names}{(result.Written ? "" : "; unchanged")})");
            GeneratedComposeFile = result.Path;
            return !Log.HasLoggedErrors;
        });
    }

    private ComposeService Service()
    {
        using JsonDocument image = JsonDocument.Parse(File.ReadAllBytes(ResultFile));
        JsonElement root = image.RootElement;
        string repository = root.GetProperty("repository").GetString()!;
        string? registry = root.GetProperty("registry").GetString();
        ImageConfig config = ImageConfig.Parse(System.Text.Encoding.UTF8.GetBytes(Configuration));
        string name = string.IsNullOrWhiteSpace(ServiceName) ? repository[(repository.LastIndexOf('/') + 1)..] : ServiceName.Trim();
        if (!ComposeService.IsValidName(name))
        {
            throw new ContainerTasksException(ErrorCodes.ComposeFileFailed,
                $"ContainerComposeService is '{ServiceName}'. A service name starts with a letter or digit and holds only letters, digits, '_', '.' and '-'.");
        }
        return new ComposeService
        {
            Name = name,
            Project = Path.GetFullPath(ProjectPath),
            // Pushed: by digest, what was pushed and nothing else. Loaded or archived: the tag, as a loaded image has no repository digest.
            Image = registry is null ? root.GetProperty("names")[0].GetString()! : $"{registry}/{repository}@{root.GetProperty("digest").GetString()}",
            ByTag = registry is null,
            Digest = root.GetProperty("digest").GetString(),
            Published = DateTimeOffset.UtcNow,
            Ports = ComposePort.From(Ports, config.ExposedPorts),
            PortsChosen = !string.IsNullOrWhiteSpace(Ports),
            Environment = Environment(config),
            Volumes = config.Volumes.Order(StringComparer.Ordinal).ToList(),
            References = ProjectReferences.Select(r => r.GetMetadata("FullPath")).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
        };
    }

    // The project's own variables, with the values the image has (a name the image left out, CT4113, is left out here too).
    private List<KeyValuePair<string, string>> Environment(ImageConfig config)
    {
        var image = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string entry in config.Env)
        {
            int equals = entry.IndexOf('=', StringComparison.Ordinal);
            image[equals < 0 ? entry : entry[..equals]] = equals < 0 ? "" : entry[(equals + 1)..];
        }
        return EnvironmentVariables.Select(i => i.ItemSpec.Trim()).Distinct(StringComparer.Ordinal)
            .Where(image.ContainsKey).Select(n => new KeyValuePair<string, string>(n, image[n])).OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
    }
}
