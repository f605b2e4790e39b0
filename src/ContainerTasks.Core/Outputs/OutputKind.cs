namespace ContainerTasks.Outputs;

/// <summary>Where a built image is written without a registry.</summary>
public enum OutputKind
{
    /// <summary>An OCI image layout folder.</summary>
    OciLayout,
    /// <summary>A tar of an OCI image layout.</summary>
    OciArchive,
    /// <summary>A tar that <c>docker load</c>, <c>podman load</c> and OCI tools all read: an OCI layout plus <c>manifest.json</c>.</summary>
    DockerArchive,
}
