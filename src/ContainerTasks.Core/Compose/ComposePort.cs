namespace ContainerTasks.Compose;

/// <summary>One <c>ports:</c> entry of a service: a host port published for a container port.</summary>
/// <param name="Host">The port on the host.</param>
/// <param name="Container">The port the container listens on.</param>
/// <param name="Protocol">tcp, udp or sctp.</param>
public readonly record struct ComposePort(int Host, int Container, string Protocol)
{
    /// <summary>Compose's short syntax: <c>8080:8080</c>, <c>5353:53/udp</c> (tcp is the default and not written).</summary>
    public override string ToString() => Protocol == "tcp" ? $"{Host}:{Container}" : $"{Host}:{Container}/{Protocol}";

    /// <summary>
    /// The ports of a service: <paramref name="setting"/> (<c>ContainerComposePorts</c>) when given — <c>none</c>, or
    /// <c>HOST:CONTAINER[/protocol]</c> entries separated by <c>;</c> — else each exposed port on the same host port.
    /// </summary>
    public static IReadOnlyList<ComposePort> From(string? setting, IEnumerable<string> exposedPorts)
    {
        string text = setting?.Trim() ?? "";
        if (text.Length == 0)
        {
            return exposedPorts.Select(Model.ImageConfig.NormalizePort).Distinct()
                .Select(p => p.Split('/')).Select(p => new ComposePort(int.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture), p[1]))
                .OrderBy(p => p.Container).ThenBy(p => p.Protocol, StringComparer.Ordinal).ToList();
        }
        if (text.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }
        return text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse)
            .OrderBy(p => p.Host).ThenBy(p => p.Container).ThenBy(p => p.Protocol, StringComparer.Ordinal).ToList();
    }

    private static ComposePort Parse(string entry)
    {
        int colon = entry.IndexOf(':', StringComparison.Ordinal);
        string container;
        try
        {
            container = colon > 0 ? Model.ImageConfig.NormalizePort(entry[(colon + 1)..]) : "";
        }
        catch (ContainerTasksException)
        {
            container = "";
        }
        if (container.Length == 0 || !int.TryParse(entry[..colon], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int host)
            || host is < 1 or > 65535)
        {
            throw new ContainerTasksException(ErrorCodes.ComposeFileFailed,
                $"ContainerComposePorts has the entry '{entry}'. Write HOST:CONTAINER with ports from 1 to 65535, optionally followed by /udp (e.g. 8081:8080;5353:53/udp), or 'none' to publish no port.");
        }
        string[] parts = container.Split('/');
        return new ComposePort(host, int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), parts[1]);
    }
}
