using System.Text.Json;

namespace ContainerTasks.Model;

/// <summary>One entry of a config's <c>history</c>: how a layer (or a config-only step) was made.</summary>
internal sealed record HistoryEntry(string CreatedBy, DateTimeOffset Created)
{
    /// <summary>A free-form comment.</summary>
    public string? Comment { get; init; }

    /// <summary>True when the step added no layer.</summary>
    public bool EmptyLayer { get; init; }

    internal void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("created", Timestamps.Format(Created));
        writer.WriteString("created_by", CreatedBy);
        if (Comment is not null)
        {
            writer.WriteString("comment", Comment);
        }
        if (EmptyLayer)
        {
            writer.WriteBoolean("empty_layer", true);
        }
        writer.WriteEndObject();
    }
}
