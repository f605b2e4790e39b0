using System.Runtime.ExceptionServices;
using ContainerTasks.Model;
using ContainerTasks.Outputs;

namespace ContainerTasks.Engines;

/// <summary>
/// An engine reached through the Docker Engine API (Docker, or Podman's compatible API): the image goes in with
/// <c>POST /images/load</c>, the docker archive written into the request as it is sent. The engine may take no byte of
/// it for at most <see cref="ArchiveBody.SilenceLimit"/>, and must answer within <see cref="AnswerLimit"/> of the last.
/// </summary>
internal sealed class EngineApi(EngineEndpoint endpoint, EngineVersion version) : ILocalEngine
{
    /// <summary>How long an engine may take to answer once it has the whole image (it stores it first).</summary>
    public static readonly TimeSpan AnswerLimit = TimeSpan.FromMinutes(10);

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
        var body = new ArchiveBody(ToString(), (stream, token) => ImageOutput.WriteAsync(OutputKind.DockerArchive, stream, images, names, time, token))
        {
            Sent = () => timeout.CancelAfter(AnswerLimit),
        };
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
            throw new ContainerTasksException(ErrorCodes.DaemonLoadFailed,
                $"{this} had the whole image but did not answer within {AnswerLimit.TotalMinutes:0} minutes. Check the engine's own log.", e);
        }
        catch (EngineAnswerTooLongException e)
        {
            throw new ContainerTasksException(ErrorCodes.DaemonLoadFailed,
                $"{this} answered the load with more than {EngineClient.MaxAnswer / 1024 / 1024} MiB, which no engine does; nothing it said is trusted. Check what serves {endpoint}.", e);
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
