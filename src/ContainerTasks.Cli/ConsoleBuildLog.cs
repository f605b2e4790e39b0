using ContainerTasks.Pipeline;

namespace ContainerTasks.Cli;

/// <summary>The build's log on standard error: steps and warnings; details only with CONTAINERTASKS_DEBUG=1.</summary>
internal sealed class ConsoleBuildLog : IContainerBuildLog
{
    private readonly bool _details = Environment.GetEnvironmentVariable("CONTAINERTASKS_DEBUG") == "1";

    public void Progress(string message) => Console.Error.WriteLine(message);

    public void Detail(string message)
    {
        if (_details)
        {
            Console.Error.WriteLine(message);
        }
    }

    public void Notice(string message) => Console.Error.WriteLine(message);

    public void Warning(string code, string message) => Console.Error.WriteLine($"warning {code}: {message}");
}
