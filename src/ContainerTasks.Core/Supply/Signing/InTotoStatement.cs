using System.Text.Json;
using ContainerTasks.Model;

namespace ContainerTasks.Supply.Signing;

/// <summary>The in-toto statements (v1) a signature is over, and the subject check of a verifier.</summary>
internal static class InTotoStatement
{
    /// <summary>The predicate type cosign 3 signs an image with: the statement says "this digest is signed", nothing more.</summary>
    public const string CosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1";

    /// <summary>The statement type of in-toto v1.</summary>
    public const string StatementType = "https://in-toto.io/Statement/v1";

    /// <summary>What <c>cosign sign</c> signs for an image: its digest as the one subject, the sign predicate type, an empty predicate.</summary>
    public static byte[] CosignSign(Digest image) => Supply.SbomJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("_type", StatementType);
        w.WriteStartArray("subject");
        w.WriteStartObject();
        w.WriteStartObject("digest");
        w.WriteString(image.Algorithm, image.Hex);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("predicateType", CosignSignPredicateType);
        w.WriteStartObject("predicate");
        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary>The statement's <c>predicateType</c>; null when the payload is not an in-toto statement.</summary>
    public static string? PredicateType(ReadOnlySpan<byte> statement)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(statement.ToArray());
            return document.RootElement is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("predicateType", out JsonElement type)
                && type.ValueKind == JsonValueKind.String ? type.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>True when a subject of the statement has <paramref name="image"/> among its digests.</summary>
    public static bool HasSubject(ReadOnlySpan<byte> statement, Digest image)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(statement.ToArray());
            if (document.RootElement is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty("subject", out JsonElement subjects)
                || subjects.ValueKind != JsonValueKind.Array)
            {
                return false;
            }
            return subjects.EnumerateArray().Any(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("digest", out JsonElement digests)
                && digests.ValueKind == JsonValueKind.Object && digests.TryGetProperty(image.Algorithm, out JsonElement hex)
                && hex.ValueKind == JsonValueKind.String && string.Equals(hex.GetString(), image.Hex, StringComparison.OrdinalIgnoreCase));
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
