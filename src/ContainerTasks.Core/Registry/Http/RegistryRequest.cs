namespace ContainerTasks.Registry.Http;

/// <summary>A request as a registry client sends it; <see cref="Content"/> is created anew for each attempt.</summary>
/// <param name="Method">The method of the first attempt.</param>
/// <param name="PathOrUri">An API path (<c>/v2/...</c>) or an absolute URL the registry gave.</param>
/// <param name="Repository">The repository, for messages.</param>
/// <param name="Operation">What is being done, for messages ("reading the manifest").</param>
internal sealed record RegistryRequest(HttpMethod Method, string PathOrUri, string Repository, string Operation)
{
    /// <summary>The media types accepted.</summary>
    public IReadOnlyList<string> Accept { get; init; } = [];

    /// <summary>The token scopes the request needs.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>Creates the body of an attempt; null for none.</summary>
    public Func<CancellationToken, Task<HttpContent>>? Content { get; init; }

    /// <summary>The body's size, which may add to the attempt's time (see <see cref="RetryPolicy"/>).</summary>
    public long ContentLength { get; init; }

    /// <summary>Leave the answer's body to the caller to stream.</summary>
    public bool StreamBody { get; init; }

    /// <summary>The most bytes of a body read into memory (<see cref="StreamBody"/> off); a longer success answer is CT3020.</summary>
    public int BodyLimit { get; init; } = ResponseBody.SmallLimit;

    /// <summary>Retry transient failures here; off when the caller restarts a whole operation itself.</summary>
    public bool Retry { get; init; } = true;

    /// <summary>An <c>If-Match</c> value (an ETag the registry gave): the write happens only if the content is still that one.</summary>
    public string? IfMatch { get; init; }

    /// <summary>Attempts in all.</summary>
    public int MaxAttempts { get; init; } = RetryPolicy.DefaultMaxAttempts;
}
