namespace ContainerTasks.Supply;

/// <summary>The media types (and OCI artifact types) of the SBOM documents, as trivy, syft and ORAS look for them.</summary>
internal static class SbomMediaTypes
{
    /// <summary>SPDX JSON.</summary>
    public const string Spdx = "application/spdx+json";

    /// <summary>CycloneDX JSON.</summary>
    public const string CycloneDx = "application/vnd.cyclonedx+json";
}
