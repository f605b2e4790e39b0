namespace ContainerTasks.Registry;

/// <summary>
/// Response bodies held in memory (manifests, token answers, error bodies) are read only up to a limit set by
/// what they can be, so a registry that sends gigabytes, or never stops, costs at most the limit.
/// </summary>
internal static class ResponseBody
{
    /// <summary>The largest manifest or index accepted: what the Distribution registry itself accepts.</summary>
    public const int ManifestLimit = 4 * 1024 * 1024;

    /// <summary>Everything else kept in memory: token answers, error bodies, upload answers.</summary>
    public const int SmallLimit = 1024 * 1024;

    /// <summary>
    /// Reads the body into memory, where it can be read again; false when it is longer than <paramref name="limit"/>
    /// (declared or as it arrives): then it is dropped unread and the content is empty.
    /// </summary>
    public static async Task<bool> BufferAsync(HttpResponseMessage response, int limit, CancellationToken cancellationToken)
    {
        HttpContent original = response.Content;
        using var copy = new MemoryStream();
        bool complete = original.Headers.ContentLength is not > 0 || original.Headers.ContentLength <= limit;
        if (complete)
        {
            await using Stream body = await original.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            byte[] chunk = new byte[64 * 1024];
            int read;
            while (complete && (read = await body.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit + 1 - copy.Length)), cancellationToken).ConfigureAwait(false)) > 0)
            {
                copy.Write(chunk, 0, read);
                complete = copy.Length <= limit;
            }
        }
        var buffered = new ByteArrayContent(complete ? copy.ToArray() : []);
        foreach (var header in original.Headers.Where(h => !h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
        {
            buffered.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        response.Content = buffered;
        original.Dispose();
        return complete;
    }

    /// <summary>A size for messages: "4 MiB", "1 MiB".</summary>
    public static string Describe(int limit) => $"{limit / (1024 * 1024)} MiB";
}
