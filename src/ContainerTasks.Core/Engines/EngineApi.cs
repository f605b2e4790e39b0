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

    private static readonly TimeSpan InspectTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Where it answered.</summary>
    public EngineEndpoint Endpoint => endpoint;

    /// <summary>What it said it is.</summary>
    public EngineVersion Version => version;

    /// <inheritdoc />
    public string Name => version.Kind.CommandName();

    /// <inheritdoc />
    public async Task LoadAsync(IImageSet images, IReadOnlyList<ImageReference> names, DateTimeOffset time, CancellationToken cancellationToken)
    {
        EngineSystem.Check(images.Images, version.Os, ToString());
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

    /// <inheritdoc />
    public async Task<EngineImage?> InspectAsync(string name, CancellationToken cancellationToken)
    {
        using var client = new EngineClient(endpoint, EngineProbe.ConnectTimeout);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(InspectTimeout);
        (int Status, string Text) answer;
        try
        {
            answer = await client.SendAsync(HttpMethod.Get, $"images/{PathOf(name)}/json", null, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (IsBroken(e, cancellationToken))
        {
            throw ExportFailed($"{this} could not be asked for the image {name}: {Reason(e, InspectTimeout)}", e);
        }
        return answer.Status switch
        {
            404 => null,
            200 => EngineImage.Parse(name, answer.Text) ?? throw ExportFailed($"{this} described the image {name} without an image id", null),
            _ => throw ExportFailed($"{this} answered HTTP {answer.Status} when asked for the image {name}: {EngineMessage(answer.Text)}", null),
        };
    }

    /// <inheritdoc />
    public async Task ExportAsync(EngineImage image, long maxLength, Func<Stream, CancellationToken, Task> read, CancellationToken cancellationToken)
    {
        // An export of a large base may take long: it is never cut short while bytes arrive, only after EngineClient.SilenceLimit of none.
        using var client = new EngineClient(endpoint, EngineProbe.ConnectTimeout);
        (int Status, string Text) answer;
        try
        {
            answer = await client.ReadAsync($"images/{image.Id.Hex}/get", maxLength, () => ExportTooLarge(Name, image, maxLength), read, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsBroken(e, cancellationToken))
        {
            throw ExportFailed($"The export of {image.Describe(Name)} from {this} broke off: {Reason(e, EngineClient.SilenceLimit)}", e);
        }
        if (answer.Status != 200)
        {
            throw ExportFailed($"{this} did not export {image.Describe(Name)}: HTTP {answer.Status}: {EngineMessage(answer.Text)}", null);
        }
    }

    /// <summary>CT4132: an export larger than the image the engine described (or than any base image is).</summary>
    internal static ContainerTasksException ExportTooLarge(string engine, EngineImage image, long maxLength)
        => ExportFailed(engine, $"{engine} exported more than {Sizes.Format(maxLength)} of {image.Describe(engine)}, "
            + (image.Size is { } size ? $"far more than the {Sizes.Format(size)} it reported for the image" : "more than any base image holds")
            + "; the export was stopped and nothing of it kept", null);

    private ContainerTasksException ExportFailed(string what, Exception? inner) => ExportFailed(Name, what, inner);

    // An image name as URL path segments: each escaped (':' and '@' are path characters, kept as the engines expect them);
    // the '/' between them stays, as image names have it. Dot segments are refused before (CT4131): they would be normalised away.
    internal static string PathOf(string name)
        => string.Join('/', name.Split('/').Select(segment => Uri.EscapeDataString(segment).Replace("%3A", ":", StringComparison.Ordinal).Replace("%40", "@", StringComparison.Ordinal)));

    /// <summary>CT4132: what went wrong, and what to check.</summary>
    internal static ContainerTasksException ExportFailed(string engine, string what, Exception? inner)
        => new(ErrorCodes.EngineExportFailed,
            $"{what}. Check that the engine is running and still has the image ('{engine} image ls'), or take the base from a registry (ContainerBaseImageSource=registry).", inner);

    // The connection, not the build: a cancellation of the build itself is passed on as it is.
    private static bool IsBroken(Exception e, CancellationToken cancellationToken)
        => e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static string Reason(Exception e, TimeSpan limit)
        => e is OperationCanceledException ? $"no answer within {limit.TotalMinutes:0.#} minutes" : EngineProbe.Describe(e).Reason;

    // An error answer is {"message": …} in both engines; anything else is quoted as it is, cleaned.
    private static string EngineMessage(string text)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && document.RootElement.TryGetProperty("message", out var message)
                && message.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                return Registry.RegistryText.Clean(message.GetString()!);
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return Registry.RegistryText.Clean(text);
    }

    /// <summary>For messages: <c>podman 4.3.1 (API 1.41) at unix:///run/podman/podman.sock (DOCKER_HOST)</c>.</summary>
    public override string ToString() => $"{version} at {endpoint} ({endpoint.Origin})";
}
