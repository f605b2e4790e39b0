namespace ContainerTasks.Registry.Auth.Cloud.Azure;

/// <summary>Credentials for a registry of this cloud from the build's identity (being built: see issue 14).</summary>
internal static class AcrCredentialSource
{
    /// <summary>The source for <paramref name="host"/>.</summary>
    public static ICredentialSource Create(CloudRegistryHost host, CloudContext context)
        => throw new ContainerTasksException(ErrorCodes.CloudIdentityNotFound, $"Credentials from the cloud identity are not available yet for {host.Host}.");
}
