namespace ContainerTasks.Model;

/// <summary>
/// Docker Hub's names in one place: <c>docker.io</c> in references, the host that serves its API, the server URL
/// its logins are stored under, and the other host names that mean it.
/// </summary>
internal static class DockerHub
{
    /// <summary>Docker Hub's name in references.</summary>
    public const string Name = "docker.io";

    /// <summary>The host that serves its registry API.</summary>
    public const string ApiHost = "registry-1.docker.io";

    /// <summary>The server URL <c>docker login</c> stores Docker Hub's credentials under, which credential helpers are asked for.</summary>
    public const string CredentialServer = "https://index.docker.io/v1/";

    private static readonly string[] OtherNames = ["index.docker.io", ApiHost, "registry.hub.docker.com"];

    /// <summary>True when <paramref name="host"/> (lower case, without port) is another name of Docker Hub.</summary>
    public static bool IsOtherName(string host) => OtherNames.Contains(host, StringComparer.Ordinal);

    /// <summary>The host that serves <paramref name="registry"/>'s API: <c>docker.io</c> is served at <see cref="ApiHost"/>.</summary>
    public static string ApiHostOf(string registry) => registry == Name ? ApiHost : registry;
}
