namespace ContainerTasks.Building;

/// <summary>The manifest format of a built image.</summary>
public enum ImageFormat
{
    /// <summary>The base image's format (OCI for scratch).</summary>
    SameAsBase,
    /// <summary>OCI image manifest and media types.</summary>
    Oci,
    /// <summary>Docker v2 schema 2 manifest and media types.</summary>
    Docker,
}
