using ContainerTasks.FileSystem;
using ContainerTasks.Layers;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>A hostile publish folder: nothing outside it, and nothing but files and folders, reaches a layer.</summary>
public sealed class SourceFolderTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static ContainerTasksException Refused(string folder)
    {
        // Bounded: a FIFO or device that is opened blocks or never ends instead of failing.
        var task = Task.Run(() => LayerCache.ComputeKey(DirectoryEntries.FromDirectory(folder, "/app"), new LayerOptions()));
        Assert.True(((IAsyncResult)task).AsyncWaitHandle.WaitOne(Bound), "reading the folder did not end");
        return Assert.Throws<ContainerTasksException>(() => task.GetAwaiter().GetResult());
    }

    private static void Write(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private static readonly DateTime FixedTime = new(2021, 5, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_link_to_a_file_outside_the_folder_is_refused_and_named()
    {
        using var dir = new TempDirectory();
        Write(dir["secret/key.pem"], "-----BEGIN PRIVATE KEY-----");
        Write(dir["publish/app.dll"], "app");
        File.CreateSymbolicLink(dir["publish/key.pem"], dir["secret/key.pem"]);
        var error = Assert.Throws<ContainerTasksException>(() => DirectoryEntries.FromDirectory(dir["publish"], "/app"));
        Assert.Equal("CT2004", error.Code);
        Assert.Contains("key.pem", error.Message);
        Assert.Contains("outside the folder", error.Message);
    }

    [Fact]
    public void A_relative_link_climbing_out_of_the_folder_or_to_a_system_file_is_refused()
    {
        using var dir = new TempDirectory();
        Write(dir["publish/app.dll"], "app");
        Directory.CreateDirectory(dir["keys"]);
        File.CreateSymbolicLink(dir["publish/keys"], "../keys");
        Assert.Equal("CT2004", Assert.Throws<ContainerTasksException>(() => DirectoryEntries.FromDirectory(dir["publish"], "/app")).Code);
        File.Delete(dir["publish/keys"]);
        File.CreateSymbolicLink(dir["publish/shadow"], "/etc/shadow");
        Assert.Equal("CT2004", Assert.Throws<ContainerTasksException>(() => DirectoryEntries.FromDirectory(dir["publish"], "/app")).Code);
        File.Delete(dir["publish/shadow"]);
        File.CreateSymbolicLink(dir["publish/zero"], "/dev/zero");
        Assert.Equal("CT2004", Assert.Throws<ContainerTasksException>(() => DirectoryEntries.FromDirectory(dir["publish"], "/app")).Code);
    }

    [Fact]
    public void Links_inside_the_folder_are_followed_and_a_linked_publish_folder_is_read()
    {
        using var dir = new TempDirectory();
        Write(dir["publish/lib/real.dll"], "real");
        File.CreateSymbolicLink(dir["publish/alias.dll"], "lib/real.dll");
        Directory.CreateSymbolicLink(dir["publish/lib2"], "lib");
        Directory.CreateSymbolicLink(dir["linked"], dir["publish"]);
        var entries = DirectoryEntries.FromDirectory(dir["linked"], "/app");
        Assert.Contains(entries, e => e.Path == "app/alias.dll" && e.Kind == LayerEntryKind.File);
        Assert.Contains(entries, e => e.Path == "app/lib2/real.dll" && e.Kind == LayerEntryKind.File);
    }

    [Fact]
    public void A_fifo_in_the_folder_is_refused_before_it_is_opened()
    {
        using var dir = new TempDirectory();
        Write(dir["publish/app.dll"], "app");
        Run.Checked("mkfifo", dir["publish/pipe"]);
        var error = Refused(dir["publish"]);
        Assert.Equal("CT2005", error.Code);
        Assert.Contains("pipe", error.Message);
    }

    [Fact]
    public void A_device_node_in_the_folder_is_refused()
    {
        using var dir = new TempDirectory();
        Write(dir["publish/app.dll"], "app");
        Run.Checked("mknod", dir["publish/zero"], "c", "1", "5");
        Assert.Equal("CT2005", Refused(dir["publish"]).Code);
    }

    [Fact]
    public void A_very_deep_tree_and_a_long_link_chain_are_coded_errors_not_a_crash()
    {
        using var dir = new TempDirectory();
        string deep = dir["publish"];
        for (int i = 0; i <= DirectoryEntries.MaxDepth; i++)
        {
            deep = Path.Combine(deep, "d");
        }
        Directory.CreateDirectory(deep);
        var error = Assert.Throws<ContainerTasksException>(() => DirectoryEntries.FromDirectory(dir["publish"], "/app"));
        Assert.Equal("CT2005", error.Code);

        Write(dir["chain/target.txt"], "end");
        for (int i = 0; i < 2000; i++)
        {
            File.CreateSymbolicLink(dir[$"chain/l{i}"], i == 0 ? "target.txt" : $"l{i - 1}");
        }
        Assert.Equal("CT2004", Assert.Throws<ContainerTasksException>(() => DirectoryEntries.FromDirectory(dir["chain"], "/app")).Code);
    }

    [Fact]
    public void A_file_rewritten_after_it_was_hashed_is_not_written_with_other_bytes()
    {
        using var dir = new TempDirectory();
        Write(dir["publish/app.dll"], "first");
        File.SetLastWriteTimeUtc(dir["publish/app.dll"], FixedTime);
        var entry = DirectoryEntries.FromDirectory(dir["publish"], "/app").Single(e => e.Kind == LayerEntryKind.File);
        var hashed = entry with { Identity = FileIdentity.Of(entry.SourcePath!) };
        Write(dir["publish/app.dll"], "FIRST");
        File.SetLastWriteTimeUtc(dir["publish/app.dll"], FixedTime);
        var error = Assert.Throws<ContainerTasksException>(() => new LayerWriter().Write([hashed], Stream.Null));
        Assert.Equal("CT2003", error.Code);
        Assert.Contains("changed since it was hashed", error.Message);
    }

    [Fact]
    public void File_identity_sees_a_same_size_same_time_rewrite_and_the_file_kind()
    {
        using var dir = new TempDirectory();
        Write(dir["a.txt"], "aaaa");
        File.SetLastWriteTimeUtc(dir["a.txt"], FixedTime);
        FileIdentity before = FileIdentity.Of(dir["a.txt"]);
        Assert.True(before.Complete);
        Assert.Equal(FileKind.Regular, before.Kind);
        Assert.Equal(4, before.Size);
        Write(dir["a.txt"], "bbbb");
        File.SetLastWriteTimeUtc(dir["a.txt"], FixedTime);
        FileIdentity after = FileIdentity.Of(dir["a.txt"]);
        Assert.Equal((before.Size, before.ModifiedNs, before.Inode), (after.Size, after.ModifiedNs, after.Inode));
        Assert.NotEqual(before, after);
        Assert.Equal(FileKind.Directory, FileIdentity.Of(dir.Path).Kind);
        Assert.Equal(FileKind.Special, FileIdentity.Of("/dev/null").Kind);
    }

    [Fact]
    public void A_file_swapped_for_a_link_or_a_fifo_after_the_folder_was_listed_is_never_read()
    {
        using var dir = new TempDirectory();
        Write(dir["secret.txt"], "top secret!");
        Write(dir["publish/app.dll"], "harmless!!!"); // the same size as the secret
        List<LayerEntry> listed = DirectoryEntries.FromDirectory(dir["publish"], "/app");
        File.Delete(dir["publish/app.dll"]);
        File.CreateSymbolicLink(dir["publish/app.dll"], dir["secret.txt"]);
        var error = Assert.Throws<ContainerTasksException>(() => LayerCache.ComputeKey(listed, new LayerOptions()));
        Assert.Equal("CT2003", error.Code);
        Assert.Throws<ContainerTasksException>(() => new LayerWriter().Write(listed, Stream.Null));

        File.Delete(dir["publish/app.dll"]);
        Run.Checked("mkfifo", dir["publish/app.dll"]);
        var task = Task.Run(() => LayerCache.ComputeKey(listed, new LayerOptions()));
        Assert.True(((IAsyncResult)task).AsyncWaitHandle.WaitOne(Bound), "opening a FIFO put in a listed file's place blocked");
        Assert.Equal("CT2005", Assert.Throws<ContainerTasksException>(() => task.GetAwaiter().GetResult()).Code);
    }

    [Fact]
    public void Folder_links_that_point_at_each_other_or_multiply_are_coded_errors_not_a_hang()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["loop/x"]);
        Directory.CreateDirectory(dir["loop/y"]);
        Directory.CreateSymbolicLink(dir["loop/x/l"], "../y");
        Directory.CreateSymbolicLink(dir["loop/y/l"], "../x");
        var loop = Assert.Throws<ContainerTasksException>(() => DirectoryEntries.FromDirectory(dir["loop"], "/app"));
        Assert.Equal("CT2004", loop.Code);

        // Each level links twice to the next: 2^30 paths without a single loop.
        for (int i = 0; i < 30; i++)
        {
            Write(dir[$"dag/d{i}/f"], "x");
            if (i > 0)
            {
                Directory.CreateSymbolicLink(dir[$"dag/d{i - 1}/a"], $"../d{i}");
                Directory.CreateSymbolicLink(dir[$"dag/d{i - 1}/b"], $"../d{i}");
            }
        }
        var task = Task.Run(() => DirectoryEntries.FromDirectory(dir["dag"], "/app"));
        Assert.True(((IAsyncResult)task).AsyncWaitHandle.WaitOne(TimeSpan.FromMinutes(2)), "walking multiplying folder links did not end");
        Assert.Equal("CT2005", Assert.Throws<ContainerTasksException>(() => task.GetAwaiter().GetResult()).Code);
    }
}
