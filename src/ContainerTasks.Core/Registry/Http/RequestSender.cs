using System.Net.Http.Headers;
using System.Runtime.ExceptionServices;
using ContainerTasks.Registry.Auth;

namespace ContainerTasks.Registry.Http;

/// <summary>
/// Sends a registry's requests through its steps: each attempt goes out with the header <see cref="ChallengeAnswerer"/>
/// allows, within the attempt's timeout (<see cref="AttemptSender"/>); a failure or an answer may then ask for another
/// attempt, in this order: <see cref="SchemeFallback"/>, <see cref="ChallengeAnswerer"/>, <see cref="RedirectFollower"/>,
/// <see cref="RequestRetry"/> (the one <see cref="RetryClassification"/>). What is left is the answer, or a coded error.
/// These steps are not <see cref="DelegatingHandler"/>s because they need what a handler does not see: a body created
/// anew for each attempt (an upload stream cannot be replayed), the token scopes, and the operation for messages.
/// </summary>
internal sealed class RequestSender
{
    private readonly RegistryEndpoint _endpoint;
    private readonly RegistryTransport _transport;
    private readonly RegistryAuthenticator _auth;
    private readonly Action<string>? _log;
    private readonly Action<string>? _notice;

    /// <param name="endpoint">The registry's endpoint.</param>
    /// <param name="transport">The build's shared transport.</param>
    /// <param name="auth">The registry's authenticator.</param>
    /// <param name="log">Details (diagnostic verbosity): scheme switches.</param>
    /// <param name="notice">Retries and their cause (normal verbosity).</param>
    public RequestSender(RegistryEndpoint endpoint, RegistryTransport transport, RegistryAuthenticator auth, Action<string>? log, Action<string>? notice)
    {
        _endpoint = endpoint;
        _transport = transport;
        _auth = auth;
        _log = log;
        _notice = notice;
    }

    /// <summary>The answer to <paramref name="spec"/> once no step asks for another attempt; the caller disposes it.</summary>
    public async Task<HttpResponseMessage> SendAsync(RegistryRequest spec, CancellationToken cancellationToken)
    {
        var policy = new RetryPolicy(_transport.Settings, spec.MaxAttempts, spec.ContentLength);
        var steps = new Steps(
            new RequestRetry(policy, spec.Retry, (cause, delay) => _notice?.Invoke(RequestRetry.Line($"{spec.Operation} on {_endpoint.Registry}", cause, delay, policy.Attempts + 1))),
            new ChallengeAnswerer(_auth, spec.Scopes),
            new RedirectFollower(spec.Method),
            new SchemeFallback(_transport, _endpoint, _log));
        while (true)
        {
            Uri uri = steps.Redirect.Target ?? _endpoint.UriFor(spec.PathOrUri);
            bool toRegistry = _endpoint.MayReceiveCredentials(uri);
            HttpResponseMessage? response = await TryAttemptAsync(spec, steps, uri, toRegistry, cancellationToken).ConfigureAwait(false);
            if (response is not null && !await AnotherAttemptAsync(response, steps, uri, toRegistry, cancellationToken).ConfigureAwait(false))
            {
                return response;
            }
            response?.Dispose();
        }
    }

    // One attempt; null when it got no answer and another attempt follows (a switch of scheme, or a retry).
    private async Task<HttpResponseMessage?> TryAttemptAsync(RegistryRequest spec, Steps steps, Uri uri, bool toRegistry, CancellationToken cancellationToken)
    {
        using HttpRequestMessage request = await CreateAsync(spec, steps, uri, toRegistry, cancellationToken).ConfigureAwait(false);
        bool heard = _transport.HasAnswered(uri.Authority);
        try
        {
            return await ReceiveAsync(request, spec, uri, steps.Retry.Policy.AttemptTimeout(heard), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not ContainerTasksException && WrappedError.Find(e) is not null)
        {
            ExceptionDispatchInfo.Capture(WrappedError.Find(e)!).Throw();
            throw;
        }
        catch (HttpRequestException e) when (TlsFailure.Is(e))
        {
            return steps.Scheme.TryHttpAfterTlsFailure(uri, steps.Redirect.Redirected) ? null : throw TlsFailure.Error(_transport, uri, spec.Operation, e);
        }
        catch (Exception e) when (RetryClassification.IsNetworkFailure(e, cancellationToken))
        {
            if (!steps.Scheme.TryHttpsAfterNetworkFailure(uri, steps.Redirect.Redirected, e)
                && await steps.Retry.AfterNetworkFailureAsync(e, uri, heard, cancellationToken).ConfigureAwait(false) is { } failure)
            {
                throw Unanswered(spec, uri, failure, steps.Retry.Policy, e);
            }
            return null;
        }
    }

    // Whether the answer asks for another attempt; the caller then disposes it.
    private static async Task<bool> AnotherAttemptAsync(HttpResponseMessage response, Steps steps, Uri uri, bool toRegistry, CancellationToken cancellationToken)
    {
        if (await steps.Scheme.TryHttpsAfterAnswerAsync(uri, steps.Redirect.Redirected, steps.Redirect.Method, response, cancellationToken).ConfigureAwait(false)
            || await steps.Challenge.TryAnswerAsync(response, toRegistry, cancellationToken).ConfigureAwait(false)
            || steps.Redirect.TryFollow(response, uri))
        {
            return true;
        }
        if (await steps.Retry.AfterAnswerAsync(response, cancellationToken).ConfigureAwait(false))
        {
            steps.Redirect.Restart();
            return true;
        }
        return false;
    }

    private static async Task<HttpRequestMessage> CreateAsync(RegistryRequest spec, Steps steps, Uri uri, bool toRegistry, CancellationToken cancellationToken)
    {
        HttpMethod method = steps.Redirect.Method;
        var request = new HttpRequestMessage(method, uri);
        try
        {
            foreach (string accept in spec.Accept)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
            }
            if (spec.IfMatch is not null)
            {
                request.Headers.TryAddWithoutValidation("If-Match", spec.IfMatch);
            }
            if (spec.Content is not null && method != HttpMethod.Get && method != HttpMethod.Head)
            {
                request.Content = await spec.Content(cancellationToken).ConfigureAwait(false);
            }
            request.Headers.Authorization = await steps.Challenge.HeaderAsync(toRegistry, cancellationToken).ConfigureAwait(false);
            return request;
        }
        catch
        {
            request.Dispose();
            throw;
        }
    }

    private async Task<HttpResponseMessage> ReceiveAsync(HttpRequestMessage request, RegistryRequest spec, Uri uri, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (response, complete) = await AttemptSender.SendAsync(_transport, request, timeout, spec.StreamBody ? null : spec.BodyLimit, cancellationToken).ConfigureAwait(false);
        if (!complete && response.IsSuccessStatusCode)
        {
            response.Dispose();
            throw new ContainerTasksException(ErrorCodes.RegistryResponseTooLarge,
                $"{uri.Authority} answered with more than {ResponseBody.Describe(spec.BodyLimit)} while {spec.Operation} ({uri.AbsolutePath}); no registry answer of that kind is so large, so it was not read. Check that {_endpoint.Registry} is the registry you mean, and any proxy in between.");
        }
        return response;
    }

    private ContainerTasksException Unanswered(RegistryRequest spec, Uri uri, NetworkFailure failure, RetryPolicy retry, Exception error)
    {
        string tries = $"{retry.Attempts} attempt{(retry.Attempts == 1 ? "" : "s")} in {retry.Elapsed.TotalSeconds:0} s";
        return failure.TimedOut
            ? new ContainerTasksException(ErrorCodes.RegistryTimeout, $"{_endpoint.Registry} did not answer while {spec.Operation} ({uri.AbsolutePath}): {failure.Cause} ({tries}). {failure.Fix}", error)
            : new ContainerTasksException(ErrorCodes.RegistryUnreachable, $"{_endpoint.Registry} cannot be reached while {spec.Operation}: {failure.Cause} ({tries}). {failure.Fix}", error);
    }

    private sealed record Steps(RequestRetry Retry, ChallengeAnswerer Challenge, RedirectFollower Redirect, SchemeFallback Scheme);
}
