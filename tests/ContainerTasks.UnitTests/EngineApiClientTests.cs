using System.Net.Sockets;
using System.Text;
using ContainerTasks.Content;
using ContainerTasks.Engines;
using ContainerTasks.Model;
using ContainerTasks.Outputs;
using ContainerTasks.Sources;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>The engine API client against an engine of this process on a unix socket: what it sends, what it makes of the answers.</summary>
public sealed class EngineApiClientTests
{
    private const string PodmanVersion = """{"Components":[{"Name":"Podman Engine","Version":"4.3.1"}],"Version":"4.3.1","ApiVersion":"1.41"}""";

    private static (int, string) Engine(string method, string path, string loadAnswer) => (method, path) switch
    {
        ("GET", "/_ping") => (200, "OK"),
        ("GET", "/version") => (200, PodmanVersion),
        ("POST", "/images/load?quiet=1") => (200, loadAnswer),
        _ => (404, """{"message":"page not found"}"""),
    };

    private const string LoadedAnswer = "{\"stream\":\"Loaded image: docker.io/team/app:1.0\\n\"}";

    private static async Task<(IImageSet Image, ImageReference[] Names)> ImageAsync(TempDirectory dir)
    {
        var built = await TestImage.BuildAsync(await new ScratchSource().GetImageAsync(Platform.LinuxAmd64), new ContentStore(dir["store"]), TestImage.CreateAppFolder(dir.Path));
        return (built, [ImageReference.Parse("team/app:1.0")]);
    }

    [Fact]
    public async Task The_image_is_sent_as_the_docker_archive_byte_for_byte_chunked_while_it_is_written()
    {
        using var dir = new TempDirectory();
        using var engine = new FakeEngine(dir["engine.sock"], (method, path) => Engine(method, path, "{\"stream\":\"Loaded image: docker.io/team/app:1.0\\n\"}"));
        var lines = new List<string>();
        ILocalEngine? found = await LocalEngines.FindAsync(null, new Dictionary<string, string> { ["DOCKER_HOST"] = $"unix://{dir["engine.sock"]}" }, lines.Add, (_, _) => { }, CancellationToken.None);
        var api = Assert.IsType<EngineApi>(found);
        Assert.Equal("podman", api.Name);
        Assert.Contains($"Local engine: podman 4.3.1 (API 1.41) at unix://{dir["engine.sock"]} (DOCKER_HOST).", lines);

        var (image, names) = await ImageAsync(dir);
        var time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        await api.LoadAsync(image, names, time, CancellationToken.None);
        await ImageOutput.WriteAsync(OutputKind.DockerArchive, dir["expected.tar"], image, names, time);

        FakeEngine.Request load = Assert.Single(engine.Requests, r => r.Method == "POST");
        Assert.Equal("/images/load?quiet=1", load.Path);
        Assert.Equal("application/x-tar", load.Headers["content-type"]);
        Assert.Equal("chunked", load.Headers["transfer-encoding"]);
        Assert.Equal(File.ReadAllBytes(dir["expected.tar"]), load.Body);
    }

    [Fact]
    public async Task An_engine_that_refuses_the_image_is_CT4108_with_its_message()
    {
        using var dir = new TempDirectory();
        using var engine = new FakeEngine(dir["engine.sock"],
            (method, path) => Engine(method, path, "{\"errorDetail\":{\"message\":\"no space left on device\\u001b[0m\"},\"error\":\"no space left on device\"}"));
        var probe = await EngineProbe.ProbeAsync(EngineEndpoint.Socket(dir["engine.sock"], "test"), CancellationToken.None);
        var (image, names) = await ImageAsync(dir);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => probe.Engine!.LoadAsync(image, names, DateTimeOffset.UnixEpoch, CancellationToken.None));
        Assert.Equal(ErrorCodes.DaemonLoadFailed, error.Code);
        Assert.Contains("refused the image: no space left on device", error.Message);
        Assert.DoesNotContain('\u001b', error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("{\"stream\":\"done\"}")]
    public async Task An_answer_that_does_not_say_the_image_was_loaded_is_CT4108(string answer)
        => Assert.Contains("without saying it loaded the image", (await LoadRefusedAsync(answer)).Message);

    [Fact]
    public async Task An_answer_longer_than_a_MiB_is_CT4108_and_not_read_in_part()
    {
        // A refusal hidden after 2 MB of filler must not be missed by reading the first MiB as the whole answer.
        string answer = "{\"stream\":\"Loaded image: docker.io/team/app:1.0\"}\n" + new string(' ', 2_000_000) + "\n{\"error\":\"late\"}";
        Assert.Contains("more than 1 MiB", (await LoadRefusedAsync(answer)).Message);
    }

    // Loads into an engine that answers the load with `answer`; the CT4108 it is.
    private static async Task<ContainerTasksException> LoadRefusedAsync(string answer)
    {
        using var dir = new TempDirectory();
        using var engine = new FakeEngine(dir["engine.sock"], (method, path) => Engine(method, path, answer));
        var probe = await EngineProbe.ProbeAsync(EngineEndpoint.Socket(dir["engine.sock"], "test"), CancellationToken.None);
        var (image, names) = await ImageAsync(dir);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => probe.Engine!.LoadAsync(image, names, DateTimeOffset.UnixEpoch, CancellationToken.None));
        Assert.Equal(ErrorCodes.DaemonLoadFailed, error.Code);
        return error;
    }

    [Fact]
    public async Task An_engine_that_takes_no_byte_for_the_silence_limit_fails_the_send_with_CT4108()
    {
        var body = new ArchiveBody("podman 4.3.1 at unix:///x.sock", async (stream, token) => await stream.WriteAsync(new byte[10], token), TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<Exception>(() => body.CopyToAsync(new StalledStream()));
        Assert.Equal(ErrorCodes.DaemonLoadFailed, body.WriteFailure?.Code);
        Assert.Contains("podman 4.3.1 at unix:///x.sock took no part of the image for 0.2 s", body.WriteFailure!.Message);
    }

    [Fact]
    public async Task A_cache_file_that_cannot_be_read_while_sending_is_CT5004_not_a_broken_engine_connection()
    {
        var body = new ArchiveBody("engine", (_, _) => throw new IOException("Input/output error : '/cache/blobs/sha256/ab'"));
        await Assert.ThrowsAnyAsync<Exception>(() => body.CopyToAsync(new MemoryStream()));
        Assert.Equal(ErrorCodes.OutputFailed, body.WriteFailure?.Code);
        Assert.Contains("could not be read from the build's cache", body.WriteFailure!.Message);
    }

    [Fact]
    public async Task A_connection_that_breaks_while_sending_is_left_to_the_caller_to_report()
    {
        var body = new ArchiveBody("engine", async (stream, token) => await stream.WriteAsync(new byte[10], token));
        await Assert.ThrowsAnyAsync<Exception>(() => body.CopyToAsync(new BrokenStream()));
        Assert.Null(body.WriteFailure);
    }

    // A connection whose writes never finish (until cancelled).
    private sealed class StalledStream : MemoryStream
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            => await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    // A connection that breaks at the first write.
    private sealed class BrokenStream : MemoryStream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            => throw new IOException("Broken pipe");
    }

    private static Dictionary<string, string> TlsEnvironment(TempDirectory dir, TlsEngineRelay relay) => new()
    {
        ["DOCKER_HOST"] = relay.Host,
        ["DOCKER_TLS_VERIFY"] = "1",
        ["DOCKER_CERT_PATH"] = dir["certs"],
        ["PATH"] = dir["no-cli"],
    };

    private static async Task<ContainerTasksException> FindFailsAsync(TempDirectory dir, TlsEngineRelay relay, string code)
    {
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => LocalEngines.FindAsync(null, TlsEnvironment(dir, relay), _ => { }, (_, _) => { }, CancellationToken.None));
        Assert.Equal(code, error.Code);
        return error;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_engine_over_TLS_is_reached_with_the_client_certificate_from_DOCKER_CERT_PATH_and_takes_the_image(bool throughIntermediate)
    {
        using var dir = new TempDirectory();
        using var engine = new FakeEngine(dir["engine.sock"], (method, path) => Engine(method, path, "{\"stream\":\"Loaded image: docker.io/team/app:1.0\"}"));
        // ca.pem holds the root alone; an engine certificate from an intermediate CA is trusted through the intermediate the engine sends.
        using var relay = new TlsEngineRelay(dir["engine.sock"], dir["certs"], throughIntermediate);
        var api = Assert.IsType<EngineApi>(await LocalEngines.FindAsync(null, TlsEnvironment(dir, relay), _ => { }, (_, _) => { }, CancellationToken.None));
        var (image, names) = await ImageAsync(dir);
        await api.LoadAsync(image, names, DateTimeOffset.UnixEpoch, CancellationToken.None);
        Assert.Single(engine.Requests, r => r.Method == "POST" && r.Body.Length > 0);
        Assert.Empty(relay.Refused);
    }

    [Fact]
    public async Task An_engine_whose_certificate_ca_pem_does_not_vouch_for_is_CT4108_saying_TLS_failed()
    {
        using var dir = new TempDirectory();
        using var engine = new FakeEngine(dir["engine.sock"], (method, path) => Engine(method, path, ""));
        using var relay = new TlsEngineRelay(dir["engine.sock"], dir["certs"]);
        using (new TlsEngineRelay(dir["engine.sock"], dir["other"]))
        {
            File.Copy(dir["other/ca.pem"], dir["certs/ca.pem"], overwrite: true);
        }
        var error = await FindFailsAsync(dir, relay, ErrorCodes.DaemonLoadFailed);
        Assert.Contains($"{relay.Host} (DOCKER_HOST): TLS failed", error.Message);
        Assert.Contains($"(TLS files from {dir["certs"]})", error.Message);
        Assert.Empty(engine.Requests);
    }

    [Fact]
    public async Task Without_a_client_certificate_an_engine_that_asks_for_one_refuses_and_it_is_CT4108()
    {
        using var dir = new TempDirectory();
        using var engine = new FakeEngine(dir["engine.sock"], (method, path) => Engine(method, path, ""));
        using var relay = new TlsEngineRelay(dir["engine.sock"], dir["certs"]);
        File.Delete(dir["certs/key.pem"]);
        var error = await FindFailsAsync(dir, relay, ErrorCodes.DaemonLoadFailed);
        Assert.Contains("no client certificate", relay.Refused);
        Assert.Empty(engine.Requests);
    }

    [Fact]
    public async Task A_ca_pem_that_holds_no_certificate_is_CT4137_naming_the_file()
    {
        using var dir = new TempDirectory();
        using var relay = new TlsEngineRelay(dir["engine.sock"], dir["certs"]);
        File.WriteAllText(dir["certs/ca.pem"], "not a certificate");
        var error = await FindFailsAsync(dir, relay, ErrorCodes.EngineTlsFiles);
        Assert.Contains($"ca.pem in {dir["certs"]}", error.Message);
    }

    [Fact]
    public async Task An_engine_that_runs_containers_of_another_system_is_not_sent_the_image_and_it_is_CT4138()
    {
        using var dir = new TempDirectory();
        const string windowsEngine = """{"Version":"28.2.2","ApiVersion":"1.50","Os":"windows","Arch":"amd64"}""";
        using var engine = new FakeEngine(dir["engine.sock"], (method, path) => (method, path) == ("GET", "/version") ? (200, windowsEngine) : Engine(method, path, LoadedAnswer));
        var probe = await EngineProbe.ProbeAsync(EngineEndpoint.Socket(dir["engine.sock"], "test"), CancellationToken.None);
        var (image, names) = await ImageAsync(dir);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => probe.Engine!.LoadAsync(image, names, DateTimeOffset.UnixEpoch, CancellationToken.None));
        Assert.Equal(ErrorCodes.EngineSystemMismatch, error.Code);
        Assert.Contains("The image is for linux/amd64, and docker 28.2.2 (API 1.50) at", error.Message);
        Assert.Contains("runs windows containers", error.Message);
        Assert.DoesNotContain(engine.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task A_server_on_the_socket_that_is_no_engine_is_not_taken_for_one()
    {
        using var dir = new TempDirectory();
        using var engine = new FakeEngine(dir["web.sock"], (_, _) => (404, "<html>not found</html>"));
        var probe = await EngineProbe.ProbeAsync(EngineEndpoint.Socket(dir["web.sock"], "test"), CancellationToken.None);
        Assert.Null(probe.Engine);
        Assert.Contains("/_ping with HTTP 404", probe.Failure);
    }
}

/// <summary>An HTTP/1.1 server on a unix socket in this process, answering from a table and keeping each request (with its body, chunked or not).</summary>
internal sealed class FakeEngine : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly Func<string, string, (int Status, byte[] Body)> _answer;
    private readonly List<Request> _requests = [];

    /// <summary>A request as it arrived.</summary>
    public sealed record Request(string Method, string Path, Dictionary<string, string> Headers, byte[] Body);

    public FakeEngine(string socketPath, Func<string, string, (int Status, string Body)> answer)
        : this(socketPath, (method, path) => answer(method, path) is var (status, body) ? (status, Encoding.UTF8.GetBytes(body)) : default)
    {
    }

    /// <summary>An engine whose answers are bytes (an image export).</summary>
    public FakeEngine(string socketPath, Func<string, string, (int Status, byte[] Body)> answer)
    {
        _answer = answer;
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen();
        _ = Task.Run(AcceptAsync);
    }

    public IReadOnlyList<Request> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public void Dispose() => _listener.Dispose();

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => Serve(client));
        }
    }

    private void Serve(Socket client)
    {
        using var stream = new NetworkStream(client, ownsSocket: true);
        var input = new BufferedStream(stream);
        while (ReadLine(input) is { Length: > 0 } requestLine)
        {
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (ReadLine(input) is { Length: > 0 } header)
            {
                int colon = header.IndexOf(':');
                headers[header[..colon].Trim()] = header[(colon + 1)..].Trim();
            }
            string[] parts = requestLine.Split(' ');
            var request = new Request(parts[0], parts[1], headers, ReadBody(input, headers));
            lock (_requests)
            {
                _requests.Add(request);
            }
            var (status, bytes) = _answer(request.Method, request.Path);
            stream.Write(Encoding.ASCII.GetBytes($"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n"));
            stream.Write(bytes);
        }
    }

    private static byte[] ReadBody(Stream input, Dictionary<string, string> headers)
    {
        var body = new MemoryStream();
        if (headers.TryGetValue("transfer-encoding", out string? encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            int size;
            while ((size = Convert.ToInt32(ReadLine(input)!.Split(';')[0], 16)) > 0)
            {
                Copy(input, body, size);
                ReadLine(input);
            }
            ReadLine(input);
        }
        else if (headers.TryGetValue("content-length", out string? length))
        {
            Copy(input, body, int.Parse(length, System.Globalization.CultureInfo.InvariantCulture));
        }
        return body.ToArray();
    }

    private static void Copy(Stream input, Stream output, int count)
    {
        byte[] buffer = new byte[Math.Min(count, 64 * 1024) + 1];
        while (count > 0)
        {
            int read = input.Read(buffer, 0, Math.Min(count, buffer.Length));
            if (read == 0)
            {
                throw new EndOfStreamException();
            }
            output.Write(buffer, 0, read);
            count -= read;
        }
    }

    private static string? ReadLine(Stream input)
    {
        var line = new StringBuilder();
        int b;
        while ((b = input.ReadByte()) >= 0)
        {
            if (b == '\n')
            {
                return line.ToString().TrimEnd('\r');
            }
            line.Append((char)b);
        }
        return line.Length > 0 ? line.ToString() : null;
    }
}
