using ContainerTasks.Model;
using ContainerTasks.Registry.Referrers;

namespace ContainerTasks.Pipeline;

/// <summary>What a document is about, and which file it is written to next to the image outputs.</summary>
public static class ArtifactKinds
{
    /// <summary>An SBOM of one platform image.</summary>
    public const string Sbom = "sbom";

    /// <summary>The SLSA provenance of the whole image (the index of a multi-platform one).</summary>
    public const string Provenance = "provenance";

    /// <summary>A Sigstore bundle signing an image (or, with a statement, attesting it).</summary>
    public const string Signature = "signature";

    /// <summary>"SBOM", "2 SBOMs": how messages name <paramref name="count"/> documents of <paramref name="kind"/>.</summary>
    internal static string Label(string kind, int count)
    {
        string name = kind == Sbom ? "SBOM" : kind;
        if (kind == Provenance)
        {
            return count == 1 ? "provenance" : $"{count} provenances";
        }
        if (kind == Signature)
        {
            return count == 1 ? "signature" : $"{count} signatures";
        }
        return count == 1 ? name : $"{count} {name}s";
    }
}

/// <summary>A document about one image of the build (an SBOM), to write next to the outputs and to attach where the destination can carry it.</summary>
/// <param name="Kind">One of <see cref="ArtifactKinds"/>.</param>
/// <param name="FileName">Its file name next to the image outputs (<c>sbom.spdx.json</c>, <c>sbom.linux-arm64.spdx.json</c>).</param>
/// <param name="RuntimeIdentifier">The platform it is about; null for the whole image.</param>
/// <param name="Subject">The image it is attached to.</param>
/// <param name="Content">What is attached.</param>
internal sealed record ImageArtifact(string Kind, string FileName, string? RuntimeIdentifier, Descriptor Subject, ReferrerArtifact Content)
{
    /// <summary>The manifest that attaches it to <see cref="Subject"/>, made once.</summary>
    public ArtifactManifest Manifest { get; } = ArtifactManifest.For(Content, Subject);
}

/// <summary>A document the build made, and where it went.</summary>
/// <param name="Kind">One of <see cref="ArtifactKinds"/>.</param>
/// <param name="FileName">Its file name next to the image outputs; null when it is not written there (a signature differs each time it is made).</param>
/// <param name="RuntimeIdentifier">The platform it is about; null for the whole image.</param>
/// <param name="Subject">The manifest digest of the image it is about.</param>
/// <param name="ArtifactType">Its artifact type (<c>application/spdx+json</c>).</param>
/// <param name="Content">Its bytes.</param>
public sealed record ArtifactResult(string Kind, string? FileName, string? RuntimeIdentifier, Digest Subject, string ArtifactType, byte[] Content)
{
    /// <summary>The digest of <see cref="Content"/>.</summary>
    public Digest Digest => Digest.Sha256(Content);

    /// <summary>The artifact manifest that attaches it to the image; null when the destination does not carry it.</summary>
    public Digest? Manifest { get; init; }

    /// <summary>True when this build attached it; false when it was attached already (or not attached).</summary>
    public bool Changed { get; init; }
}

/// <summary>An image to sign: with <see cref="Statement"/>, an attestation of that in-toto statement (the provenance); without, the image's signature.</summary>
/// <param name="Subject">The image signed.</param>
/// <param name="RuntimeIdentifier">Its platform; null for the whole image.</param>
/// <param name="Statement">The in-toto statement to sign, naming <paramref name="Subject"/>; null to sign the image itself as <c>cosign sign</c> does.</param>
internal sealed record SignatureRequest(Descriptor Subject, string? RuntimeIdentifier, byte[]? Statement);
