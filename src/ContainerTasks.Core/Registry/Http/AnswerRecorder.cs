namespace ContainerTasks.Registry.Http;

/// <summary>
/// The first handler of the transport: records each host (host:port) that answered, whatever the status, for every
/// request the build sends. Until a host has answered once, a failure to reach it is likely a wrong name or a registry
/// that is not there, and retries are few (see <see cref="RetryPolicy"/>).
/// </summary>
internal sealed class AnswerRecorder : DelegatingHandler
{
    private readonly Action<string> _answered;

    /// <param name="answered">Told the authority of each request that got an answer.</param>
    /// <param name="inner">The handler that sends (the connection pool).</param>
    public AnswerRecorder(Action<string> answered, HttpMessageHandler inner)
        : base(inner)
    {
        _answered = answered;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        _answered(request.RequestUri!.Authority);
        return response;
    }
}
