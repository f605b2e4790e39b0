using System.Diagnostics;

namespace ContainerTasks.Processes;

/// <summary>Runs an external tool (a credential helper, docker, podman) with the build's environment, some input and a time limit.</summary>
internal static class ToolRunner
{
    /// <summary>
    /// Runs <paramref name="executable"/> (an absolute path, see <see cref="ExecutableLookup"/>) to the end. A tool that
    /// exits without reading <paramref name="input"/> is not an error here: its exit code and output still say what happened.
    /// <paramref name="progressed"/>, when given, is asked between waits whether the tool got on (e.g. its output file grew):
    /// each time it did, the tool has <paramref name="timeout"/> again, which then bounds its silence, not its whole run.
    /// </summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The file cannot be started.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the tool is stopped).</exception>
    public static ToolResult Run(string executable, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string? input,
        TimeSpan timeout, CancellationToken cancellationToken = default, Func<bool>? progressed = null)
    {
        using Process process = Process.Start(StartInfo(executable, arguments, environment))!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        Task<string> error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        WriteInput(process, input);
        // Waits in short steps, so that a cancelled build (Ctrl+C) stops the tool too.
        var deadline = DateTime.UtcNow + timeout;
        while (!process.WaitForExit(200))
        {
            if (progressed?.Invoke() == true)
            {
                deadline = DateTime.UtcNow + timeout;
            }
            if (cancellationToken.IsCancellationRequested || DateTime.UtcNow > deadline)
            {
                process.Kill(entireProcessTree: true);
                cancellationToken.ThrowIfCancellationRequested();
                return new ToolResult(-1, "", "", TimedOut: true);
            }
        }
        process.WaitForExit();
        return new ToolResult(process.ExitCode, output.Result, error.Result, TimedOut: false);
    }

    private static ProcessStartInfo StartInfo(string executable, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var pair in environment)
        {
            start.Environment[pair.Key] = pair.Value;
        }
        return start;
    }

    private static void WriteInput(Process process, string? input)
    {
        try
        {
            if (input is not null)
            {
                process.StandardInput.Write(input);
            }
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Broken pipe: the tool exited (or closed stdin) without reading its input. Whether it succeeded is its exit code's to say.
        }
    }
}
