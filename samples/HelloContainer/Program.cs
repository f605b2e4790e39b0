using System.Runtime.InteropServices;

// Everything printed here comes from the image: the runtime from the base layer, the app from
// the app layer, and the rest from the config (ENV, USER, WORKDIR).
Console.WriteLine($"Hello from a container built without a daemon!");
Console.WriteLine($"  runtime:     .NET {Environment.Version} on {RuntimeInformation.OSDescription.Trim()} ({RuntimeInformation.ProcessArchitecture})");
Console.WriteLine($"  in container: {Environment.GetEnvironmentVariable("DOTNET_RUNNING_IN_CONTAINER") ?? "false"}");
Console.WriteLine($"  user id:     {GetUid()}");
Console.WriteLine($"  working dir: {Environment.CurrentDirectory}");
Console.WriteLine($"  greeting:    {Environment.GetEnvironmentVariable("GREETING") ?? "(GREETING not set)"}");
Console.WriteLine($"  arguments:   {(args.Length == 0 ? "(none)" : string.Join(' ', args))}");
return 0;

static string GetUid() => File.Exists("/proc/self/status")
    ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] ?? "?"
    : "?";
