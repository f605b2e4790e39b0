using System.Net.Sockets;

namespace ContainerTasks.Engines;

/// <summary>What asking one address for an engine found: the engine, or why there is none.</summary>
/// <param name="Endpoint">The address asked.</param>
/// <param name="Engine">The engine that answered; null when none did.</param>
/// <param name="Failure">Why none answered, for messages; null when one did.</param>
/// <param name="PermissionDenied">True when the socket is there but refuses this user.</param>
internal sealed record EngineProbeResult(EngineEndpoint Endpoint, EngineApi? Engine, string? Failure, bool PermissionDenied = false);

/// <summary>
/// Asks an address whether an engine serves it: <c>GET /_ping</c>, then <c>GET /version</c> to tell Docker from Podman.
/// A missing socket is known at once; one that does not answer costs at most <see cref="AnswerTimeout"/>.
/// </summary>
internal static class EngineProbe
{
    /// <summary>How long connecting may take (a TCP engine; a unix socket connects at once or fails).</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long both answers together may take.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Asks <paramref name="endpoint"/>; never throws but for the build's own cancellation.</summary>
    public static async Task<EngineProbeResult> ProbeAsync(EngineEndpoint endpoint, CancellationToken cancellationToken)
    {
        if (endpoint.ApiUnsupported is { } unsupported)
        {
            return new EngineProbeResult(endpoint, null, unsupported);
        }
        if (endpoint.SocketPath is { } path && !File.Exists(path))
        {
            return new EngineProbeResult(endpoint, null, "no such socket");
        }
        using var client = new EngineClient(endpoint, ConnectTimeout);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AnswerTimeout);
        try
        {
            var (pingStatus, _) = await client.SendAsync(HttpMethod.Get, "_ping", null, timeout.Token).ConfigureAwait(false);
            if (pingStatus != 200)
            {
                return new EngineProbeResult(endpoint, null, $"it answers /_ping with HTTP {pingStatus}, not as a Docker or Podman engine does");
            }
            var (status, text) = await client.SendAsync(HttpMethod.Get, "version", null, timeout.Token).ConfigureAwait(false);
            return status == 200 && EngineVersion.Parse(text) is { } version
                ? new EngineProbeResult(endpoint, new EngineApi(endpoint, version), null)
                : new EngineProbeResult(endpoint, null, $"it answers /version with HTTP {status} and no engine's version");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new EngineProbeResult(endpoint, null, $"no answer within {AnswerTimeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            var (reason, denied) = Describe(e);
            string files = endpoint.Tls is { } tls ? $" ({tls.Describe()})" : "";
            return new EngineProbeResult(endpoint, null, reason + files, denied);
        }
    }

    /// <summary>Why a connection failed, in words, and whether it was the socket's permissions.</summary>
    internal static (string Reason, bool PermissionDenied) Describe(Exception failure)
    {
        for (Exception? inner = failure; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException tls)
            {
                return ($"TLS failed: {Registry.RegistryText.Clean(tls.InnerException?.Message ?? tls.Message)}", false);
            }
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.AccessDenied => ("permission denied", true),
                    SocketError.ConnectionRefused => ("connection refused: nothing listens there (an engine that stopped may leave its socket behind)", false),
                    SocketError.AddressNotAvailable => ("no such socket or address", false),
                    SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => ("host name not found", false),
                    SocketError.TimedOut => ("the connection timed out", false),
                    _ => (Registry.RegistryText.Clean(socket.Message), false),
                };
            }
        }
        return (Registry.RegistryText.Clean(failure.Message), false);
    }
}
