using System.Globalization;
using System.Text.RegularExpressions;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// A push that takes a while says how far it is (issue #13): through a link of 4 MB/s, a 40 MB layer takes about
/// ten seconds, long enough for progress lines at -v:n, and the default verbosity stays one line per image.
/// </summary>
[Collection(ImageCollection.Name)]
public sealed class TransferProgressPublishTests(PackageFeed feed, HttpRegistryFixture http) : IClassFixture<PackageFeed>, IClassFixture<HttpRegistryFixture>
{
    private const string Digest = "sha256:[0-9a-f]{64}";

    // Random, so the layer is as big compressed: over TransferProgress.MinimumSize, about 10 s at the link's rate.
    private const int LargeFileBytes = 40_000_000;
    private const double LinkBytesPerSecond = 4_000_000;

    [Fact]
    public void A_large_layer_pushed_over_a_slow_link_shows_its_progress_at_normal_verbosity_and_nothing_more_at_minimal()
    {
        using var dir = new TempDirectory();
        string project = feed.CopySample("HelloContainer", dir["app"]);
        byte[] large = new byte[LargeFileBytes];
        new Random(13).NextBytes(large);
        File.WriteAllBytes(dir["app/large.bin"], large);
        File.WriteAllText(dir["app/Directory.Build.targets"], """<Project><ItemGroup><None Update="large.bin" CopyToPublishDirectory="PreserveNewest" /></ItemGroup></Project>""");
        using var relay = new ThrottledRelay(http.Server.Host, LinkBytesPerSecond);
        string[] image = [$"-p:ContainerTasksVersion={feed.Version}", "-p:ContainerBaseImage=scratch", $"-p:ContainerRegistry={relay.Address}"];

        // The default verbosity: the layer goes up while it is compressed, and the output is still the result line alone.
        string first = RegistryServer.NewRepository("progress");
        var minimal = feed.Dotnet(["publish", project, "-c", "Release", "-p:PublishContainer=true", .. image, $"-p:ContainerRepository={first}"])
            .EnsureSuccess("dotnet publish");
        Assert.Matches($@"HelloContainer -> {Regex.Escape(relay.Address)}/{first}:latest@{Digest} \(\d+ layers, pushed to ", minimal.StandardOutput);
        Assert.DoesNotMatch("Uploading|Uploaded|Pushed|MB/s", minimal.StandardOutput);

        // -v:n, to another repository: the layer comes from the layer cache, and the push uploads it, its size known.
        string second = RegistryServer.NewRepository("progress");
        var normal = feed.Dotnet(["msbuild", project, "-t:PublishContainer", "-p:NoBuild=true", "-p:Configuration=Release", .. image,
            $"-p:ContainerRepository={second}", "-v:n"]).EnsureSuccess("dotnet msbuild -t:PublishContainer -v:n");
        string to = $"{Regex.Escape(relay.Address)}/{second}";
        var lines = Regex.Matches(normal.StandardOutput, $@"Uploading layer sha256:[0-9a-f]{{12}}\S* to {to}: ([0-9.]+) MB of ([0-9.]+) MB \((\d+)%\), [0-9.]+ MB/s\r?$",
            RegexOptions.Multiline);
        Assert.True(lines.Count >= 2, $"expected two progress lines or more:\n{normal.StandardOutput}");
        int[] percents = lines.Select(m => int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(percents.Zip(percents.Skip(1)).All(p => p.First < p.Second), $"percents not increasing: {string.Join(", ", percents)}");
        Assert.All(lines, m => Assert.Equal(lines[0].Groups[2].Value, m.Groups[2].Value));
        Assert.Matches($@"Pushed {to}:latest \({Digest}\) in \d+\.\d s: \d+ blobs uploaded \([0-9.]+ MB\), \d+ mounted, \d+ already there\.", normal.StandardOutput);
        Assert.DoesNotContain("\u001b[", normal.StandardOutput, StringComparison.Ordinal);
    }
}
