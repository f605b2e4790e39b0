using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>
/// A loopback TCP relay in front of a server whose uploads (client to server) share one rate limit, as a slower link
/// than loopback would; answers pass unlimited. HTTP needs nothing more: a registry builds its upload locations from
/// the Host header, which names the relay. Shared by the tests (progress of slow uploads) and the streaming benchmark,
/// which compiles this file in.
/// </summary>
public sealed class ThrottledRelay : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly double _bytesPerSecond;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();
    private readonly Task _accepting;
    private double _linkFreeAt;

    /// <param name="upstream">host:port of the server.</param>
    /// <param name="bytesPerSecond">The rate all uploads through the relay share.</param>
    public ThrottledRelay(string upstream, double bytesPerSecond)
    {
        string[] parts = upstream.Split(':');
        (_upstreamHost, _upstreamPort) = (parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        _bytesPerSecond = bytesPerSecond;
        // Little buffered on the way in (inherited by accepted connections): a sender feels the rate at once, as over a
        // real slow link, instead of filling megabytes of loopback buffers first.
        _listener.Server.ReceiveBufferSize = 64 * 1024;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>host:port of the relay.</summary>
    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(_upstreamHost, _upstreamPort, _stop.Token).ConfigureAwait(false);
                Task up = PumpAsync(client.GetStream(), upstream.GetStream(), throttle: true);
                Task down = PumpAsync(upstream.GetStream(), client.GetStream(), throttle: false);
                await Task.WhenAny(up, down).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
            }
        }
    }

    private async Task PumpAsync(Stream from, Stream to, bool throttle)
    {
        byte[] buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token).ConfigureAwait(false)) > 0)
        {
            if (throttle)
            {
                await Task.Delay(Reserve(read), _stop.Token).ConfigureAwait(false);
            }
            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token).ConfigureAwait(false);
        }
    }

    // The wait before these bytes may go: the shared link sends them after everything reserved before them.
    private TimeSpan Reserve(int bytes)
    {
        lock (_gate)
        {
            double now = _clock.Elapsed.TotalSeconds;
            // 50 ms of credit: a timer that wakes late does not lower the rate.
            _linkFreeAt = Math.Max(_linkFreeAt, now - 0.05) + (bytes / _bytesPerSecond);
            return TimeSpan.FromSeconds(Math.Max(0, _linkFreeAt - now));
        }
    }

    /// <summary>Stops accepting and closes the connections.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _accepting.GetAwaiter().GetResult();
        _stop.Dispose();
    }
}
