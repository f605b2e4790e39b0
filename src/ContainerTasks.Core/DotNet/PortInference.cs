using System.Globalization;

namespace ContainerTasks.DotNet;

/// <summary>
/// The ports an ASP.NET Core app listens on, read from the environment the image will have, as the SDK does:
/// <c>ASPNETCORE_URLS</c> when set, else <c>ASPNETCORE_HTTP_PORTS</c> and <c>ASPNETCORE_HTTPS_PORTS</c>.
/// </summary>
internal static class PortInference
{
    /// <summary>The inferred ports as <c>N/tcp</c>, in order, without duplicates.</summary>
    public static IReadOnlyList<string> FromEnvironment(IEnumerable<KeyValuePair<string, string>> environment)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in environment)
        {
            env[pair.Key] = pair.Value;
        }
        var ports = new List<string>();
        if (env.TryGetValue("ASPNETCORE_URLS", out string? urls) && !string.IsNullOrWhiteSpace(urls))
        {
            foreach (string url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                // "http://+:8080" is not a valid Uri host; read the port after the last ':' of the authority.
                string rest = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
                int slash = rest.IndexOf('/');
                string authority = slash >= 0 ? rest[..slash] : rest;
                int colon = authority.LastIndexOf(':');
                if (colon >= 0 && int.TryParse(authority[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port))
                {
                    ports.Add($"{port}/tcp");
                }
                else
                {
                    ports.Add(url.StartsWith("https", StringComparison.OrdinalIgnoreCase) ? "443/tcp" : "80/tcp");
                }
            }
        }
        else
        {
            foreach (string key in new[] { "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS" })
            {
                if (env.TryGetValue(key, out string? list))
                {
                    foreach (string item in list.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out int port))
                        {
                            ports.Add($"{port}/tcp");
                        }
                    }
                }
            }
        }
        return ports.Distinct().ToList();
    }
}
