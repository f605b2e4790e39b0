using System.Formats.Tar;
using System.Text;
using ContainerTasks.Content;
using ContainerTasks.Model;
using ContainerTasks.Sources;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>
/// Links in a <c>docker save</c> archive: Docker before 25 writes a layer an earlier one already holds (a repeated empty
/// layer) as a symlink to the first copy. Followed inside the archive; a link out of it is an error, never followed.
/// </summary>
public sealed class DockerArchiveLinkTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>An empty layer: a tar of nothing (its end-of-archive blocks).</summary>
    internal static byte[] EmptyLayer() => new byte[1024];

    /// <summary>
    /// A docker archive of one image with two identical empty layers, the second a link written as <paramref name="link"/>
    /// (an entry type and its target) before or after the first; the image id is its config's digest.
    /// </summary>
    internal static (byte[] Archive, Digest Id) ArchiveWithLinkedLayer(TarEntryType linkType, string linkTarget, bool linkFirst = false)
    {
        Digest empty = Digest.Sha256(EmptyLayer());
        byte[] config = Encoding.UTF8.GetBytes($$$"""{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["{{{empty}}}","{{{empty}}}"]}}""");
        Digest id = Digest.Sha256(config);
        byte[] manifest = Encoding.UTF8.GetBytes($$"""[{"Config":"{{id.Hex}}.json","RepoTags":["localhost/my-base:1"],"Layers":["aaa/layer.tar","bbb/layer.tar"]}]""");
        var output = new MemoryStream();
        using (var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            var link = new PaxTarEntry(linkType, "bbb/layer.tar") { LinkName = linkTarget };
            if (linkFirst)
            {
                tar.WriteEntry(link);
            }
            Add(tar, "aaa/layer.tar", EmptyLayer());
            if (!linkFirst)
            {
                tar.WriteEntry(link);
            }
            Add(tar, $"{id.Hex}.json", config);
            Add(tar, "manifest.json", manifest);
        }
        return (output.ToArray(), id);
    }

    /// <summary>The blobs in a content cache, and the ones being written.</summary>
    internal static IEnumerable<string> StoredFiles(string cache)
        => new[] { "blobs", "tmp" }.Select(f => Path.Combine(cache, f)).Where(Directory.Exists)
            .SelectMany(f => Directory.EnumerateFiles(f, "*", SearchOption.AllDirectories));

    /// <summary>A docker archive (as Docker 24 saves it) of one image of one layer file, whose config names <paramref name="diffId"/>.</summary>
    internal static (byte[] Archive, Digest Id) ArchiveWithLayer(byte[] layer, Digest diffId)
    {
        byte[] config = Encoding.UTF8.GetBytes($$$"""{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["{{{diffId}}}"]}}""");
        Digest id = Digest.Sha256(config);
        var output = new MemoryStream();
        using (var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            Add(tar, "aaa/layer.tar", layer);
            Add(tar, $"{id.Hex}.json", config);
            Add(tar, "manifest.json", Encoding.UTF8.GetBytes($$"""[{"Config":"{{id.Hex}}.json","RepoTags":["localhost/my-base:1"],"Layers":["aaa/layer.tar"]}]"""));
        }
        return (output.ToArray(), id);
    }

    internal static void Add(TarWriter tar, string name, byte[] content)
        => tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });

    private async Task<SourceImage> OpenAsync(byte[] archive)
    {
        File.WriteAllBytes(_dir["base.tar"], archive);
        DockerArchiveSource source = await DockerArchiveSource.OpenAsync(_dir["base.tar"], null, new ContentStore(_dir["cache"]));
        return await source.GetImageAsync(Platform.LinuxAmd64);
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink, "../aaa/layer.tar", false)]
    [InlineData(TarEntryType.SymbolicLink, "../aaa/./layer.tar", true)]
    [InlineData(TarEntryType.HardLink, "aaa/layer.tar", false)]
    [InlineData(TarEntryType.HardLink, "./aaa/layer.tar", true)]
    public async Task A_layer_saved_as_a_link_to_an_identical_one_reads_as_that_layer_whether_its_target_comes_before_or_after(TarEntryType type, string target, bool linkFirst)
    {
        var (archive, _) = ArchiveWithLinkedLayer(type, target, linkFirst);
        SourceImage image = await OpenAsync(archive);
        Digest empty = Digest.Sha256(EmptyLayer());
        Assert.Equal(2, image.Manifest.Layers.Count);
        Assert.All(image.Manifest.Layers, layer => Assert.Equal(empty, layer.Digest));
        Assert.Equal(1024, image.Manifest.Layers[1].Size);
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink, "../../etc/passwd")]
    [InlineData(TarEntryType.SymbolicLink, "/etc/passwd")]
    [InlineData(TarEntryType.SymbolicLink, "../aaa/../../outside")]
    [InlineData(TarEntryType.HardLink, "../aaa/layer.tar")]
    public async Task A_link_out_of_the_archive_is_CT5002_and_not_followed(TarEntryType type, string target)
    {
        var (archive, _) = ArchiveWithLinkedLayer(type, target);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => OpenAsync(archive));
        Assert.Equal(ErrorCodes.InvalidSource, error.Code);
        Assert.Contains($"holds the link 'bbb/layer.tar' to '{target}', which is outside the archive", error.Message);
        // Nothing of the refused archive stays in the store.
        Assert.Empty(StoredFiles(_dir["cache"]));
    }

    [Fact]
    public async Task Links_in_a_circle_are_CT5002()
    {
        var output = new MemoryStream();
        using (var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "a/layer.tar") { LinkName = "../b/layer.tar" });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "b/layer.tar") { LinkName = "../a/layer.tar" });
            Add(tar, "manifest.json", "[]"u8.ToArray());
        }
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => OpenAsync(output.ToArray()));
        Assert.Equal(ErrorCodes.InvalidSource, error.Code);
        Assert.Contains("leads through more than 8 links", error.Message);
    }
}
