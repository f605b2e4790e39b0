using System.Text.Json;

namespace ContainerTasks.Engines;

/// <summary>
/// The answer to <c>POST /images/load</c>: a stream of JSON messages (<c>{"stream":"Loaded image: …"}</c>), one of which
/// may be an error (<c>{"errorDetail":{"message":…},"error":…}</c>) although the status was 200; or, for a failure found
/// before the answer began, an error status with <c>{"message":…}</c>.
/// </summary>
internal static class LoadAnswer
{
    /// <summary>
    /// The engine's "Loaded image: …" lines; CT4108 with the engine's own message (control characters removed) when it
    /// refused the image, and when it answered without saying it loaded one (what answered is then no engine, or one
    /// that lost the image).
    /// </summary>
    public static IReadOnlyList<string> Read(int status, string body, string engine)
    {
        List<JsonElement> messages = Messages(body);
        if (status is < 200 or > 299)
        {
            string said = messages.Select(m => Text(m, "message")).FirstOrDefault(t => t.Length > 0) ?? body;
            throw Refused(engine, $"HTTP {status}: {Registry.RegistryText.Clean(said)}");
        }
        var loaded = new List<string>();
        foreach (JsonElement message in messages)
        {
            string error = message.TryGetProperty("errorDetail", out JsonElement detail) && detail.ValueKind == JsonValueKind.Object
                ? Text(detail, "message") : "";
            error = error.Length > 0 ? error : Text(message, "error");
            if (error.Length > 0)
            {
                throw Refused(engine, Registry.RegistryText.Clean(error));
            }
            if (Registry.RegistryText.Clean(Text(message, "stream")) is { Length: > 0 } line)
            {
                loaded.Add(line);
            }
        }
        return loaded.Any(line => line.StartsWith("Loaded image", StringComparison.Ordinal))
            ? loaded
            : throw Refused(engine, $"it answered HTTP {status} without saying it loaded the image (its answer: '{Registry.RegistryText.Clean(Shorten(body))}')");
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    private static ContainerTasksException Refused(string engine, string said)
        => new(ErrorCodes.DaemonLoadFailed, $"{engine} refused the image: {said}. Check the engine's own log and free space, or choose another destination (ContainerArchiveOutputPath, ContainerRegistry).");

    // Each JSON object of the answer, one a line as both engines write them; a line that is not one is passed over.
    private static List<JsonElement> Messages(string body)
    {
        var messages = new List<JsonElement>();
        foreach (string line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    messages.Add(document.RootElement.Clone());
                }
            }
            catch (JsonException)
            {
            }
        }
        return messages;
    }

    private static string Text(JsonElement element, string name)
        => element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
