using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ContainerTasks.Supply;

/// <summary>What both SBOM writers share: one JSON layout, and a document name derived from the document itself.</summary>
internal static class SbomJson
{
    // Files, not HTML: '+' in a version stays '+' rather than \u002B. Two-space indentation, '\n' line ends on every OS.
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The document as JSON bytes, ending in a line feed.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            write(writer);
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray().Where(b => b != (byte)'\r').ToArray();
    }

    /// <summary>
    /// Writes the document once with an empty name to hash it, then with the name made from that hash: the name
    /// changes with any listed fact and with nothing else (no random UUID, no clock).
    /// </summary>
    public static byte[] WriteNamedByContent(Func<string, Action<Utf8JsonWriter>> document)
    {
        string hash = Convert.ToHexString(SHA256.HashData(Write(document("")))).ToLowerInvariant();
        return Write(document(hash));
    }

    /// <summary><c>"name": [ { members } ]</c>: a list of one object of strings (a checksum, a purl reference, a hash).</summary>
    public static void WriteArrayOfOne(Utf8JsonWriter w, string name, params (string Name, string Value)[] members)
    {
        w.WriteStartArray(name);
        w.WriteStartObject();
        foreach (var (member, value) in members)
        {
            w.WriteString(member, value);
        }
        w.WriteEndObject();
        w.WriteEndArray();
    }

    /// <summary>An RFC 4122 UUID with version 5 and variant bits set over the first 16 bytes of a SHA-256 (hex).</summary>
    public static string UuidFromHash(string sha256Hex)
    {
        byte[] bytes = Convert.FromHexString(sha256Hex[..32]);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        string hex = Convert.ToHexString(bytes).ToLowerInvariant();
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }
}
