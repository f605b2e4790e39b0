namespace ContainerTasks.Registry.Auth;

/// <summary>Why a registry is being talked to: to read the base image, or to push the result.</summary>
internal enum RegistryRole
{
    /// <summary>Pulling the base image.</summary>
    Pull,
    /// <summary>Pushing the built image.</summary>
    Push,
}
