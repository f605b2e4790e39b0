using System.Text.Json;

namespace ContainerTasks.Supply.Signing;

/// <summary>Reads the JSON of a key-signed Sigstore bundle v0.3 (<see cref="SigstoreBundle.Parse"/>); CT5011 for any other shape.</summary>
internal static class BundleReader
{
    /// <summary>The bundle of <paramref name="json"/>.</summary>
    public static SigstoreBundle Read(ReadOnlySpan<byte> json)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json.ToArray());
            JsonElement root = document.RootElement;
            string mediaType = Text(root, "mediaType");
            if (mediaType is not (SigstoreBundle.MediaType or SigstoreBundle.LegacyMediaType))
            {
                throw Invalid($"its mediaType is '{mediaType}', not {SigstoreBundle.MediaType}");
            }
            string hint = root.TryGetProperty("verificationMaterial", out JsonElement material) && material.ValueKind == JsonValueKind.Object
                && material.TryGetProperty("publicKey", out JsonElement key) && key.ValueKind == JsonValueKind.Object
                ? (key.TryGetProperty("hint", out JsonElement h) && h.ValueKind == JsonValueKind.String ? h.GetString()! : "")
                : throw Invalid("its verificationMaterial has no publicKey (a bundle signed with a certificate is not read here)");
            return new SigstoreBundle(hint, Content(root));
        }
        catch (JsonException)
        {
            throw Invalid("it is not valid JSON");
        }
        catch (FormatException)
        {
            throw Invalid("a field that holds bytes is not base64");
        }
        catch (InvalidOperationException)
        {
            throw Invalid("a field is of the wrong JSON type");
        }
    }

    private static BundleContent Content(JsonElement root)
    {
        if (root.TryGetProperty("messageSignature", out JsonElement message))
        {
            JsonElement digest = Member(message, "messageDigest");
            string algorithm = Text(digest, "algorithm");
            return algorithm == "SHA2_256"
                ? new MessageSignature(Member(digest, "digest").GetBytesFromBase64(), Member(message, "signature").GetBytesFromBase64())
                : throw Invalid($"its message digest is {algorithm}, not SHA2_256");
        }
        if (root.TryGetProperty("dsseEnvelope", out JsonElement envelope))
        {
            JsonElement signatures = Member(envelope, "signatures");
            if (signatures.ValueKind != JsonValueKind.Array || signatures.GetArrayLength() != 1)
            {
                throw Invalid("its DSSE envelope does not have exactly one signature");
            }
            JsonElement signature = signatures[0];
            string keyId = signature.TryGetProperty("keyid", out JsonElement id) && id.ValueKind == JsonValueKind.String ? id.GetString()! : "";
            return new DsseEnvelope(Member(envelope, "payload").GetBytesFromBase64(), Text(envelope, "payloadType"),
                Member(signature, "sig").GetBytesFromBase64(), keyId);
        }
        throw Invalid("it has neither a messageSignature nor a dsseEnvelope");
    }

    private static JsonElement Member(JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) ? value : throw Invalid($"'{name}' is missing");

    private static string Text(JsonElement element, string name)
        => Member(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString()! : throw Invalid($"'{name}' is not a string");

    private static ContainerTasksException Invalid(string why)
        => new(ErrorCodes.InvalidSignatureBundle, $"The signature bundle is not a Sigstore bundle v0.3 signed with a key: {why}.");
}
