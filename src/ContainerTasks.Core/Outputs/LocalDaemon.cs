using ContainerTasks.Processes;

namespace ContainerTasks.Outputs;

/// <summary>
/// A local container engine (Docker or Podman) to load images into with <c>docker load</c> / <c>podman load</c>.
/// Only a server that answers counts: a <c>docker</c> client with no daemon behind it is no destination.
/// </summary>
internal sealed class LocalDaemon
{
    private readonly IReadOnlyDictionary<string, string> _environment;

    private LocalDaemon(string command, IReadOnlyDictionary<string, string> environment)
    {
        Command = command;
        _environment = environment;
    }

    /// <summary><c>docker</c> or <c>podman</c>.</summary>
    public string Command { get; }

    /// <summary>
    /// The engine named by <paramref name="localRegistry"/> (Docker or Podman), or the first that answers when it is empty.
    /// Null when none answers. An unknown name is CT4110.
    /// </summary>
    public static LocalDaemon? Find(string? localRegistry, IReadOnlyDictionary<string, string> environment)
    {
        string[] candidates = (localRegistry ?? "").Trim().ToLowerInvariant() switch
        {
            "" => ["docker", "podman"],
            "docker" => ["docker"],
            "podman" => ["podman"],
            _ => throw new ContainerTasksException(ErrorCodes.UnknownLocalRegistry, $"LocalRegistry is '{localRegistry}'. Use Docker or Podman, or leave it empty to detect one."),
        };
        foreach (string command in candidates)
        {
            // `info` talks to the server (honouring DOCKER_HOST); a client alone fails here.
            var (exit, output, _) = RunTool(command, ["info", "--format", command == "docker" ? "{{.ServerVersion}}" : "{{.Version.Version}}"], environment, null, TimeSpan.FromSeconds(20));
            if (exit == 0 && output.Trim().Length > 0)
            {
                return new LocalDaemon(command, environment);
            }
        }
        return null;
    }

    /// <summary>Loads a docker archive; CT4108 with the engine's message when it fails.</summary>
    public void Load(string archivePath, CancellationToken cancellationToken = default)
    {
        var (exit, output, error) = RunTool(Command, ["load", "-i", archivePath], _environment, null, TimeSpan.FromMinutes(30), cancellationToken);
        if (exit != 0)
        {
            throw new ContainerTasksException(ErrorCodes.DaemonLoadFailed, $"'{Command} load' failed (exit {exit}): {(error + output).Trim()}");
        }
    }

    private static (int Exit, string Output, string Error) RunTool(string command, string[] arguments, IReadOnlyDictionary<string, string> environment, string? input, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        // The build's PATH only: never a "docker" that happens to sit in the current folder.
        if (ExecutableLookup.Find(command, environment) is not { } executable)
        {
            return (-1, "", $"{command} is not installed (not on PATH)");
        }
        try
        {
            ToolResult result = ToolRunner.Run(executable, arguments, environment, input, timeout, cancellationToken);
            return result.TimedOut ? (-1, "", $"{command} did not finish within {timeout.TotalSeconds:0} s") : (result.ExitCode, result.Output, result.Error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", $"{executable} cannot be started: {e.Message}");
        }
    }
}
