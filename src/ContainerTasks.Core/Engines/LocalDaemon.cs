using ContainerTasks.Model;
using ContainerTasks.Outputs;
using ContainerTasks.Processes;

namespace ContainerTasks.Engines;

/// <summary>
/// A local container engine (Docker or Podman) reached through its CLI, when no API socket answers: images go in with
/// <c>docker load</c> / <c>podman load</c> of an archive in an owner-only temporary folder. Only a server that answers
/// counts: a <c>docker</c> client with no daemon behind it is no destination.
/// </summary>
internal sealed class LocalDaemon : ILocalEngine
{
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly string _os;

    private LocalDaemon(string command, IReadOnlyDictionary<string, string> environment, string os)
    {
        Name = command;
        _environment = environment;
        _os = os;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>
    /// The engine named by <paramref name="localRegistry"/> (Docker or Podman), or the first that answers when it is empty.
    /// Null when none answers. An unknown name is CT4110.
    /// </summary>
    public static LocalDaemon? Find(string? localRegistry, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken = default)
        => Find(EngineKinds.FromLocalRegistry(localRegistry), environment, cancellationToken);

    /// <summary>The CLI of <paramref name="wanted"/>, or the first that answers when it is null; null when none answers.</summary>
    public static LocalDaemon? Find(EngineKind? wanted, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken = default)
    {
        string[] candidates = wanted is { } kind ? [kind.CommandName()] : ["docker", "podman"];
        foreach (string command in candidates)
        {
            // `info` talks to the server (honouring DOCKER_HOST); a client alone fails here. It also says the system of its containers.
            var (exit, output, _) = RunTool(command, ["info", "--format", command == "docker" ? "{{.ServerVersion}} {{.OSType}}" : "{{.Version.Version}} {{.Host.OS}}"],
                environment, null, TimeSpan.FromSeconds(20), cancellationToken);
            if (exit == 0 && ParseInfo(output) is { } os)
            {
                return new LocalDaemon(command, environment, os);
            }
        }
        return null;
    }

    /// <summary>The system of the engine's containers from <c>info</c>'s "VERSION OS" line: empty when it does not say, null when there is no server version.</summary>
    internal static string? ParseInfo(string output)
    {
        string[] words = output.Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return words.Length == 0 ? null : words.Length > 1 && words[1] is "linux" or "windows" ? words[1] : "";
    }

    /// <inheritdoc />
    public async Task LoadAsync(IImageSet images, IReadOnlyList<ImageReference> names, DateTimeOffset time, CancellationToken cancellationToken)
    {
        EngineSystem.Check(images.Images, _os, $"the {Name} engine");
        // An owner-only folder (mkdtemp, 0700): the app's layers are nobody else's to read on a shared machine.
        string folder = Directory.CreateTempSubdirectory("containertasks-").FullName;
        try
        {
            string archive = Path.Combine(folder, "image.tar");
            await ImageOutput.WriteAsync(OutputKind.DockerArchive, archive, images, names, time, cancellationToken).ConfigureAwait(false);
            Load(archive, cancellationToken);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <inheritdoc />
    public Task<EngineImage?> InspectAsync(string name, CancellationToken cancellationToken)
    {
        var (exit, output, error) = RunTool(Name, ["image", "inspect", name], _environment, null, TimeSpan.FromMinutes(1), cancellationToken);
        if (exit != 0)
        {
            // "Error: No such image: x" (docker), "Error: x: image not known" (podman): no image; anything else is a failure.
            string said = error + output;
            return NoSuchImage(said)
                ? Task.FromResult<EngineImage?>(null)
                : throw EngineApi.ExportFailed(Name, $"'{Name} image inspect {name}' failed (exit {exit}): {Registry.RegistryText.Clean(said)}", null);
        }
        return Task.FromResult<EngineImage?>(EngineImage.Parse(name, output)
            ?? throw EngineApi.ExportFailed(Name, $"'{Name} image inspect {name}' described the image without an image id", null));
    }

    /// <inheritdoc />
    public async Task ExportAsync(EngineImage image, long maxLength, Func<Stream, CancellationToken, Task> read, CancellationToken cancellationToken)
    {
        // An owner-only folder (mkdtemp, 0700), as for a load: the base's layers are nobody else's to read.
        string folder = Directory.CreateTempSubdirectory("containertasks-").FullName;
        try
        {
            string archive = Path.Combine(folder, "base.tar");
            var (exit, output, error) = Save(image, archive, maxLength, cancellationToken);
            if (exit != 0 || !File.Exists(archive))
            {
                throw EngineApi.ExportFailed(Name, $"'{Name} save' of {image.Describe(Name)} failed (exit {exit}): {Registry.RegistryText.Clean(error + output)}", null);
            }
            await using FileStream stream = new(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 128 * 1024, FileOptions.SequentialScan);
            if (stream.Length > maxLength)
            {
                throw EngineApi.ExportTooLarge(Name, image, maxLength);
            }
            await read(stream, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // `save` into the file, never cut short while it grows (only after EngineClient.SilenceLimit of no growth), and stopped
    // once it is larger than the image can be: an engine does not fill the disk. The whole (private) folder is measured:
    // the docker CLI writes a temporary file next to the archive and renames it at the end.
    private (int Exit, string Output, string Error) Save(EngineImage image, string archive, long maxLength, CancellationToken cancellationToken)
    {
        string[] format = Name == "podman" ? ["--format", "docker-archive"] : [];
        using var tooLarge = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var folder = new DirectoryInfo(Path.GetDirectoryName(archive)!);
        long written = 0;
        bool Grew()
        {
            long length = folder.EnumerateFiles().Sum(f => f.Exists ? f.Length : 0);
            if (length > maxLength)
            {
                tooLarge.Cancel();
            }
            (bool grew, written) = (length > written, length);
            return grew;
        }
        try
        {
            return RunTool(Name, ["save", .. format, "-o", archive, image.Id.Hex], _environment, null, EngineClient.SilenceLimit, tooLarge.Token, Grew);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw EngineApi.ExportTooLarge(Name, image, maxLength);
        }
    }

    /// <summary>For messages: <c>the podman CLI</c>.</summary>
    public override string ToString() => $"the {Name} CLI";

    private static bool NoSuchImage(string said)
        => said.Contains("no such image", StringComparison.OrdinalIgnoreCase) || said.Contains("image not known", StringComparison.OrdinalIgnoreCase);

    /// <summary>Loads a docker archive; CT4108 with the engine's message when it fails.</summary>
    private void Load(string archivePath, CancellationToken cancellationToken)
    {
        var (exit, output, error) = RunTool(Name, ["load", "-i", archivePath], _environment, null, TimeSpan.FromMinutes(30), cancellationToken);
        if (exit != 0)
        {
            throw new ContainerTasksException(ErrorCodes.DaemonLoadFailed, $"'{Name} load' failed (exit {exit}): {Registry.RegistryText.Clean(error + output)}");
        }
    }

    private static (int Exit, string Output, string Error) RunTool(string command, string[] arguments, IReadOnlyDictionary<string, string> environment, string? input, TimeSpan timeout,
        CancellationToken cancellationToken = default, Func<bool>? progressed = null)
    {
        // The build's PATH only: never a "docker" that happens to sit in the current folder.
        if (ExecutableLookup.Find(command, environment) is not { } executable)
        {
            return (-1, "", $"{command} is not installed (not on PATH)");
        }
        try
        {
            ToolResult result = ToolRunner.Run(executable, arguments, environment, input, timeout, cancellationToken, progressed);
            string late = progressed is null ? $"did not finish within {timeout.TotalSeconds:0} s" : $"wrote nothing for {timeout.TotalSeconds:0} s";
            return result.TimedOut ? (-1, "", $"{command} {late}") : (result.ExitCode, result.Output, result.Error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", $"{executable} cannot be started: {e.Message}");
        }
    }
}
