using System.Text.Encodings.Web;
using System.Text.Json;

namespace ContainerTasks.Json;

/// <summary>How this project writes JSON: compact, and with no HTML-escaping of <c>+ &amp; &lt; &gt; '</c>.</summary>
internal static class JsonFormat
{
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    public static readonly JsonDocumentOptions ReaderOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 256,
    };

    /// <summary>Writes a JSON value with <paramref name="write"/> and returns its UTF-8 bytes.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The JSON string literal for <paramref name="value"/>.</summary>
    public static byte[] String(string value) => Write(w => w.WriteStringValue(value));

    /// <summary>A JSON array of strings.</summary>
    public static byte[] StringArray(IEnumerable<string> values) => Write(w =>
    {
        w.WriteStartArray();
        foreach (string value in values)
        {
            w.WriteStringValue(value);
        }
        w.WriteEndArray();
    });

    /// <summary>Parses <paramref name="json"/>, turning a syntax error into CT1003 that names <paramref name="what"/>.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> json, string what)
    {
        try
        {
            return JsonDocument.Parse(json, ReaderOptions);
        }
        catch (JsonException e)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidManifest, $"The {what} is not valid JSON: {e.Message}", e);
        }
    }
}
