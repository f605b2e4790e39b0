using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>A fault the <see cref="FaultProxy"/> can inject into one request.</summary>
public enum FaultKind
{
    /// <summary>No fault: the request is forwarded.</summary>
    None,

    /// <summary>503 Service Unavailable from the proxy; the request never reaches the registry.</summary>
    ServiceUnavailable,

    /// <summary>502 Bad Gateway from the proxy; the request never reaches the registry.</summary>
    BadGateway,

    /// <summary>429 Too Many Requests with <c>Retry-After: 1</c> (seconds); the request never reaches the registry.</summary>
    TooManyRequests,

    /// <summary>
    /// PATCH/PUT with a body only: part of the body is read (and, by default, forwarded, so the registry sees a
    /// truncated request, as when a connection drops), then the client connection is reset (RST).
    /// </summary>
    ResetDuringBody,

    /// <summary>The request is forwarded; its response is held for <see cref="FaultProxyOptions.StallDuration"/>, then sent.</summary>
    StallThenRespond,

    /// <summary>The request is forwarded (the registry acts on it); the response is held, then the connection closed without it.</summary>
    StallThenClose,

    /// <summary>
    /// The request is read but never forwarded, and the connection is reset: what Amazon ECR does to a push into a
    /// repository that does not exist. Only when asked for by name (random schedules leave it out).
    /// </summary>
    ResetOnRequest,
}

/// <summary>
/// Which requests get which fault. Decisions are made in the order eligible requests arrive (see
/// <see cref="FaultProxyOptions"/> for eligibility), so a fixed seed gives the same faults for the same sequence of requests.
/// </summary>
public sealed class FaultSchedule
{
    private static readonly FaultKind[] AllKinds = Enum.GetValues<FaultKind>().Where(k => k is not FaultKind.None and not FaultKind.ResetOnRequest).ToArray();

    private readonly Random? _random;
    private readonly double _probability;
    private readonly FaultKind[] _kinds = [];
    private readonly Queue<FaultKind> _steps = new();
    private readonly object _gate = new();

    /// <summary>Random faults: each eligible request gets one of <paramref name="kinds"/> (default: all) with <paramref name="probability"/>.</summary>
    public FaultSchedule(int seed, double probability, params FaultKind[] kinds)
    {
        _random = new Random(seed);
        _probability = probability;
        _kinds = kinds.Length == 0 ? AllKinds : kinds.Where(k => k != FaultKind.None).ToArray();
    }

    private FaultSchedule(IEnumerable<FaultKind> steps)
    {
        foreach (FaultKind step in steps)
        {
            _steps.Enqueue(step);
        }
    }

    /// <summary>No faults: the proxy only forwards (and counts traffic).</summary>
    public static FaultSchedule Never => new([]);

    /// <summary>
    /// An explicit list, one step per eligible request (<see cref="FaultKind.None"/> lets one through); afterwards no faults.
    /// A step that cannot apply to a request (<see cref="FaultKind.ResetDuringBody"/> on a request without a body)
    /// waits for the next request it applies to, and the requests in between pass.
    /// </summary>
    public static FaultSchedule Sequence(params FaultKind[] steps) => new(steps);

    /// <summary>True when an explicit list has steps left (always false for random schedules).</summary>
    public bool HasPendingSteps
    {
        get
        {
            lock (_gate)
            {
                return _steps.Count > 0;
            }
        }
    }

    internal FaultKind Next(Func<FaultKind, bool> applies)
    {
        lock (_gate)
        {
            if (_random is null)
            {
                if (_steps.Count == 0)
                {
                    return FaultKind.None;
                }
                FaultKind step = _steps.Peek();
                if (step == FaultKind.None || applies(step))
                {
                    return _steps.Dequeue();
                }
                return FaultKind.None;
            }
            // Always two draws per decision, so one request's applicability does not shift later decisions.
            double roll = _random.NextDouble();
            int pick = _random.Next(_kinds.Length);
            if (roll >= _probability)
            {
                return FaultKind.None;
            }
            for (int i = 0; i < _kinds.Length; i++)
            {
                FaultKind kind = _kinds[(pick + i) % _kinds.Length];
                if (applies(kind))
                {
                    return kind;
                }
            }
            return FaultKind.None;
        }
    }
}

/// <summary>Settings of a <see cref="FaultProxy"/>.</summary>
public sealed record FaultProxyOptions
{
    /// <summary>Only requests with these methods are eligible for faults (null: all).</summary>
    public IReadOnlyCollection<string>? Methods { get; init; }

    /// <summary>Only requests whose path (without query) matches this regular expression are eligible (null: all).</summary>
    public string? PathPattern { get; init; }

    /// <summary>How long stalls hold the response.</summary>
    public TimeSpan StallDuration { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Whether <see cref="FaultKind.ResetDuringBody"/> forwards the part of the body it read before the reset.</summary>
    public bool ForwardPartialBody { get; init; } = true;
}

/// <summary>One injected fault.</summary>
/// <param name="Sequence">The request's number through the proxy (1-based, all requests counted).</param>
public sealed record FaultInjection(int Sequence, FaultKind Kind, string Method, string Target)
{
    /// <summary>The path without the query.</summary>
    public string Path => Target.Split('?', 2)[0];
}

/// <summary>One request through the proxy.</summary>
/// <param name="Sequence">The request's number through the proxy (1-based).</param>
/// <param name="Fault">The fault injected, or <see cref="FaultKind.None"/>.</param>
/// <param name="Status">The status the client got; null when it got none (reset, closed).</param>
/// <param name="ReachedRegistry">True when the request (or part of it) was sent to the registry.</param>
/// <param name="RequestBodyBytes">Request body bytes read from the client (chunk framing not counted).</param>
/// <param name="ResponseBodyBytes">Response body bytes sent to the client.</param>
public sealed record ProxyExchange(int Sequence, string Method, string Target, FaultKind Fault, int? Status, bool ReachedRegistry,
    long RequestBodyBytes, long ResponseBodyBytes)
{
    /// <summary>The path without the query.</summary>
    public string Path => Target.Split('?', 2)[0];
}

/// <summary>Totals of the traffic forwarded to the registry.</summary>
public sealed record ProxyTraffic(int Requests, long RequestBodyBytes, long ResponseBodyBytes);

/// <summary>
/// A reverse proxy in front of an HTTP registry that injects faults on a schedule. Clients use
/// <see cref="Host"/> (<c>127.0.0.1:PROXYPORT</c>) as the registry. HTTP/1.1 keep-alive, Content-Length and
/// chunked bodies are handled; <c>Expect: 100-continue</c> is answered by the proxy itself.
/// The Host header is passed on unchanged: the registry builds its absolute <c>Location</c> URLs from it,
/// so upload sessions and redirects keep pointing at the proxy.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly LoopbackListener _listener;
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly Regex? _path;
    private readonly HashSet<string>? _methods;
    private readonly List<FaultInjection> _injected = new();
    private readonly List<ProxyExchange> _exchanges = new();
    private int _sequence;
    private int _settled;

    /// <summary>Starts a proxy in front of <paramref name="registry"/>, which must be an HTTP-mode registry.</summary>
    public FaultProxy(RegistryServer registry, FaultSchedule schedule, FaultProxyOptions? options = null)
        : this("127.0.0.1", registry.Mode == RegistryMode.Http ? registry.Port
            : throw new ArgumentException("The fault proxy does not terminate TLS: use an HTTP registry.", nameof(registry)), schedule, options)
    {
    }

    /// <summary>Starts a proxy in front of the HTTP server at <paramref name="upstreamHost"/>:<paramref name="upstreamPort"/>.</summary>
    public FaultProxy(string upstreamHost, int upstreamPort, FaultSchedule schedule, FaultProxyOptions? options = null)
    {
        _upstreamHost = upstreamHost;
        _upstreamPort = upstreamPort;
        Schedule = schedule;
        Options = options ?? new FaultProxyOptions();
        _path = Options.PathPattern is { } pattern ? new Regex(pattern, RegexOptions.CultureInvariant) : null;
        _methods = Options.Methods is { } methods ? new HashSet<string>(methods, StringComparer.OrdinalIgnoreCase) : null;
        _listener = new LoopbackListener(ServeAsync);
    }

    /// <summary>The schedule; may be replaced at any time (e.g. after an undisturbed set-up phase).</summary>
    public FaultSchedule Schedule { get; set; }

    /// <summary>The settings.</summary>
    public FaultProxyOptions Options { get; }

    /// <summary>The registry name for clients: <c>127.0.0.1:PROXYPORT</c>.</summary>
    public string Host => _listener.Address;

    /// <summary><c>http://127.0.0.1:PROXYPORT/</c>.</summary>
    public Uri BaseUri => new($"http://{Host}/");

    /// <summary>The faults injected so far, in order.</summary>
    public IReadOnlyList<FaultInjection> Injected
    {
        get
        {
            lock (_injected)
            {
                return _injected.ToArray();
            }
        }
    }

    /// <summary>Every request so far, in the order they finished.</summary>
    public IReadOnlyList<ProxyExchange> Exchanges
    {
        get
        {
            Settle();
            lock (_exchanges)
            {
                return _exchanges.ToArray();
            }
        }
    }

    /// <summary>Totals of the requests that reached the registry and the bytes passed through for them.</summary>
    public ProxyTraffic Forwarded
    {
        get
        {
            ProxyExchange[] forwarded = Exchanges.Where(e => e.ReachedRegistry).ToArray();
            return new(forwarded.Length, forwarded.Sum(e => e.RequestBodyBytes), forwarded.Sum(e => e.ResponseBodyBytes));
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private bool Eligible(HttpMessageHead head)
        => (_methods is null || _methods.Contains(head.Method)) && (_path is null || _path.IsMatch(head.Path));

    private async Task ServeAsync(TcpClient client, CancellationToken cancellation)
    {
        NetworkStream clientStream = client.GetStream();
        var clientReader = new HttpReader(clientStream);
        TcpClient? upstream = null;
        HttpReader? upstreamReader = null;
        bool pending = false;
        void Record(ProxyExchange exchange)
        {
            RecordExchange(exchange);
            pending = false;
        }
        try
        {
            while (await HttpMessageHead.ReadAsync(clientReader, cancellation) is { } request)
            {
                int sequence = Interlocked.Increment(ref _sequence);
                pending = true;
                string method = request.Method;
                string target = request.Target;
                BodyFraming requestFraming = request.RequestFraming;
                bool hasBody = requestFraming != BodyFraming.None;
                FaultKind fault = Eligible(request)
                    ? Schedule.Next(kind => kind != FaultKind.ResetDuringBody || (hasBody && method is "PATCH" or "PUT"))
                    : FaultKind.None;

                // Answer "Expect: 100-continue" here, so the client sends its body whatever the registry does.
                if (request.Get("Expect") is { } expect && expect.Contains("100-continue", StringComparison.OrdinalIgnoreCase))
                {
                    request.Remove("Expect");
                    if (hasBody)
                    {
                        await clientStream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), cancellation);
                    }
                }

                if (fault == FaultKind.ResetOnRequest)
                {
                    Inject(sequence, fault, method, target);
                    long read = await HttpBody.CopyAsync(clientReader, request, requestFraming, null, cancellation);
                    Record(new(sequence, method, target, fault, null, false, read, 0));
                    Sockets.Reset(client);
                    return;
                }

                if (fault is FaultKind.ServiceUnavailable or FaultKind.BadGateway or FaultKind.TooManyRequests)
                {
                    Inject(sequence, fault, method, target);
                    long discarded = await HttpBody.CopyAsync(clientReader, request, requestFraming, null, cancellation);
                    (int status, string reason, string code) = fault switch
                    {
                        FaultKind.ServiceUnavailable => (503, "Service Unavailable", "UNAVAILABLE"),
                        FaultKind.BadGateway => (502, "Bad Gateway", "UNAVAILABLE"),
                        _ => (429, "Too Many Requests", "TOOMANYREQUESTS"),
                    };
                    byte[] body = Encoding.UTF8.GetBytes($$"""{"errors":[{"code":"{{code}}","message":"injected by the fault proxy"}]}""");
                    (string, string)[] headers = fault == FaultKind.TooManyRequests
                        ? [("Content-Type", "application/json"), ("Retry-After", "1")]
                        : [("Content-Type", "application/json")];
                    await HttpBody.WriteResponseAsync(clientStream, status, reason, body, cancellation, headers);
                    Record(new(sequence, method, target, fault, status, false, discarded, body.Length));
                    if (request.WantsClose)
                    {
                        return;
                    }
                    continue;
                }

                if (upstream is null)
                {
                    upstream = await Sockets.ConnectAsync(_upstreamHost, _upstreamPort, cancellation);
                    upstreamReader = new HttpReader(upstream.GetStream());
                }
                NetworkStream upstreamStream = upstream.GetStream();

                if (fault == FaultKind.ResetDuringBody)
                {
                    Inject(sequence, fault, method, target);
                    // Part of the body: half of a known length (at most 256 KiB), or 32 KiB of a chunked one.
                    long part = request.ContentLength is { } length && requestFraming == BodyFraming.Length
                        ? Math.Clamp(length / 2, 1, 256 * 1024)
                        : 32 * 1024;
                    Stream? forwardTo = Options.ForwardPartialBody ? upstreamStream : null;
                    if (forwardTo is not null)
                    {
                        await upstreamStream.WriteAsync(request.ToBytes(), cancellation);
                    }
                    long read = await HttpBody.CopyAsync(clientReader, request, requestFraming, forwardTo, cancellation, stopAfter: part);
                    if (forwardTo is not null)
                    {
                        await upstreamStream.FlushAsync(cancellation);
                    }
                    Record(new(sequence, method, target, fault, null, Options.ForwardPartialBody, read, 0));
                    Sockets.Reset(client);
                    return;
                }

                await upstreamStream.WriteAsync(request.ToBytes(), cancellation);
                long requestBytes = await HttpBody.CopyAsync(clientReader, request, requestFraming, upstreamStream, cancellation);
                await upstreamStream.FlushAsync(cancellation);

                HttpMessageHead response = await HttpMessageHead.ReadAsync(upstreamReader!, cancellation)
                    ?? throw new IOException("The registry closed the connection without answering.");
                while (response.Status is >= 100 and < 200)
                {
                    await clientStream.WriteAsync(response.ToBytes(), cancellation);
                    response = await HttpMessageHead.ReadAsync(upstreamReader!, cancellation)
                        ?? throw new IOException("The registry closed the connection without answering.");
                }

                if (fault is FaultKind.StallThenRespond or FaultKind.StallThenClose)
                {
                    Inject(sequence, fault, method, target);
                    await Task.Delay(Options.StallDuration, cancellation);
                    if (fault == FaultKind.StallThenClose)
                    {
                        Record(new(sequence, method, target, fault, null, true, requestBytes, 0));
                        return;   // closes both connections (FIN, not RST)
                    }
                }

                BodyFraming responseFraming = response.ResponseFraming(method);
                await clientStream.WriteAsync(response.ToBytes(), cancellation);
                long responseBytes = await HttpBody.CopyAsync(upstreamReader!, response, responseFraming, clientStream, cancellation);
                await clientStream.FlushAsync(cancellation);
                Record(new(sequence, method, target, fault, response.Status, true, requestBytes, responseBytes));

                if (responseFraming == BodyFraming.UntilClose || request.WantsClose)
                {
                    return;
                }
                if (response.WantsClose)
                {
                    upstream.Dispose();
                    upstream = null;
                    upstreamReader = null;
                }
            }
        }
        finally
        {
            upstream?.Dispose();
            if (pending)
            {
                Interlocked.Increment(ref _settled);   // a request that ended without an exchange to record
            }
        }
    }

    private void Inject(int sequence, FaultKind kind, string method, string target)
    {
        lock (_injected)
        {
            _injected.Add(new(sequence, kind, method, target));
        }
    }

    private void RecordExchange(ProxyExchange exchange)
    {
        lock (_exchanges)
        {
            _exchanges.Add(exchange);
        }
        Interlocked.Increment(ref _settled);
    }

    /// <summary>
    /// Waits (up to five seconds) until every request the proxy has read is recorded: the proxy records an exchange
    /// just after the last response byte went out, so a client can see its answer a moment before it is counted.
    /// </summary>
    private void Settle()
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Volatile.Read(ref _settled) < Volatile.Read(ref _sequence) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }
    }
}
