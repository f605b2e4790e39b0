using System.Net.Sockets;
using System.Text;

namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>One request a <see cref="ScriptedRegistry"/> received.</summary>
/// <param name="Method">GET, HEAD, PUT, …</param>
/// <param name="Target">The path and query.</param>
/// <param name="Authorization">The Authorization header, if any.</param>
public sealed record ScriptedRequest(string Method, string Target, string? Authorization);

/// <summary>An answer of a <see cref="ScriptedRegistry"/>.</summary>
public sealed record ScriptedResponse(int Status, string Body, params (string Name, string Value)[] Headers)
{
    /// <summary>A JSON body with its content type.</summary>
    public static ScriptedResponse Json(int status, string body, params (string Name, string Value)[] headers)
        => new(status, body, [("Content-Type", "application/json"), .. headers]);
}

/// <summary>
/// A plain-HTTP "registry" on 127.0.0.1 that answers every request as the test's script says: for answers a real
/// Distribution registry never gives (malformed error bodies, odd challenges, manifests with wrong JSON types).
/// </summary>
public sealed class ScriptedRegistry : IAsyncDisposable
{
    private readonly LoopbackListener _listener;
    private readonly Func<ScriptedRequest, ScriptedResponse> _script;
    private readonly Recorded<ScriptedRequest> _requests = new();

    /// <summary>Starts answering with <paramref name="script"/>.</summary>
    public ScriptedRegistry(Func<ScriptedRequest, ScriptedResponse> script)
    {
        _script = script;
        _listener = new LoopbackListener(ServeAsync);
    }

    /// <summary><c>127.0.0.1:PORT</c>, a loopback (so insecure) registry name.</summary>
    public string Host => _listener.Address;

    /// <summary>Every request so far, in order.</summary>
    public IReadOnlyList<ScriptedRequest> Requests => _requests.Snapshot();

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private async Task ServeAsync(TcpClient client, CancellationToken cancellation)
    {
        var reader = new HttpReader(client.GetStream());
        while (await HttpMessageHead.ReadAsync(reader, cancellation) is { } head)
        {
            await HttpBody.ReadAsync(reader, head, cancellation);
            var request = new ScriptedRequest(head.Method, head.Target, head.Get("Authorization"));
            _requests.Add(request);
            ScriptedResponse answer = _script(request);
            byte[] body = head.Method == "HEAD" ? [] : Encoding.UTF8.GetBytes(answer.Body);
            await HttpBody.WriteResponseAsync(reader.Stream, answer.Status, "Scripted", body, cancellation, answer.Headers);
        }
    }
}
