using System.Text;
using System.Text.Json;

namespace ContainerTasks.Json;

/// <summary>
/// A JSON object whose members are kept as the exact bytes they were read as. Members can be
/// replaced, added or removed; on output, every untouched member is written back byte for byte
/// (original escapes, number spellings and nested whitespace), so editing one field of a base
/// image config never changes another.
/// </summary>
internal sealed class RawJsonObject
{
    private readonly List<Member> _members = new();

    private sealed class Member
    {
        public required byte[] RawName { get; init; }   // the name as written, quotes included
        public required string Name { get; init; }
        public ReadOnlyMemory<byte> RawValue { get; set; }
        public RawJsonObject? Child { get; set; }       // set when the value is being edited as an object
    }

    /// <summary>An empty object.</summary>
    public RawJsonObject()
    {
    }

    /// <summary>Reads an object, keeping each member's raw bytes. Throws CT1003 when it is not a JSON object.</summary>
    public static RawJsonObject Parse(ReadOnlyMemory<byte> json, string what)
    {
        var result = new RawJsonObject();
        try
        {
            var reader = new Utf8JsonReader(json.Span, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ContainerTasksException(ErrorCodes.InvalidManifest, $"The {what} is not a JSON object.");
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                int nameStart = (int)reader.TokenStartIndex;
                string name = reader.GetString()!;
                // TokenStartIndex is the opening quote; ValueSpan is the name as written (escapes kept).
                int nameEnd = nameStart + reader.ValueSpan.Length + 2;
                reader.Read();
                int valueStart = (int)reader.TokenStartIndex;
                reader.Skip();
                int valueEnd = (int)reader.BytesConsumed;
                result._members.Add(new Member
                {
                    RawName = json.Span[nameStart..nameEnd].ToArray(),
                    Name = name,
                    RawValue = json[valueStart..valueEnd],
                });
            }
            // Anything after the object other than white space is an error.
            if (reader.Read())
            {
                throw new ContainerTasksException(ErrorCodes.InvalidManifest, $"The {what} has data after its closing brace.");
            }
        }
        catch (JsonException e)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidManifest, $"The {what} is not valid JSON: {e.Message}", e);
        }
        return result;
    }

    /// <summary>
    /// The first member name that appears again in another letter case (or exactly), or null. Go's JSON reader matches
    /// names case-insensitively and keeps the last, so such an object means one thing to us and another to Go clients.
    /// </summary>
    public string? FindCaseInsensitiveDuplicate()
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        return _members.Select(m => m.Name).FirstOrDefault(name => !seen.Add(name));
    }

    /// <summary>Member names in order.</summary>
    public IEnumerable<string> Names => _members.Select(m => m.Name);

    /// <summary>True when the member exists.</summary>
    public bool Contains(string name) => Find(name) is not null;

    /// <summary>The raw bytes of a member's value, or null when absent.</summary>
    public ReadOnlyMemory<byte>? GetRaw(string name)
    {
        Member? member = Find(name);
        if (member is null)
        {
            return null;
        }
        return member.Child is null ? member.RawValue : member.Child.ToBytes();
    }

    /// <summary>Parses a member's value as a read-only element (null when absent).</summary>
    public JsonElement? Get(string name)
    {
        ReadOnlyMemory<byte>? raw = GetRaw(name);
        if (raw is null)
        {
            return null;
        }
        using var document = JsonDocument.Parse(raw.Value);
        return document.RootElement.Clone();
    }

    /// <summary>
    /// The member's value as an editable object; created (and appended) when absent or null.
    /// Throws CT1003 when the member exists but is not an object.
    /// </summary>
    public RawJsonObject GetOrAddObject(string name, string what)
    {
        Member? member = Find(name);
        if (member is null)
        {
            member = new Member { RawName = EncodeName(name), Name = name, Child = new RawJsonObject() };
            _members.Add(member);
            return member.Child;
        }
        if (member.Child is null)
        {
            bool isNull = member.RawValue.Span.Trim(" \t\r\n"u8).SequenceEqual("null"u8);
            member.Child = isNull ? new RawJsonObject() : Parse(member.RawValue, what);
        }
        return member.Child;
    }

    /// <summary>Sets a member to the given raw JSON value, in place when it exists, else at the end.</summary>
    public void SetRaw(string name, ReadOnlyMemory<byte> rawValue)
    {
        Member? member = Find(name);
        if (member is null)
        {
            _members.Add(new Member { RawName = EncodeName(name), Name = name, RawValue = rawValue });
        }
        else
        {
            member.Child = null;
            member.RawValue = rawValue;
        }
    }

    /// <summary>Removes a member; returns whether it existed.</summary>
    public bool Remove(string name)
    {
        Member? member = Find(name);
        return member is not null && _members.Remove(member);
    }

    /// <summary>The object's bytes: untouched members exactly as read, edited members compact.</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return stream.ToArray();
    }

    private void WriteTo(MemoryStream stream)
    {
        stream.WriteByte((byte)'{');
        for (int i = 0; i < _members.Count; i++)
        {
            if (i > 0)
            {
                stream.WriteByte((byte)',');
            }
            Member member = _members[i];
            stream.Write(member.RawName);
            stream.WriteByte((byte)':');
            if (member.Child is not null)
            {
                member.Child.WriteTo(stream);
            }
            else
            {
                stream.Write(member.RawValue.Span);
            }
        }
        stream.WriteByte((byte)'}');
    }

    // Duplicate names: the last one wins when reading JSON, so edit the last one.
    private Member? Find(string name) => _members.FindLast(m => m.Name == name);

    private static byte[] EncodeName(string name) => JsonFormat.String(name);

    public override string ToString() => Encoding.UTF8.GetString(ToBytes());
}
