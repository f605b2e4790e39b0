using System.Text.Json;

namespace ContainerTasks.Json;

/// <summary>
/// Optional members of manifests, indexes and descriptors, read with their JSON type checked: a member of the wrong type
/// (<c>"urls":[1]</c>, <c>"layers":{}</c>) is CT1003 naming it — never an exception without a code, and never read as
/// absent, which would turn a damaged manifest into an image without layers.
/// </summary>
internal static class JsonMembers
{
    /// <summary>The member <paramref name="name"/> when it is an array; null when absent or null.</summary>
    public static JsonElement? Array(JsonElement owner, string name, string what) => Of(owner, name, what, JsonValueKind.Array, "an array");

    /// <summary>The member <paramref name="name"/> when it is an object; null when absent or null.</summary>
    public static JsonElement? Object(JsonElement owner, string name, string what) => Of(owner, name, what, JsonValueKind.Object, "an object");

    /// <summary>The member <paramref name="name"/> when it is a string; null when absent or null.</summary>
    public static string? String(JsonElement owner, string name, string what) => Of(owner, name, what, JsonValueKind.String, "a string")?.GetString();

    /// <summary>The member <paramref name="name"/> as a list of strings; null when absent or null.</summary>
    public static List<string>? Strings(JsonElement owner, string name, string what)
    {
        if (Array(owner, name, what) is not { } array)
        {
            return null;
        }
        return array.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.String
            ? item.GetString()!
            : throw WrongType(what, name, "a list of strings")).ToList();
    }

    /// <summary>A CT1003 saying that <paramref name="name"/> in the <paramref name="what"/> is not <paramref name="expected"/>.</summary>
    public static ContainerTasksException WrongType(string what, string name, string expected)
        => new(ErrorCodes.InvalidManifest, $"The {what} is damaged: its '{name}' is not {expected}.");

    private static JsonElement? Of(JsonElement owner, string name, string what, JsonValueKind kind, string expected)
    {
        if (!owner.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == kind ? value : throw WrongType(what, name, expected);
    }
}
