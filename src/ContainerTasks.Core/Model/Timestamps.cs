namespace ContainerTasks.Model;

/// <summary>Timestamps as this project writes them: RFC 3339, UTC, whole seconds (<c>1970-01-01T00:00:00Z</c>).</summary>
public static class Timestamps
{
    /// <summary>The time used when <c>SOURCE_DATE_EPOCH</c> is not set: the Unix epoch, so output never depends on the clock.</summary>
    public static DateTimeOffset Default { get; } = DateTimeOffset.UnixEpoch;

    /// <summary>Formats <paramref name="time"/> in UTC with whole seconds.</summary>
    public static string Format(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads <c>SOURCE_DATE_EPOCH</c> (seconds since the epoch); null when empty. A malformed value is CT1009.
    /// </summary>
    public static DateTimeOffset? FromSourceDateEpoch(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (!long.TryParse(value.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long seconds)
            || seconds > 253402300799)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidConfigValue,
                $"SOURCE_DATE_EPOCH='{value}' is not a number of seconds since 1970-01-01. Set it to e.g. $(git log -1 --format=%ct), or unset it.");
        }
        return DateTimeOffset.FromUnixTimeSeconds(seconds);
    }
}
