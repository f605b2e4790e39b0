namespace ContainerTasks.Registry.Auth.Cloud;

/// <summary>
/// Where a credential that is obtained when needed comes from (a cloud identity): asked when the registry first
/// challenges, again a little before the credential's <see cref="RegistryCredential.ExpiresAt"/>, and again once when the
/// registry or its token service refuses it. Calls are serialized by the caller.
/// </summary>
internal interface ICredentialSource
{
    /// <summary>What identity this is, for logs and error messages, never a secret: e.g. <c>Azure workload identity (client 00000000-…) exchanged at myreg.azurecr.io</c>.</summary>
    string Description { get; }

    /// <summary>A new credential, with <see cref="RegistryCredential.ExpiresAt"/> when the cloud says it. Failures are <see cref="ContainerTasksException"/>s (CT3021, CT3022, CT3023).</summary>
    Task<RegistryCredential> ObtainAsync(CancellationToken cancellationToken);
}
