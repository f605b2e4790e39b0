using ContainerTasks.Engines;
using ContainerTasks.Processes;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>Credential helpers and docker/podman run from the build's PATH only, never from the current folder.</summary>
public class ExecutableLookupTests
{
    private const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static void WriteScript(string path, string body)
    {
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, Executable);
    }

    [Fact]
    public void A_credential_helper_in_the_current_folder_is_not_run()
    {
        using var dir = new TempDirectory();
        string helper = $"cwd{Guid.NewGuid():N}";
        string planted = Path.Combine(Directory.GetCurrentDirectory(), "docker-credential-" + helper);
        WriteScript(planted, $": > {dir["ran"]}; echo '{{\"Username\":\"planted\",\"Secret\":\"planted-secret\"}}'");
        try
        {
            Directory.CreateDirectory(dir[".docker"]);
            File.WriteAllText(dir[".docker/config.json"], $$"""{"credsStore":"{{helper}}"}""");
            Directory.CreateDirectory(dir["empty-bin"]);
            var store = new CredentialStore(new Dictionary<string, string> { ["HOME"] = dir.Path, ["PATH"] = dir["empty-bin"] }, null, null);
            var error = Assert.Throws<ContainerTasksException>(() => store.Find("reg.example", "app", RegistryRole.Pull));
            Assert.Equal("CT3008", error.Code);
            Assert.Contains("not on PATH", error.Message);
            Assert.False(File.Exists(dir["ran"]), "the helper in the current folder ran");
        }
        finally
        {
            File.Delete(planted);
        }
    }

    [Fact]
    public void A_relative_or_empty_PATH_entry_does_not_name_the_current_folder()
    {
        string folder = $"relbin{Guid.NewGuid():N}";
        string relative = Path.Combine(Directory.GetCurrentDirectory(), folder);
        Directory.CreateDirectory(relative);
        try
        {
            WriteScript(Path.Combine(relative, "docker-credential-rel"), "exit 0");
            WriteScript(Path.Combine(Directory.GetCurrentDirectory(), $"{folder}-tool"), "exit 0");
            var env = new Dictionary<string, string> { ["PATH"] = $"{folder}::.:/nonexistent" };
            Assert.Null(ExecutableLookup.Find("docker-credential-rel", env));
            Assert.Null(ExecutableLookup.Find($"{folder}-tool", env));
        }
        finally
        {
            Directory.Delete(relative, recursive: true);
            File.Delete(Path.Combine(Directory.GetCurrentDirectory(), $"{folder}-tool"));
        }
    }

    [Fact]
    public void The_first_executable_on_PATH_wins_and_files_without_an_execute_bit_are_skipped()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["a"]);
        Directory.CreateDirectory(dir["b"]);
        File.WriteAllText(dir["a/tool"], "not executable");
        WriteScript(dir["b/tool"], "exit 0");
        var env = new Dictionary<string, string> { ["PATH"] = $"{dir["a"]}:{dir["b"]}" };
        Assert.Equal(dir["b/tool"], ExecutableLookup.Find("tool", env));
        Assert.Null(ExecutableLookup.Find("../b/tool", env));
        Assert.Null(ExecutableLookup.Find("tool", new Dictionary<string, string>()));
    }

    [Fact]
    public void A_docker_in_the_current_folder_is_not_taken_for_the_local_engine()
    {
        using var dir = new TempDirectory();
        string planted = Path.Combine(Directory.GetCurrentDirectory(), "docker");
        WriteScript(planted, $": > {dir["ran"]}; echo 99.0");
        try
        {
            Directory.CreateDirectory(dir["empty-bin"]);
            Assert.Null(LocalDaemon.Find("Docker", new Dictionary<string, string> { ["HOME"] = dir.Path, ["PATH"] = dir["empty-bin"] }));
            Assert.False(File.Exists(dir["ran"]), "the docker in the current folder ran");
        }
        finally
        {
            File.Delete(planted);
        }
    }

    [Fact]
    public void A_docker_on_the_builds_PATH_is_found_there()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["bin"]);
        WriteScript(dir["bin/podman"], $": > {dir["ran"]}; echo 5.0");
        LocalDaemon? daemon = LocalDaemon.Find("Podman", new Dictionary<string, string> { ["HOME"] = dir.Path, ["PATH"] = dir["bin"] });
        Assert.Equal("podman", daemon?.Name);
        Assert.True(File.Exists(dir["ran"]), "the podman on the build's PATH was not the one asked");
    }
}
