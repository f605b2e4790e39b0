namespace ContainerTasks.Engines;

/// <summary>Where a local engine's API may listen, as DOCKER_HOST writes it, and who said so.</summary>
/// <param name="Address"><c>unix:///path</c>, <c>tcp://host:port</c>, or an address only the CLI reaches (<c>ssh://…</c>).</param>
/// <param name="Origin">Where the address came from, for messages: <c>DOCKER_HOST</c>, <c>the default Docker socket</c>.</param>
/// <param name="Variable">The environment variable that named it (DOCKER_HOST, CONTAINER_HOST); null for a default socket.</param>
internal sealed record EngineEndpoint(string Address, string Origin, string? Variable)
{
    private const int DefaultPort = 2375;
    private const string Unix = "unix://";
    private const string Tcp = "tcp://";

    /// <summary>Why the API client cannot talk to this address (ssh, a Windows pipe); null when it can. The engine's CLI may still reach it.</summary>
    public string? ApiUnsupported { get; init; }

    /// <summary>TLS for a TCP address (DOCKER_TLS_VERIFY, DOCKER_TLS); null for plain HTTP.</summary>
    public EngineTls? Tls { get; init; }

    /// <summary>The unix socket's absolute path; null for another address.</summary>
    public string? SocketPath => Address.StartsWith(Unix, StringComparison.Ordinal) ? Address[Unix.Length..] : null;

    /// <summary><c>host:port</c> of a TCP address; null for another address.</summary>
    public string? Authority => Address.StartsWith(Tcp, StringComparison.Ordinal) ? Address[Tcp.Length..] : null;

    /// <summary>True when the environment named this engine: one that does not answer is an error, not a reason to look elsewhere.</summary>
    public bool Named => Variable is not null;

    /// <summary>The address.</summary>
    public override string ToString() => Address;

    /// <summary>A unix socket at an absolute path.</summary>
    public static EngineEndpoint Socket(string path, string origin, string? variable = null) => new(Unix + path, origin, variable);

    /// <summary>
    /// Reads a DOCKER_HOST or CONTAINER_HOST value: <c>unix:///path</c>, or <c>tcp://host[:port]</c> (port 2375 when none,
    /// 2376 with <paramref name="tls"/>); <c>ssh://</c> and <c>npipe://</c> are kept for the CLI to reach. CT4129 for anything else.
    /// </summary>
    public static EngineEndpoint Parse(string variable, string value, EngineTls? tls = null)
    {
        string text = value.Trim();
        int separator = text.IndexOf("://", StringComparison.Ordinal);
        string scheme = separator < 0 ? "" : text[..separator].ToLowerInvariant();
        string rest = separator < 0 ? "" : text[(separator + 3)..];
        return scheme switch
        {
            "unix" when rest.StartsWith('/') && rest.Length > 1 => Socket(rest, variable, variable),
            "tcp" when HostAndPort(rest, tls is null ? DefaultPort : EngineTls.DefaultPort) is { } authority => new EngineEndpoint(Tcp + authority, variable, variable) { Tls = tls },
            "ssh" or "npipe" when rest.Length > 0 => new EngineEndpoint(WithoutPassword(Registry.RegistryText.Clean(text)), variable, variable)
            {
                ApiUnsupported = $"{variable} is {scheme}://, which only the engine's CLI speaks",
            },
            _ => throw new ContainerTasksException(ErrorCodes.InvalidEngineAddress,
                $"{variable} is '{WithoutPassword(Registry.RegistryText.Clean(text))}', which is not an engine's address. Use unix:///path/to/engine.sock or tcp://host:port, or unset it."),
        };
    }

    // An address is printed in messages: "ssh://user:secret@host" as "ssh://user:***@host".
    private static string WithoutPassword(string address)
        => System.Text.RegularExpressions.Regex.Replace(address, "^([a-zA-Z][a-zA-Z0-9+.-]*://[^/@:]*):[^/@]*@", "$1:***@");

    // host[:port] without a path; IPv6 in brackets. Null when it is not one.
    private static string? HostAndPort(string rest, int defaultPort)
    {
        string hostPort = rest.TrimEnd('/');
        if (hostPort.Length == 0 || hostPort.Contains('/') || hostPort.Contains('@')
            || !Uri.TryCreate($"tcp://{hostPort}", UriKind.Absolute, out Uri? uri) || uri.Host.Length == 0)
        {
            return null;
        }
        bool hasPort = hostPort.LastIndexOf(':') > hostPort.LastIndexOf(']');
        return hasPort && uri.Port is > 0 and <= 65535 ? $"{uri.Host}:{uri.Port}" : hasPort ? null : $"{uri.Host}:{defaultPort}";
    }
}
