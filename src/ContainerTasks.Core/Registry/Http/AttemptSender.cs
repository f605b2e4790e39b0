namespace ContainerTasks.Registry.Http;

/// <summary>
/// One attempt of a request on the build's shared client: the answer's headers within the attempt's timeout, and a
/// body kept in memory read within it too, only up to its limit.
/// </summary>
internal static class AttemptSender
{
    /// <summary>
    /// Sends <paramref name="request"/>; <c>Complete</c> is false when the body was longer than <paramref name="bodyLimit"/>
    /// (then dropped unread). A null limit leaves the body to be streamed by the caller.
    /// </summary>
    public static async Task<(HttpResponseMessage Response, bool Complete)> SendAsync(RegistryTransport transport, HttpRequestMessage request, TimeSpan timeout,
        int? bodyLimit, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(timeout);
        HttpResponseMessage response = await transport.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token).ConfigureAwait(false);
        try
        {
            bool complete = bodyLimit is not { } limit || request.Method == HttpMethod.Head
                || await ResponseBody.BufferAsync(response, limit, attempt.Token).ConfigureAwait(false);
            return (response, complete);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }
}
