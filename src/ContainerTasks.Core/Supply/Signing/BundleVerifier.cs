using ContainerTasks.Model;

namespace ContainerTasks.Supply.Signing;

/// <summary>What checking one bundle found: verified, or why not (in words for a user).</summary>
/// <param name="Verified">True when the signature verifies with the key and signs the image.</param>
/// <param name="Reason">Why it does not verify; empty when it does.</param>
internal sealed record BundleCheck(bool Verified, string Reason)
{
    /// <summary>A bundle that verified.</summary>
    public static readonly BundleCheck Valid = new(true, "");

    /// <summary>A bundle that did not, and why (the registry's words in it without control characters: one reason, one line).</summary>
    public static BundleCheck Invalid(string reason) => new(false, new string(reason.Select(c => char.IsControl(c) ? ' ' : c).ToArray()));
}

/// <summary>
/// Checks Sigstore bundles against a public key and an image digest, offline: a message signature must be over that
/// digest and verify; a DSSE envelope must verify over its PAE and its in-toto statement must name the digest as a
/// subject. The key hint is not compared with the key (it is unauthenticated; verifiers look a key up by it at most), but
/// a DSSE keyid and the hint, both given, must be the same (sigstore/protobuf-specs, <c>Bundle.verification_material</c>).
/// </summary>
/// <param name="key">The public key.</param>
/// <param name="predicateType">
/// The statement's predicate type a DSSE bundle must have (<see cref="InTotoStatement.CosignSignPredicateType"/> for an
/// image's signature, as cosign requires: an attestation about the image is not its signature); null for any. A message
/// signature, which cosign does not take as an image's signature, passes only with null.
/// </param>
internal sealed class BundleVerifier(VerificationKey key, string? predicateType = null)
{
    /// <summary>Checks <paramref name="bundle"/> for the image <paramref name="image"/>.</summary>
    public BundleCheck Check(SigstoreBundle bundle, Digest image) => bundle.Content switch
    {
        MessageSignature when predicateType is not null
            => BundleCheck.Invalid("it is a message signature, which signs a file's bytes, not an image (cosign signs images with DSSE)"),
        MessageSignature m when image.Algorithm != "sha256" || !Convert.FromHexString(image.Hex).AsSpan().SequenceEqual(m.Sha256)
            => BundleCheck.Invalid($"its message signature is over {Describe(m.Sha256)}, not {image}"),
        MessageSignature m => key.VerifiesHash(m.Sha256, m.Signature) ? BundleCheck.Valid
            : BundleCheck.Invalid("its message signature does not verify with this key"),
        DsseEnvelope d when d.KeyId.Length > 0 && bundle.KeyHint.Length > 0 && d.KeyId != bundle.KeyHint
            => BundleCheck.Invalid("its DSSE keyid is not its publicKey hint (the bundle spec has them the same)"),
        DsseEnvelope d when d.PayloadType != Dsse.InTotoPayloadType
            => BundleCheck.Invalid($"its DSSE payload type is '{d.PayloadType}', not {Dsse.InTotoPayloadType}"),
        DsseEnvelope d when !key.VerifiesData(Dsse.Pae(d.PayloadType, d.Payload), d.Signature)
            => BundleCheck.Invalid("its DSSE signature does not verify with this key"),
        DsseEnvelope d when !InTotoStatement.HasSubject(d.Payload, image)
            => BundleCheck.Invalid($"its in-toto statement does not name {image} as a subject"),
        DsseEnvelope d when predicateType is not null && InTotoStatement.PredicateType(d.Payload) != predicateType
            => BundleCheck.Invalid($"it is an attestation ({InTotoStatement.PredicateType(d.Payload) ?? "no predicate type"}), not a signature of the image ({predicateType})"),
        DsseEnvelope => BundleCheck.Valid,
        _ => BundleCheck.Invalid("it holds no signature this tool reads"),
    };

    /// <summary>Checks the bundle JSON <paramref name="json"/>; a bundle that cannot be read is not verified (CT5011's reason).</summary>
    public BundleCheck Check(ReadOnlySpan<byte> json, Digest image)
    {
        try
        {
            return Check(SigstoreBundle.Parse(json), image);
        }
        catch (ContainerTasksException e) when (e.Code == ErrorCodes.InvalidSignatureBundle)
        {
            return BundleCheck.Invalid($"{e.Code}: {e.Message}");
        }
    }

    /// <summary>Checks <paramref name="bundle"/>; CT5012 with the reason when it does not verify.</summary>
    public void Verify(SigstoreBundle bundle, Digest image)
    {
        BundleCheck check = Check(bundle, image);
        if (!check.Verified)
        {
            throw new ContainerTasksException(ErrorCodes.SignatureNotVerified, $"The signature of {image} does not verify: {check.Reason}.");
        }
    }

    private static string Describe(byte[] sha256) => sha256.Length == 32 ? $"sha256:{Convert.ToHexString(sha256).ToLowerInvariant()}" : "a digest of another length";
}
