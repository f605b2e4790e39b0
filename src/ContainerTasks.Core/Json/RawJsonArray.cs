using System.Text.Json;

namespace ContainerTasks.Json;

/// <summary>Splits a JSON array into its elements' raw bytes and joins raw elements back, so untouched elements keep their bytes.</summary>
internal static class RawJsonArray
{
    /// <summary>The raw bytes of each element; an empty list for <c>null</c>. Throws CT1003 when not an array.</summary>
    public static List<ReadOnlyMemory<byte>> Split(ReadOnlyMemory<byte> json, string what)
    {
        var elements = new List<ReadOnlyMemory<byte>>();
        try
        {
            var reader = new Utf8JsonReader(json.Span, new JsonReaderOptions { MaxDepth = 256 });
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null)
            {
                return elements;
            }
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw new ContainerTasksException(ErrorCodes.InvalidManifest, $"The {what} is not a JSON array.");
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                int start = (int)reader.TokenStartIndex;
                reader.Skip();
                elements.Add(json[start..(int)reader.BytesConsumed]);
            }
        }
        catch (JsonException e)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidManifest, $"The {what} is not valid JSON: {e.Message}", e);
        }
        return elements;
    }

    /// <summary>Joins raw elements into an array.</summary>
    public static byte[] Join(IEnumerable<ReadOnlyMemory<byte>> elements)
    {
        using var stream = new MemoryStream();
        stream.WriteByte((byte)'[');
        bool first = true;
        foreach (var element in elements)
        {
            if (!first)
            {
                stream.WriteByte((byte)',');
            }
            first = false;
            stream.Write(element.Span);
        }
        stream.WriteByte((byte)']');
        return stream.ToArray();
    }

    /// <summary>Reads a raw JSON string element's value.</summary>
    public static string? ReadString(ReadOnlyMemory<byte> element)
    {
        var reader = new Utf8JsonReader(element.Span);
        reader.Read();
        return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
    }
}
