using System.Globalization;
using ContainerTasks.Model;

namespace ContainerTasks.Registry;

/// <summary>
/// The progress lines of one blob transfer a user may wait for (issue #13): none for a blob under
/// <see cref="MinimumSize"/> (of unknown size: until that much has moved) or a transfer that ends within
/// <see cref="FirstDelay"/>; then at most one each <see cref="Interval"/>, with the bytes done, the total and percent
/// when known, and the rate since the last line, e.g. <c>Uploading layer sha256:1a2b3c4d5e6f… to ghcr.io/me/app: 48.2 MB of 157.1 MB (31%), 12.3 MB/s</c>. Lines are
/// written as bytes move, never by a timer, so a transfer that has ended writes nothing more.
/// </summary>
internal sealed class TransferProgress
{
    /// <summary>Blobs smaller than this get no progress lines: they take seconds at most.</summary>
    public const long MinimumSize = 10_000_000;

    /// <summary>How long a transfer runs before its first line: a fast one prints nothing extra.</summary>
    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(2);

    /// <summary>The least time between two lines of one transfer.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly string _what;
    private readonly long? _total;
    private readonly Action<string> _show;
    private readonly TimeProvider _clock;
    private readonly object _gate = new();
    private long _start;
    private long _done;
    private long _lastLine;
    private long _bytesAtLastLine;
    private bool _shown;

    /// <param name="what">What moves where, never a secret: <c>Uploading layer sha256:1a2b3c4d5e6f… to ghcr.io/me/app</c>.</param>
    /// <param name="total">The bytes to move; null when not known (a layer sent while it is compressed).</param>
    /// <param name="show">Where lines go (normal verbosity).</param>
    /// <param name="clock">The clock; the system's unless a test gives its own.</param>
    public TransferProgress(string what, long? total, Action<string> show, TimeProvider? clock = null)
    {
        _what = what;
        _total = total;
        _show = show;
        _clock = clock ?? TimeProvider.System;
        _start = _lastLine = _clock.GetTimestamp();
    }

    /// <summary>A reporter, or null when nothing would be shown: no sink, or a known size under <see cref="MinimumSize"/>.</summary>
    public static TransferProgress? Start(string what, long? total, Action<string>? show, TimeProvider? clock = null)
        => show is null || total < MinimumSize ? null : new TransferProgress(what, total, show, clock);

    /// <summary><c>sha256:1a2b3c4d5e6f…</c>: enough of a digest to tell blobs apart in a log.</summary>
    public static string Short(Digest digest) => digest.Hex is { Length: > 12 } hex ? $"{digest.Algorithm}:{hex[..12]}…" : digest.ToString();

    /// <summary>"layer" for a layer's media type, else "blob".</summary>
    public static string Noun(Descriptor blob)
        => blob.MediaType.Contains(".layer.", StringComparison.Ordinal) || blob.MediaType.Contains(".rootfs.", StringComparison.Ordinal) ? "layer" : "blob";

    /// <summary>The bytes moved so far (since the last <see cref="Restart"/>).</summary>
    public long BytesDone
    {
        get
        {
            lock (_gate)
            {
                return _done;
            }
        }
    }

    /// <summary>
    /// Counts a transfer from the start again (an upload restarted, a download retried), so the next line waits for
    /// <see cref="FirstDelay"/> again and never counts a byte twice.
    /// </summary>
    public void Restart()
    {
        lock (_gate)
        {
            _start = _lastLine = _clock.GetTimestamp();
            _done = _bytesAtLastLine = 0;
            _shown = false;
        }
    }

    /// <summary>Counts <paramref name="bytes"/> more, and shows a line when one is due.</summary>
    public void Advance(long bytes)
    {
        if (bytes <= 0)
        {
            return;
        }
        string line;
        lock (_gate)
        {
            _done += bytes;
            long now = _clock.GetTimestamp();
            TimeSpan sinceLast = _clock.GetElapsedTime(_lastLine, now);
            // Of a transfer whose size is unknown, the first MinimumSize bytes count as small.
            if (_clock.GetElapsedTime(_start, now) < FirstDelay || (_shown && sinceLast < Interval) || (_total is null && _done < MinimumSize))
            {
                return;
            }
            line = Line(_what, _done, _total, _done - _bytesAtLastLine, sinceLast);
            (_lastLine, _bytesAtLastLine, _shown) = (now, _done, true);
        }
        // Outside the lock: a slow log must not hold up the other thread of a transfer.
        _show(line);
    }

    /// <summary>
    /// One line: <c>WHAT: 48.2 MB of 157.1 MB (31%), 12.3 MB/s</c>, or without a total <c>WHAT: 48.2 MB, 12.3 MB/s</c>;
    /// the rate is that of the <paramref name="recentBytes"/> moved in <paramref name="recent"/>.
    /// </summary>
    public static string Line(string what, long done, long? total, long recentBytes, TimeSpan recent)
    {
        string rate = recent > TimeSpan.Zero ? $"{Sizes.Format((long)(recentBytes / recent.TotalSeconds))}/s" : "";
        string amount = total is long t and > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{Sizes.Format(done)} of {Sizes.Format(t)} ({Math.Clamp(done * 100 / t, 0, 100)}%)")
            : Sizes.Format(done);
        return rate.Length == 0 ? $"{what}: {amount}" : $"{what}: {amount}, {rate}";
    }
}
