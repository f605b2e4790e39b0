using System.Globalization;

namespace ContainerTasks;

/// <summary>Byte counts for people: decimal units (as <c>docker images</c> shows them), one decimal, the unit scaled to the number.</summary>
internal static class Sizes
{
    private static readonly string[] Units = ["KB", "MB", "GB", "TB"];

    /// <summary><c>512</c> → "512 B", <c>12_345_678</c> → "12.3 MB".</summary>
    public static string Format(long bytes)
    {
        if (bytes < 1000)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        }
        double value = bytes;
        int unit = -1;
        // Stops at 999.95 so that rounding never prints "1000.0 KB".
        while (value >= 999.95 && unit < Units.Length - 1)
        {
            value /= 1000;
            unit++;
        }
        return value.ToString("0.0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }
}
