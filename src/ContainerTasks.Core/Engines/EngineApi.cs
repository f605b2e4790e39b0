using System.Runtime.ExceptionServices;
using ContainerTasks.Model;
using ContainerTasks.Outputs;

namespace ContainerTasks.Engines;

/// <summary>
/// An engine reached through the Docker Engine API (Docker, or Podman's compatible API): the image goes in with
/// <c>POST /images/load</c>, the docker archive written into the request as it is sent.
/// </summary>
internal sealed class EngineApi(EngineEndpoint endpoint, EngineVersion version) : ILocalEngine
{
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromMinutes(30);

    /// <summary>Where it answered.</summary>
    public EngineEndpoint Endpoint => endpoint;

    /// <summary>What it said it is.</summary>
    public EngineVersion Version => version;

    /// <inheritdoc />
    public string Name => version.Kind.CommandName();

    /// <inheritdoc />
    public async Task LoadAsync(IImageSet images, IReadOnlyList<ImageReference> names, DateTimeOffset time, CancellationToken cancellationToken)
    {
        using var client = new EngineClient(endpoint, EngineProbe.ConnectTimeout);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(LoadTimeout);
        var body = new ArchiveBody((stream, token) => ImageOutput.WriteAsync(OutputKind.DockerArchive, stream, images, names, time, token));
        (int Status, string Text) answer;
        try
        {
            answer = await client.SendAsync(HttpMethod.Post, "images/load?quiet=1", body, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception) when (body.WriteFailure is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
            throw;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ContainerTasksException(ErrorCodes.DaemonLoadFailed, $"{this} did not take the image within {LoadTimeout.TotalMinutes:0} minutes.", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new ContainerTasksException(ErrorCodes.DaemonLoadFailed,
                $"The connection to {this} broke while the image was sent: {EngineProbe.Describe(e).Reason}. Check that the engine is still running.", e);
        }
        LoadAnswer.Read(answer.Status, answer.Text, ToString());
    }

    /// <summary>For messages: <c>podman 4.3.1 (API 1.41) at unix:///run/podman/podman.sock (DOCKER_HOST)</c>.</summary>
    public override string ToString() => $"{version} at {endpoint} ({endpoint.Origin})";
}
