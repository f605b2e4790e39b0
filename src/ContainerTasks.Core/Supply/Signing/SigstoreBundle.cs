using System.Text.Json;
using ContainerTasks.Supply;

namespace ContainerTasks.Supply.Signing;

/// <summary>The signature of a Sigstore bundle: over a message digest, or a DSSE envelope.</summary>
internal abstract record BundleContent;

/// <summary>A signature over an artifact's bytes, with the artifact's SHA-256 digest (<c>messageSignature</c>).</summary>
/// <param name="Sha256">The digest of the signed bytes.</param>
/// <param name="Signature">The ECDSA signature, DER.</param>
internal sealed record MessageSignature(byte[] Sha256, byte[] Signature) : BundleContent;

/// <summary>A DSSE envelope with one signature (<c>dsseEnvelope</c>).</summary>
/// <param name="Payload">The signed payload (an in-toto statement).</param>
/// <param name="PayloadType">Its type, signed with it.</param>
/// <param name="Signature">The ECDSA signature over the PAE, DER.</param>
/// <param name="KeyId">The envelope's unauthenticated key id (the key hint); empty when none.</param>
internal sealed record DsseEnvelope(byte[] Payload, string PayloadType, byte[] Signature, string KeyId) : BundleContent;

/// <summary>
/// A Sigstore bundle v0.3 (sigstore/protobuf-specs <c>dev.sigstore.bundle.v1.Bundle</c>, in its protobuf JSON mapping:
/// camelCase names, bytes in standard base64) signed with a key: the key's hint as verification material, no
/// transparency log entry and no timestamp (an offline signature). Written with a fixed member order, so the same
/// signature is the same bytes.
/// </summary>
/// <param name="KeyHint">The <c>verificationMaterial.publicKey.hint</c>.</param>
/// <param name="Content">The signature.</param>
internal sealed record SigstoreBundle(string KeyHint, BundleContent Content)
{
    /// <summary>The media type of a v0.3 bundle, also the artifact type and blob media type of its referrer.</summary>
    public const string MediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";

    /// <summary>The older spelling of the v0.3 media type, still read.</summary>
    public const string LegacyMediaType = "application/vnd.dev.sigstore.bundle+json;version=0.3";

    /// <summary>The bundle as JSON.</summary>
    public byte[] ToJson() => SbomJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("mediaType", MediaType);
        w.WriteStartObject("verificationMaterial");
        w.WriteStartObject("publicKey");
        w.WriteString("hint", KeyHint);
        w.WriteEndObject();
        w.WriteStartArray("tlogEntries");
        w.WriteEndArray();
        w.WriteEndObject();
        WriteContent(w);
        w.WriteEndObject();
    });

    /// <summary>Reads a bundle signed with a public key; CT5011 when it is not one of that shape.</summary>
    public static SigstoreBundle Parse(ReadOnlySpan<byte> json) => BundleReader.Read(json);

    private void WriteContent(Utf8JsonWriter w)
    {
        switch (Content)
        {
            case MessageSignature m:
                w.WriteStartObject("messageSignature");
                w.WriteStartObject("messageDigest");
                w.WriteString("algorithm", "SHA2_256");
                w.WriteBase64String("digest", m.Sha256);
                w.WriteEndObject();
                w.WriteBase64String("signature", m.Signature);
                w.WriteEndObject();
                break;
            case DsseEnvelope d:
                w.WriteStartObject("dsseEnvelope");
                w.WriteBase64String("payload", d.Payload);
                w.WriteString("payloadType", d.PayloadType);
                w.WriteStartArray("signatures");
                w.WriteStartObject();
                w.WriteBase64String("sig", d.Signature);
                w.WriteString("keyid", d.KeyId);
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                break;
        }
    }
}
