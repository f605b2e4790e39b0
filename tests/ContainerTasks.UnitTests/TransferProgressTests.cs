using ContainerTasks.Model;
using ContainerTasks.Registry;

namespace ContainerTasks.Tests;

/// <summary>Progress lines of long transfers (issue #13), on a clock the test moves: no test sleeps.</summary>
public sealed class TransferProgressTests
{
    private const string What = "Uploading layer sha256:1a2b3c4d5e6f… to localhost:5000/app";

    private readonly FakeClock _clock = new();
    private readonly List<(TimeSpan At, string Line)> _lines = [];

    private TransferProgress Start(long? total) => TransferProgress.Start(What, total, line => _lines.Add((_clock.Now, line)), _clock)!;

    // Reads of `chunk` bytes every `every`, for `duration` or until `total` bytes have moved.
    private void Move(TransferProgress progress, long chunk, TimeSpan every, TimeSpan duration, long total = long.MaxValue)
    {
        for (TimeSpan t = TimeSpan.Zero; t < duration && progress.BytesDone < total; t += every)
        {
            _clock.Advance(every);
            progress.Advance(Math.Min(chunk, total - progress.BytesDone));
        }
    }

    [Fact]
    public void A_fast_transfer_prints_nothing()
    {
        TransferProgress progress = Start(50_000_000);
        Move(progress, 1_000_000, TimeSpan.FromMilliseconds(30), TimeSpan.FromSeconds(10), total: 50_000_000);
        Assert.Equal(50_000_000, progress.BytesDone);
        Assert.Empty(_lines);
    }

    [Fact]
    public void The_first_line_comes_only_after_the_delay()
    {
        TransferProgress progress = Start(100_000_000);
        Move(progress, 100_000, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1.85));
        Assert.Empty(_lines);
        Move(progress, 100_000, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(0.1));
        (TimeSpan at, string line) = Assert.Single(_lines);
        Assert.Equal(TransferProgress.FirstDelay, at);
        Assert.Equal($"{What}: 2.0 MB of 100.0 MB (2%), 1.0 MB/s", line);
    }

    [Fact]
    public void A_long_transfer_prints_at_most_one_line_per_interval_with_rising_percent()
    {
        // 200 MB at 4 MB/s in 64 KB reads: 50 s.
        TransferProgress progress = Start(200_000_000);
        Move(progress, 64_000, TimeSpan.FromMilliseconds(16), TimeSpan.FromMinutes(2), total: 200_000_000);
        Assert.Equal(200_000_000, progress.BytesDone);
        // At 2 s, then every 5 s until 50 s: 2, 7, …, 47.
        Assert.Equal(10, _lines.Count);
        Assert.All(_lines.Zip(_lines.Skip(1)), pair => Assert.True(pair.Second.At - pair.First.At >= TransferProgress.Interval, $"{pair.First} then {pair.Second}"));
        int[] percents = _lines.Select(l => int.Parse(System.Text.RegularExpressions.Regex.Match(l.Line, @"\((\d+)%\)").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(percents.Order(), percents);
        Assert.Equal(percents.Length, percents.Distinct().Count());
        Assert.All(_lines, l => Assert.EndsWith(", 4.0 MB/s", l.Line, StringComparison.Ordinal));
    }

    [Fact]
    public void A_line_gives_bytes_total_percent_and_rate_in_decimal_units()
    {
        Assert.Equal($"{What}: 48.8 MB of 157.1 MB (31%), 12.3 MB/s", TransferProgress.Line(What, 48_800_000, 157_100_000, 61_500_000, TimeSpan.FromSeconds(5)));
        Assert.Equal($"{What}: 1.2 GB of 1.2 GB (100%), 512 B/s", TransferProgress.Line(What, 1_234_000_000, 1_234_000_000, 512, TimeSpan.FromSeconds(1)));
        Assert.Equal($"{What}: 0 B of 20.0 MB (0%)", TransferProgress.Line(What, 0, 20_000_000, 0, TimeSpan.Zero));
    }

    [Fact]
    public void Of_an_unknown_total_a_line_counts_bytes_and_rate_only_once_the_minimum_size_has_moved()
    {
        TransferProgress progress = Start(null);
        // 1 MB/s: past the first delay, but under the minimum size for 10 s.
        Move(progress, 100_000, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(9.85));
        Assert.Empty(_lines);
        Move(progress, 100_000, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(0.1));
        Assert.Equal($"{What}: 10.0 MB, 1.0 MB/s", Assert.Single(_lines).Line);
        Assert.DoesNotContain("%", _lines[0].Line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_small_blob_or_a_missing_sink_gets_no_reporter()
    {
        Assert.Null(TransferProgress.Start(What, TransferProgress.MinimumSize - 1, _ => { }));
        Assert.Null(TransferProgress.Start(What, 100_000_000, null));
        Assert.NotNull(TransferProgress.Start(What, TransferProgress.MinimumSize, _ => { }));
    }

    [Fact]
    public void A_restart_counts_from_zero_and_waits_for_the_first_delay_again()
    {
        TransferProgress progress = Start(100_000_000);
        Move(progress, 400_000, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(3));
        Assert.Single(_lines);
        progress.Restart();
        Assert.Equal(0, progress.BytesDone);
        Move(progress, 400_000, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1.9));
        Assert.Single(_lines);
        Move(progress, 400_000, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(0.2));
        Assert.Equal(2, _lines.Count);
        Assert.StartsWith($"{What}: 8.0 MB of 100.0 MB (8%)", _lines[1].Line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_progress_stream_counts_what_is_read_and_passes_seeks_through()
    {
        byte[] data = new byte[30_000_000];
        TransferProgress progress = Start(data.Length);
        await using (Stream stream = ProgressStream.Track(new MemoryStream(data), progress))
        {
            Assert.True(stream.CanSeek);
            Assert.Equal(data.Length, stream.Length);
            byte[] buffer = new byte[1_000_000];
            for (int i = 0; i < 15; i++)
            {
                _clock.Advance(TimeSpan.FromMilliseconds(200));
                Assert.Equal(buffer.Length, await stream.ReadAsync(buffer));
            }
            Assert.Equal(15_000_000, stream.Position);
            Assert.StartsWith($"{What}: 10.0 MB of 30.0 MB (33%)", Assert.Single(_lines).Line, StringComparison.Ordinal);
        }
        // A new attempt counts from the start.
        using Stream again = ProgressStream.Track(new MemoryStream(data), progress);
        Assert.Equal(0, progress.BytesDone);
        Assert.Equal(1_000, again.Read(new byte[1_000], 0, 1_000));
        Assert.Equal(1_000, progress.BytesDone);
        using Stream plain = new MemoryStream();
        Assert.Same(plain, ProgressStream.Track(plain, null));
    }

    [Fact]
    public void A_chunk_sent_again_is_not_counted_again_so_the_count_never_passes_the_size()
    {
        var progress = new TransferProgress(What, 3_000, line => _lines.Add((_clock.Now, line)), _clock);
        using Stream source = ProgressStream.Track(new MemoryStream(new byte[3_000]), progress);
        foreach (var (start, length) in new[] { (0L, 1_000L), (1_000L, 1_000L), (1_000L, 1_000L), (2_000L, 1_000L) })
        {
            // A chunked upload reads each chunk as a range of the source; the middle chunk is sent twice.
            using var chunk = new SubStream(source, start, length);
            chunk.CopyTo(Stream.Null);
        }
        Assert.Equal(3_000, progress.BytesDone);
    }

    [Fact]
    public void A_line_names_a_digest_by_its_first_twelve_digits_and_a_layer_by_its_media_type()
    {
        Digest digest = Digest.Sha256("layer"u8);
        Assert.Equal($"sha256:{digest.Hex[..12]}…", TransferProgress.Short(digest));
        Assert.Equal("layer", TransferProgress.Noun(new Descriptor(MediaTypes.OciLayerGzip, digest, 1)));
        Assert.Equal("layer", TransferProgress.Noun(new Descriptor(MediaTypes.DockerLayerGzip, digest, 1)));
        Assert.Equal("blob", TransferProgress.Noun(new Descriptor("application/spdx+json", digest, 1)));
    }

    // A clock the test moves by hand.
    private sealed class FakeClock : TimeProvider
    {
        private long _ticks;

        public TimeSpan Now => TimeSpan.FromTicks(_ticks);

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
