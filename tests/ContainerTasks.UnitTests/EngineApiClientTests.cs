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
