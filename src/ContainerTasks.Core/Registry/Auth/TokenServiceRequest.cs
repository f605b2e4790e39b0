using ContainerTasks.Registry.Http;

namespace ContainerTasks.Registry.Auth;

/// <summary>
/// One request to a token service — a registry's realm, or a cloud's (ACR's exchange, ECR's API, …): retried like registry
/// requests (the one <see cref="RetryClassification"/>, within the same time bounds), its answer read only up to
/// <see cref="ResponseBody.SmallLimit"/>. A token service that cannot be reached is <paramref name="unreachableCode"/>.
/// </summary>
/// <param name="transport">The build's transport.</param>
/// <param name="activity">What is done, for retry lines: e.g. <c>getting a token for myreg.azurecr.io</c>.</param>
/// <param name="service">What is asked, for messages: e.g. <c>the token service of myreg.azurecr.io</c>.</param>
/// <param name="hint">What to check when it cannot be reached, ending the message.</param>
/// <param name="notice">Where retries are shown.</param>
/// <param name="unreachableCode">The code when it cannot be reached; null: CT3001, or CT3010 when it did not answer in time.</param>
internal sealed class TokenServiceRequest(RegistryTransport transport, string activity, string service, string hint, Action<string>? notice, string? unreachableCode = null)
{
    /// <summary>Sends the request <paramref name="create"/> makes (once per attempt) and returns the answer that is not retried.</summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, CancellationToken cancellationToken)
    {
        var policy = new RetryPolicy(transport.Settings);
        var retry = new RequestRetry(policy, enabled: true, (cause, delay) => notice?.Invoke(RequestRetry.Line(activity, cause, delay, policy.Attempts + 1)));
        while (true)
        {
            using HttpRequestMessage request = create();
            Uri uri = request.RequestUri!;
            bool heard = transport.HasAnswered(uri.Authority);
            try
            {
                HttpResponseMessage response = await ReceiveAsync(request, policy.AttemptTimeout(heard), cancellationToken).ConfigureAwait(false);
                if (!await retry.AfterAnswerAsync(response, cancellationToken).ConfigureAwait(false))
                {
                    return response;
                }
                response.Dispose();
            }
            catch (Exception e) when (RetryClassification.IsNetworkFailure(e, cancellationToken))
            {
                if (await retry.AfterNetworkFailureAsync(e, uri, heard, cancellationToken).ConfigureAwait(false) is { } failure)
                {
                    string code = unreachableCode ?? (failure.TimedOut ? ErrorCodes.RegistryTimeout : ErrorCodes.RegistryUnreachable);
                    throw new ContainerTasksException(code,
                        $"{Capitalized(service)} ({uri.GetLeftPart(UriPartial.Authority)}) {(failure.TimedOut ? "did not answer in time" : "cannot be reached")}: {failure.Cause} ({policy.Attempts} attempts in {policy.Elapsed.TotalSeconds:0} s). {hint}", e);
                }
            }
        }
    }

    private async Task<HttpResponseMessage> ReceiveAsync(HttpRequestMessage request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (response, complete) = await AttemptSender.SendAsync(transport, request, timeout, ResponseBody.SmallLimit, cancellationToken).ConfigureAwait(false);
        if (!complete && response.IsSuccessStatusCode)
        {
            response.Dispose();
            throw new ContainerTasksException(ErrorCodes.RegistryResponseTooLarge,
                $"{Capitalized(service)} ({request.RequestUri!.GetLeftPart(UriPartial.Authority)}) answered with more than {ResponseBody.Describe(ResponseBody.SmallLimit)}; a token answer is a few kilobytes, so it was not read. Check the service's status, and any proxy in between.");
        }
        return response;
    }

    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
