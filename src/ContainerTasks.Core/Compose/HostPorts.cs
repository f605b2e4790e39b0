namespace ContainerTasks.Compose;

/// <summary>
/// Gives the services of a compose file their host ports. Ports a project chose (<c>ContainerComposePorts</c>) stay as
/// they are, and two of them on one host port are CT4135. Default ports (each exposed port on the same host port) are
/// then placed in service-name order: on their own port when it is free, else on the next free one above it — so two
/// ASP.NET projects, both exposing 8080, get 8080 and 8081. The same services always get the same ports.
/// </summary>
public static class HostPorts
{
    /// <summary>The services, sorted by name, with their host ports; a moved port is said in the service's <see cref="ComposeService.Notes"/>.</summary>
    public static IReadOnlyList<ComposeService> Assign(IReadOnlyList<ComposeService> services)
    {
        var sorted = services.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        // Every port some service asks for: a moved port never takes one of them.
        var wanted = sorted.SelectMany(s => s.Ports).Select(p => (p.Host, p.Protocol)).ToHashSet();
        var owners = new Dictionary<(int Host, string Protocol), ComposeService>();
        foreach (ComposeService service in sorted.Where(s => s.PortsChosen))
        {
            foreach (ComposePort port in service.Ports)
            {
                if (owners.TryGetValue((port.Host, port.Protocol), out ComposeService? other) && other.Name != service.Name)
                {
                    throw Clash(other, service, port, NextFree(port, owners, wanted));
                }
                owners[(port.Host, port.Protocol)] = service;
            }
        }
        var placed = new List<ComposeService>(sorted.Count);
        foreach (ComposeService service in sorted)
        {
            placed.Add(service.PortsChosen ? service : Place(service, owners, wanted));
        }
        return placed;
    }

    private static ComposeService Place(ComposeService service, Dictionary<(int Host, string Protocol), ComposeService> owners, HashSet<(int, string)> wanted)
    {
        var ports = new List<ComposePort>(service.Ports.Count);
        var notes = new List<string>();
        foreach (ComposePort port in service.Ports)
        {
            ComposePort given = port;
            if (owners.TryGetValue((port.Host, port.Protocol), out ComposeService? other) && other.Name != service.Name)
            {
                given = port with { Host = NextFree(port, owners, wanted) ?? throw Clash(other, service, port, null) };
                notes.Add($"host port {given.Host} for container port {port.Container}/{port.Protocol}, as '{other.Name}' publishes {port.Host}; set ContainerComposePorts in {Path.GetFileName(service.Project)} to choose");
            }
            owners[(given.Host, given.Protocol)] = service;
            ports.Add(given);
        }
        return notes.Count == 0 ? service : service with { Ports = ports, Notes = notes };
    }

    private static int? NextFree(ComposePort port, Dictionary<(int Host, string Protocol), ComposeService> owners, HashSet<(int, string)> wanted)
    {
        for (int host = port.Host + 1; host <= 65535; host++)
        {
            if (!owners.ContainsKey((host, port.Protocol)) && !wanted.Contains((host, port.Protocol)))
            {
                return host;
            }
        }
        return null;
    }

    private static ContainerTasksException Clash(ComposeService first, ComposeService second, ComposePort port, int? free)
        => new(ErrorCodes.ComposeServiceClash,
            $"Services '{first.Name}' ({first.Project}) and '{second.Name}' ({second.Project}) would both publish host port {port.Host}/{port.Protocol}: the second could not start. "
            + (free is null
                ? $"No host port above {port.Host} is free in this file: give one of them a lower port with ContainerComposePorts in its project, or 'none' to publish none."
                : $"Give one of them other host ports, e.g. <ContainerComposePorts>{free}:{port.Container}{(port.Protocol == "tcp" ? "" : "/" + port.Protocol)}</ContainerComposePorts> in {Path.GetFileName(second.Project)} ({free} is free in this file), or 'none' to publish none."));
}
