using System.Net;
using System.Net.Sockets;
using System.Text;
using ContainerTasks.Model;
using ContainerTasks.Registry;

namespace ContainerTasks.Tests;

/// <summary>A registry that stops taking a layer's bytes once the whole layer has been handed over: the upload ends, the build does not wait.</summary>
public sealed class StreamedUploadStallTests
{
    [Fact]
    public async Task A_registry_that_stops_reading_after_the_writer_finished_ends_the_upload_within_the_read_timeout()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var held = new List<TcpClient>();
        _ = Task.Run(() => ServeAsync(listener, held, stop.Token));
        try
        {
            string host = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
            var environment = new Dictionary<string, string> { ["CONTAINERTASKS_READ_TIMEOUT_MS"] = "2000" };
            using var session = new RegistrySession(environment, null, host);
            var uploads = new StreamingBlobUploads(session.Client(host, "app", Registry.Auth.RegistryRole.Push), "app");
            Assert.True(uploads.Accepts); // not hollow: the streamed path is the one tried
            await using var blob = uploads.Begin(CancellationToken.None);
            // Small enough to sit in the queue (8 MiB) and the socket's buffers: the writer is done before the registry stalls it, which it does before the last byte.
            byte[] data = new byte[10 * 1024 * 1024];
            new Random(1).NextBytes(data);
            await Task.Run(() => blob.Content.Write(data));
            Task<bool> complete = blob.CompleteAsync(new Descriptor(MediaTypes.OciLayerGzip, Digest.Sha256(data), data.Length), CancellationToken.None);
            Assert.Same(complete, await Task.WhenAny(complete, Task.Delay(TimeSpan.FromSeconds(30))));
            Assert.False(await complete);
            Assert.Equal(0, uploads.BlobsSent);
        }
        finally
        {
            stop.Cancel();
            listener.Stop();
            held.ForEach(c => c.Dispose());
        }
    }

    // Refuses TLS (so the client speaks plain HTTP at once); starts an upload for a POST; takes a PATCH's headers and
    // then neither reads its body nor answers.
    private static async Task ServeAsync(TcpListener listener, List<TcpClient> held, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient connection = await listener.AcceptTcpClientAsync(cancellationToken);
            lock (held)
            {
                held.Add(connection);
            }
            _ = Task.Run(async () =>
            {
                NetworkStream stream = connection.GetStream();
                while (await ReadHeadAsync(stream, cancellationToken) is { } head)
                {
                    if (!head.StartsWith("POST", StringComparison.Ordinal))
                    {
                        await Task.Delay(Timeout.Infinite, cancellationToken);
                    }
                    await stream.WriteAsync("HTTP/1.1 202 Accepted\r\nLocation: /v2/app/blobs/uploads/u1\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), cancellationToken);
                }
            }, cancellationToken);
        }
    }

    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var head = new StringBuilder();
        byte[] one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0 || (head.Length == 0 && one[0] == 0x16))
            {
                stream.Close();
                return null;
            }
            head.Append((char)one[0]);
        }
        return head.ToString();
    }
}
