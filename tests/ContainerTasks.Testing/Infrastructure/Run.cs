using System.Diagnostics;

namespace ContainerTasks.Tests.Infrastructure;

/// <summary>The result of a process run.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Throws with both outputs unless the exit code is 0.</summary>
    public ProcessResult EnsureSuccess(string what)
    {
        if (ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"{what} exited with {ExitCode}.\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        }
        return this;
    }

    /// <summary>
    /// Asserts a build that failed with the coded error <paramref name="code"/> (as MSBuild writes it, <c>error CT4108:</c>)
    /// and no stack trace; returns both outputs together, for more checks.
    /// </summary>
    public string EnsureCodedFailure(string code)
    {
        string all = StandardOutput + StandardError;
        Assert.NotEqual(0, ExitCode);
        Assert.Matches($"error {code}[0-9]*:", all);
        Assert.DoesNotContain("   at ", all);
        return all;
    }
}

/// <summary>Runs external tools (the real parts tests check our output with).</summary>
public static class Run
{
    /// <summary>Runs <paramref name="file"/> with arguments, stdin closed, with a timeout.</summary>
    public static ProcessResult Process(string file, IEnumerable<string> arguments, string? workingDirectory = null,
        IDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(Tools.Require(file));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return Wait(start, workingDirectory, environment, timeout, $"{file} {string.Join(' ', arguments)}");
    }

    /// <summary>
    /// Runs <paramref name="file"/> with one command-line string, split into arguments as .NET splits
    /// <see cref="ProcessStartInfo.Arguments"/> (quotes grouped and removed, <c>\"</c> a quote): as a .NET client
    /// that builds its command line as text starts it.
    /// </summary>
    public static ProcessResult CommandLine(string file, string arguments, IDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
        => Wait(new ProcessStartInfo(Tools.Require(file)) { Arguments = arguments }, null, environment, timeout, $"{file} {arguments}");

    private static ProcessResult Wait(ProcessStartInfo start, string? workingDirectory, IDictionary<string, string?>? environment, TimeSpan? timeout, string what)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        start.UseShellExecute = false;
        start.WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory;
        if (environment is not null)
        {
            foreach (var pair in environment)
            {
                start.Environment[pair.Key] = pair.Value;
            }
        }
        using var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish in time.");
        }
        process.WaitForExit();
        return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a tool and returns its stdout, failing the test on a non-zero exit.</summary>
    public static string Checked(string file, params string[] arguments)
        => Process(file, arguments).EnsureSuccess($"{file} {string.Join(' ', arguments)}").StandardOutput;

    /// <summary>Runs a Python script from the tests' scripts folder.</summary>
    public static ProcessResult Python(string script, params string[] arguments)
        => Process("python3", new[] { Path.Combine(AppContext.BaseDirectory, "scripts", script) }.Concat(arguments));

    /// <summary>Runs the ctimage tool in its own process.</summary>
    public static ProcessResult CtImage(IEnumerable<string> arguments, IDictionary<string, string?>? environment = null)
        => Process("dotnet", new[] { Path.Combine(AppContext.BaseDirectory, "ctimage.dll") }.Concat(arguments), environment: environment);
}

/// <summary>Finds the external tools the tests need; a missing tool fails the test with what to do.</summary>
public static class Tools
{
    private static readonly string[] SearchPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator).Concat(["/usr/sbin", "/sbin", "/usr/bin"]).ToArray();

    /// <summary>The full path of <paramref name="tool"/>, or a failure naming the bootstrap script.</summary>
    public static string Require(string tool)
    {
        if (Path.IsPathRooted(tool))
        {
            return File.Exists(tool) ? tool : throw Missing(tool);
        }
        foreach (string directory in SearchPath)
        {
            string candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw Missing(tool);
    }

    private static Exception Missing(string tool)
        => new Xunit.Sdk.XunitException($"The tool '{tool}' is not installed. Run build/bootstrap.sh once to install the test prerequisites.");
}

/// <summary>A temporary folder deleted when disposed.</summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>Creates a new empty folder under the system temp folder.</summary>
    public TempDirectory(string? prefix = null)
    {
        Path = Directory.CreateTempSubdirectory(prefix ?? "ct-test-").FullName;
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>A path inside the folder.</summary>
    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>Deletes the folder.</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Paths in the repository.</summary>
public static class Repo
{
    /// <summary>The repository root (the folder holding ContainerTasks.sln).</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "ContainerTasks.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("ContainerTasks.sln not found above the test folder.");
    }
}
