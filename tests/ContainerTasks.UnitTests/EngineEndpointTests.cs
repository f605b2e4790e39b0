using System.Diagnostics;
using System.Net.Sockets;
using ContainerTasks.Engines;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>How a local engine is found from the build's environment, and what its API answers mean.</summary>
public sealed class EngineEndpointTests
{
    private static IReadOnlyList<EngineEndpoint> Candidates(string? localRegistry, params (string Name, string Value)[] variables)
        => EngineEndpoints.Candidates(EngineKinds.FromLocalRegistry(localRegistry), variables.ToDictionary(v => v.Name, v => v.Value));

    [Fact]
    public void With_no_variable_the_default_sockets_are_tried_docker_first_then_the_users_and_the_systems_podman()
    {
        var endpoints = Candidates(null, ("XDG_RUNTIME_DIR", "/run/user/1000"), ("PATH", "/usr/bin"));
        Assert.Equal(["unix:///var/run/docker.sock", "unix:///run/user/1000/podman/podman.sock", "unix:///run/podman/podman.sock"],
            endpoints.Select(e => e.ToString()));
        Assert.All(endpoints, e => Assert.False(e.Named));
        Assert.All(endpoints, e => Assert.Null(e.ApiUnsupported));
    }

    [Fact]
    public void A_docker_context_other_than_default_leaves_the_default_docker_socket_to_the_CLI_which_follows_the_context()
    {
        Assert.DoesNotContain(Candidates(null, ("DOCKER_CONTEXT", "desktop-linux")), e => e.SocketPath == EngineEndpoints.DockerSocket);
        Assert.Contains(Candidates(null, ("DOCKER_CONTEXT", "default")), e => e.SocketPath == EngineEndpoints.DockerSocket);
        using var dir = new TempDirectory();
        File.WriteAllText(dir["config.json"], "{\"currentContext\":\"colima\"}");
        Assert.DoesNotContain(Candidates(null, ("DOCKER_CONFIG", dir.Path)), e => e.SocketPath == EngineEndpoints.DockerSocket);
        File.WriteAllText(dir["config.json"], "{\"auths\":{}}");
        Assert.Contains(Candidates(null, ("DOCKER_CONFIG", dir.Path)), e => e.SocketPath == EngineEndpoints.DockerSocket);
    }

    [Fact]
    public void An_engine_address_with_a_password_never_shows_it()
    {
        EngineEndpoint ssh = Assert.Single(Candidates(null, ("DOCKER_HOST", "ssh://deploy:hunter2-secret@engine.example")));
        Assert.DoesNotContain("hunter2-secret", ssh.ToString());
        var error = Assert.Throws<ContainerTasksException>(() => Candidates(null, ("DOCKER_HOST", "http://deploy:hunter2-secret@engine.example")));
        Assert.DoesNotContain("hunter2-secret", error.Message);
    }

    [Fact]
    public void A_relative_XDG_RUNTIME_DIR_is_not_a_place_to_look()
        => Assert.DoesNotContain(Candidates(null, ("XDG_RUNTIME_DIR", "run")), e => e.SocketPath!.StartsWith("run", StringComparison.Ordinal));

    [Fact]
    public void DOCKER_HOST_as_a_unix_socket_is_the_only_place_tried()
    {
        EngineEndpoint endpoint = Assert.Single(Candidates(null, ("DOCKER_HOST", "unix:///tmp/engine/podman.sock")));
        Assert.Equal("/tmp/engine/podman.sock", endpoint.SocketPath);
        Assert.Equal("DOCKER_HOST", endpoint.Variable);
        Assert.True(endpoint.Named);
    }

    [Theory]
    [InlineData("tcp://127.0.0.1:2375", "127.0.0.1:2375")]
    [InlineData("tcp://engine.example:12375/", "engine.example:12375")]
    [InlineData("tcp://engine.example", "engine.example:2375")]
    [InlineData("TCP://[::1]:2375", "[::1]:2375")]
    public void DOCKER_HOST_over_tcp_is_a_host_and_port(string value, string authority)
    {
        EngineEndpoint endpoint = Assert.Single(Candidates(null, ("DOCKER_HOST", value)));
        Assert.Equal(authority, endpoint.Authority);
        Assert.Null(endpoint.SocketPath);
        Assert.Null(endpoint.ApiUnsupported);
    }

    [Fact]
    public void Ssh_is_left_to_the_engines_CLI()
        => Assert.Contains("ssh://", Assert.Single(Candidates(null, ("DOCKER_HOST", "ssh://me@engine.example"))).ApiUnsupported);

    [Fact]
    public void Tcp_with_TLS_reads_its_files_where_the_docker_CLI_does_and_defaults_to_port_2376()
    {
        EngineEndpoint verified = Assert.Single(Candidates(null, ("DOCKER_HOST", "tcp://engine.example"), ("DOCKER_TLS_VERIFY", "1"), ("DOCKER_CERT_PATH", "/certs"), ("HOME", "/home/me")));
        Assert.Null(verified.ApiUnsupported);
        Assert.Equal("engine.example:2376", verified.Authority);
        Assert.Equal(new EngineTls("/certs", Verify: true), verified.Tls);
        EngineEndpoint encrypted = Assert.Single(Candidates(null, ("DOCKER_HOST", "tcp://engine.example:9000"), ("DOCKER_TLS", "1"), ("HOME", "/home/me")));
        Assert.Equal(new EngineTls("/home/me/.docker", Verify: false), encrypted.Tls);
        Assert.Equal("engine.example:9000", encrypted.Authority);
        Assert.Null(Assert.Single(Candidates(null, ("DOCKER_HOST", "tcp://engine.example"))).Tls);
    }

    [Fact]
    public void TLS_without_DOCKER_HOST_is_the_engine_at_localhost_2376_as_for_the_docker_CLI()
    {
        EngineEndpoint endpoint = Assert.Single(Candidates(null, ("DOCKER_TLS_VERIFY", "1")));
        Assert.Equal("localhost:2376", endpoint.Authority);
        Assert.True(endpoint.Named);
        Assert.Equal("DOCKER_TLS_VERIFY without DOCKER_HOST", endpoint.Origin);
        // No HOME, no DOCKER_CERT_PATH: no folder rather than one relative to wherever the build runs.
        Assert.Equal(new EngineTls(null, Verify: true), endpoint.Tls);
        // Podman's sockets are still Podman's.
        Assert.DoesNotContain(Candidates("Podman", ("DOCKER_TLS_VERIFY", "1")), e => e.Authority is not null);
    }

    [Fact]
    public void CONTAINER_HOST_is_Podmans_and_comes_after_DOCKER_HOST()
    {
        Assert.Equal(["unix:///a.sock", "unix:///b.sock"],
            Candidates(null, ("DOCKER_HOST", "unix:///a.sock"), ("CONTAINER_HOST", "unix:///b.sock")).Select(e => e.ToString()));
        Assert.Equal("CONTAINER_HOST", Assert.Single(Candidates(null, ("CONTAINER_HOST", "unix:///b.sock"))).Variable);
    }

    [Fact]
    public void LocalRegistry_keeps_the_places_of_the_engine_it_names()
    {
        (string, string)[] both = [("DOCKER_HOST", "unix:///d.sock"), ("CONTAINER_HOST", "unix:///p.sock")];
        Assert.Equal("unix:///d.sock", Assert.Single(Candidates("Docker", both)).ToString());
        Assert.Equal("unix:///p.sock", Assert.Single(Candidates("podman", both)).ToString());
        // DOCKER_HOST is not Podman's variable: with Podman named, its default sockets are tried.
        Assert.Equal(["unix:///run/podman/podman.sock"], Candidates("Podman", ("DOCKER_HOST", "unix:///d.sock")).Select(e => e.ToString()));
        Assert.Equal(["unix:///var/run/docker.sock"], Candidates("Docker", ("XDG_RUNTIME_DIR", "/run/user/1000")).Select(e => e.ToString()));
        Assert.Equal(ErrorCodes.UnknownLocalRegistry, Assert.Throws<ContainerTasksException>(() => Candidates("containerd")).Code);
    }

    [Fact]
    public void Empty_variables_count_as_unset()
        => Assert.Equal(3, Candidates(null, ("DOCKER_HOST", ""), ("CONTAINER_HOST", " "), ("XDG_RUNTIME_DIR", "/run/user/0")).Count);

    [Theory]
    [InlineData("/var/run/docker.sock")]
    [InlineData("localhost:2375")]
    [InlineData("http://localhost:2375")]
    [InlineData("unix://var/run/docker.sock")]
    [InlineData("unix://")]
    [InlineData("tcp://")]
    [InlineData("tcp://:2375")]
    [InlineData("tcp://host:99999")]
    [InlineData("tcp://host:port")]
    [InlineData("tcp://host:2375/path")]
    [InlineData("tcp://user@host:2375")]
    public void A_malformed_DOCKER_HOST_is_CT4129_naming_the_variable(string value)
    {
        var error = Assert.Throws<ContainerTasksException>(() => Candidates(null, ("DOCKER_HOST", value)));
        Assert.Equal(ErrorCodes.InvalidEngineAddress, error.Code);
        Assert.Contains("DOCKER_HOST", error.Message);
    }

    [Fact]
    public void A_malformed_DOCKER_HOST_is_quoted_without_control_characters()
        => Assert.DoesNotContain('\u001b', Assert.Throws<ContainerTasksException>(() => Candidates(null, ("DOCKER_HOST", "x\u001b[31m://"))).Message);

    private const string DockerVersion = """
        {"Platform":{"Name":"Docker Engine - Community"},"Components":[{"Name":"Engine","Version":"28.2.2","Details":{"ApiVersion":"1.50","MinAPIVersion":"1.24","Os":"linux"}},
        {"Name":"containerd","Version":"1.7.27","Details":{"GitCommit":"05044ec0a9a75232cad458027ca83437aae3f4da"}}],
        "Version":"28.2.2","ApiVersion":"1.50","MinAPIVersion":"1.24","GitCommit":"45873be","GoVersion":"go1.24.3","Os":"linux","Arch":"amd64","KernelVersion":"6.1.0"}
        """;

    // GET /version of podman 4.3.1 (Debian 12) through its compatible API, as `podman system service` answers it.
    private const string PodmanVersion = """
        {"Platform":{"Name":"linux/amd64/debian-12"},"Components":[{"Name":"Podman Engine","Version":"4.3.1","Details":{"APIVersion":"4.3.1","Arch":"amd64","BuildTime":"1970-01-01T00:00:00Z","Experimental":"false","GitCommit":"","GoVersion":"go1.19.8","KernelVersion":"6.18.44-fc-v1045","MinAPIVersion":"4.0.0","Os":"linux"}},{"Name":"Conmon","Version":"conmon version 2.1.6, commit: unknown","Details":{"Package":"conmon_2.1.6+ds1-1_amd64"}},{"Name":"OCI Runtime (runc)","Version":"runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\ngo: go1.19.8\nlibseccomp: 2.5.4","Details":{"Package":"runc_1.1.5+ds1-1+deb12u1_amd64"}}],"Version":"4.3.1","ApiVersion":"1.41","MinAPIVersion":"1.24","GitCommit":"","GoVersion":"go1.19.8","Os":"linux","Arch":"amd64","KernelVersion":"6.18.44-fc-v1045","BuildTime":"1970-01-01T00:00:00Z"}
        """;

    [Fact]
    public void Version_tells_Docker_from_Podman_by_the_Podman_Engine_component()
    {
        EngineVersion docker = EngineVersion.Parse(DockerVersion)!;
        Assert.Equal(new EngineVersion(EngineKind.Docker, "28.2.2", "1.50", "linux"), docker);
        Assert.Equal("docker 28.2.2 (API 1.50)", docker.ToString());
        EngineVersion podman = EngineVersion.Parse(PodmanVersion)!;
        Assert.Equal(new EngineVersion(EngineKind.Podman, "4.3.1", "1.41", "linux"), podman);
        Assert.Equal("podman", podman.Kind.CommandName());
    }

    [Theory]
    [InlineData("4.3.1 linux\n", "linux")]
    [InlineData("28.2.2 windows", "windows")]
    [InlineData("28.2.2", "")]
    [InlineData("28.2.2 <no value>", "")]
    [InlineData("  \n", null)]
    public void The_CLIs_info_line_gives_the_system_of_the_engines_containers(string output, string? os)
        => Assert.Equal(os, LocalDaemon.ParseInfo(output));

    [Theory]
    [InlineData("")]
    [InlineData("<html>not an engine</html>")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    public void A_version_answer_that_is_no_JSON_object_is_no_engine(string answer) => Assert.Null(EngineVersion.Parse(answer));

    [Fact]
    public void A_version_answer_without_components_is_Docker_and_odd_members_are_ignored()
        => Assert.Equal(new EngineVersion(EngineKind.Docker, "", "1.41"), EngineVersion.Parse("""{"ApiVersion":"1.41","Version":5,"Components":{"Name":"Podman Engine"}}"""));

    [Fact]
    public void A_load_answer_lists_what_was_loaded()
    {
        string answer = "{\"stream\":\"Loaded image: team/app:1.0\\n\"}\r\n{\"stream\":\"Loaded image: team/app:latest\\n\"}\n";
        Assert.Equal(["Loaded image: team/app:1.0", "Loaded image: team/app:latest"], LoadAnswer.Read(200, answer, "docker"));
        // Podman's compatible API answers with one object, without a line end.
        Assert.Equal(["Loaded image: docker.io/team/app:1.0"], LoadAnswer.Read(200, "{\"stream\":\"Loaded image: docker.io/team/app:1.0\\n\"}", "podman"));
        // Docker names an image loaded without a tag by its id.
        Assert.Equal(["Loaded image ID: sha256:ab"], LoadAnswer.Read(200, "{\"stream\":\"Loaded image ID: sha256:ab\\n\"}", "docker"));
        Assert.Equal(ErrorCodes.DaemonLoadFailed, Assert.Throws<ContainerTasksException>(() => LoadAnswer.Read(200, "", "docker")).Code);
    }

    [Fact]
    public void An_error_in_a_load_answer_is_CT4108_with_the_engines_message_cleaned_of_control_characters()
    {
        string answer = "{\"stream\":\"Loading layer\"}\n{\"errorDetail\":{\"message\":\"write /var/lib/docker/tmp: no space left on device\\u001b[2K\\r\\nCT0000: fake\"},\"error\":\"no space\"}\n";
        var error = Assert.Throws<ContainerTasksException>(() => LoadAnswer.Read(200, answer, "docker 28.2.2 at unix:///var/run/docker.sock"));
        Assert.Equal(ErrorCodes.DaemonLoadFailed, error.Code);
        Assert.Contains("no space left on device", error.Message);
        Assert.Contains("docker 28.2.2 at unix:///var/run/docker.sock", error.Message);
        Assert.DoesNotContain('\u001b', error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain('\r', error.Message);
        // An "error" member alone counts too.
        Assert.Contains("bad archive", Assert.Throws<ContainerTasksException>(() => LoadAnswer.Read(200, "{\"error\":\"bad archive\"}", "docker")).Message);
    }

    [Fact]
    public void An_error_status_is_CT4108_with_the_message_of_its_body()
    {
        // Podman 4.3.1's answer to a body that is no archive.
        string podman = """
            {"cause":"payload does not match any of the supported image formats:\n * oci: initializing source oci:/var/tmp/api_load.tar4220344003:: open /var/tmp/api_load.tar4220344003/index.json: not a directory\n * docker-archive: loading tar component manifest.json: archive/tar: invalid tar header","message":"failed to load image: payload does not match any of the supported image formats:\n * oci: initializing source oci:/var/tmp/api_load.tar4220344003:: open /var/tmp/api_load.tar4220344003/index.json: not a directory\n * docker-archive: loading tar component manifest.json: archive/tar: invalid tar header","response":500}
            """;
        var error = Assert.Throws<ContainerTasksException>(() => LoadAnswer.Read(500, podman, "podman"));
        Assert.Equal(ErrorCodes.DaemonLoadFailed, error.Code);
        Assert.Contains("HTTP 500: failed to load image: payload does not match any of the supported image formats: * oci: initializing", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("HTTP 400: plain text", Assert.Throws<ContainerTasksException>(() => LoadAnswer.Read(400, "plain\ntext", "docker")).Message);
    }

    [Fact]
    public void A_socket_that_refuses_the_user_is_told_apart_from_one_that_is_not_there()
    {
        Assert.Equal(("permission denied", true), EngineProbe.Describe(new HttpRequestException("x", new SocketException((int)SocketError.AccessDenied))));
        Assert.False(EngineProbe.Describe(new HttpRequestException("x", new SocketException((int)SocketError.ConnectionRefused))).PermissionDenied);
        Assert.Contains("connection refused", EngineProbe.Describe(new SocketException((int)SocketError.ConnectionRefused)).Reason);
    }

    [Fact]
    public async Task A_missing_socket_is_known_at_once()
    {
        using var dir = new TempDirectory();
        EngineProbeResult probe = await EngineProbe.ProbeAsync(EngineEndpoint.Socket(dir["none.sock"], "test"), CancellationToken.None);
        Assert.Null(probe.Engine);
        Assert.Equal("no such socket", probe.Failure);
    }

    [Fact]
    public async Task A_socket_nobody_listens_on_is_connection_refused()
    {
        using var dir = new TempDirectory();
        // Bound but not listening, as a socket an engine left behind (.NET removes the file when the socket is closed).
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(dir["stale.sock"]));
        EngineProbeResult probe = await EngineProbe.ProbeAsync(EngineEndpoint.Socket(dir["stale.sock"], "test"), CancellationToken.None);
        Assert.Null(probe.Engine);
        Assert.Contains("connection refused", probe.Failure);
        Assert.False(probe.PermissionDenied);
    }

    [Fact]
    public async Task A_DOCKER_HOST_that_does_not_answer_is_CT4108_at_once_when_no_CLI_is_on_PATH()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["bin"]);
        var lines = new List<string>();
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => LocalEngines.FindAsync(null,
            new Dictionary<string, string> { ["DOCKER_HOST"] = $"unix://{dir["docker.sock"]}", ["PATH"] = dir["bin"] }, lines.Add, (_, _) => { }, CancellationToken.None));
        Assert.Equal(ErrorCodes.DaemonLoadFailed, error.Code);
        Assert.Contains($"DOCKER_HOST names an engine, but none answers (unix://{dir["docker.sock"]} (DOCKER_HOST): no such socket)", error.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Contains(lines, l => l.Contains("No engine API at", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LocalRegistry_naming_an_engine_that_does_not_answer_is_CT4108()
    {
        using var dir = new TempDirectory();
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => LocalEngines.FindAsync("Podman",
            new Dictionary<string, string> { ["CONTAINER_HOST"] = $"unix://{dir["podman.sock"]}", ["PATH"] = dir.Path }, _ => { }, (_, _) => { }, CancellationToken.None));
        Assert.Equal(ErrorCodes.DaemonLoadFailed, error.Code);
        Assert.StartsWith("LocalRegistry is Podman, but no Podman engine answers", error.Message, StringComparison.Ordinal);
    }
}
