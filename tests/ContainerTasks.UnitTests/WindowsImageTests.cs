using System.Formats.Tar;
using System.Text;
using ContainerTasks.DotNet;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Pipeline;
using ContainerTasks.Tests.Infrastructure;
using static ContainerTasks.Tests.Infrastructure.LayerSamples;

namespace ContainerTasks.Tests;

/// <summary>Windows images: platforms of runtime identifiers, the Windows layer format, config rules and per-platform defaults.</summary>
public class WindowsImageTests
{
    private const string Rawsd = "AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA==";

    [Theory]
    [InlineData("win-x64", "windows", "amd64", null)]
    [InlineData("win-arm64", "windows", "arm64", null)]
    [InlineData("WIN-X64", "windows", "amd64", null)]
    [InlineData("win10-x64", "windows", "amd64", "10")]
    public void Windows_runtime_identifiers_name_windows_platforms(string rid, string os, string architecture, string? osVersion)
    {
        Platform platform = Platform.FromRuntimeIdentifier(rid);
        Assert.Equal((os, architecture, (string?)null, osVersion), (platform.Os, platform.Architecture, platform.Variant, platform.OsVersion));
        Assert.True(platform.IsWindows);
    }

    [Theory]
    [InlineData("osx-arm64")]
    [InlineData("freebsd-x64")]
    [InlineData("win-x86")]
    [InlineData("win-arm")]
    public void Other_systems_and_Windows_architectures_without_images_are_CT4111(string rid)
    {
        var error = Assert.Throws<ContainerTasksException>(() => Platform.FromRuntimeIdentifier(rid));
        Assert.Equal(ErrorCodes.UnsupportedPlatform, error.Code);
        Assert.Contains(rid, error.Message);
    }

    [Fact]
    public void An_index_with_several_Windows_builds_gives_the_first_for_win_x64_and_the_matching_major_for_a_versioned_identifier()
    {
        var index = new ImageIndex(MediaTypes.OciIndex, [
            Entry('1', new Platform("linux", "amd64")),
            Entry('2', new Platform("windows", "amd64", null, "10.0.17763.6000")),
            Entry('3', new Platform("windows", "amd64", null, "10.0.20348.2700")),
            Entry('4', new Platform("windows", "arm64", null, "10.0.26100.1000")),
        ]);
        Assert.Equal(new string('2', 64), index.SelectPlatform(Platform.FromRuntimeIdentifier("win-x64"), "b").Digest.Hex);
        Assert.Equal(new string('2', 64), index.SelectPlatform(Platform.FromRuntimeIdentifier("win10-x64"), "b").Digest.Hex);
        Assert.Equal(new string('4', 64), index.SelectPlatform(Platform.FromRuntimeIdentifier("win-arm64"), "b").Digest.Hex);
        Assert.Equal(new string('1', 64), index.SelectPlatform(Platform.FromRuntimeIdentifier("linux-x64"), "b").Digest.Hex);
        var error = Assert.Throws<ContainerTasksException>(() => index.SelectPlatform(Platform.FromRuntimeIdentifier("win11-x64"), "b"));
        Assert.Equal(ErrorCodes.NoMatchingPlatform, error.Code);
        // Windows builds are told apart by their os.version in the list of what the base offers.
        Assert.Contains("windows/amd64 10.0.17763.6000, windows/amd64 10.0.20348.2700", error.Message);
    }

    [Fact]
    public void A_Windows_layer_has_its_files_under_Files_without_the_drive_an_empty_Hives_and_the_security_descriptor_on_every_entry()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["App.dll"], "app");
        Directory.CreateDirectory(dir["sub"]);
        File.WriteAllText(dir["sub/data.json"], "{}");
        List<LayerEntry> entries = DirectoryEntries.FromDirectory(dir.Path, "/C:/app");
        var (_, bytes) = WriteInProcess(entries, new LayerOptions { Windows = true, Compression = LayerCompression.None });

        var read = ReadTar(bytes);
        Assert.Equal(["Files/", "Files/app/", "Files/app/App.dll", "Files/app/sub/", "Files/app/sub/data.json", "Hives/"], read.Select(e => e.Name));
        Assert.All(read, e => Assert.Equal(Rawsd, e.ExtendedAttributes["MSWINDOWS.rawsd"]));
        Assert.All(read, e => Assert.Equal((UnixFileMode)Convert.ToInt32("755", 8), e.Mode));
        Assert.All(read, e => Assert.Equal((0, 0), (e.Uid, e.Gid)));
        Assert.All(read, e => Assert.False(e.ExtendedAttributes.ContainsKey("mtime")));
        Assert.Equal("app", Encoding.UTF8.GetString(read[2].ReadAll()));
    }

    [Fact]
    public void A_Windows_layer_and_a_Linux_layer_of_the_same_files_are_different_cache_entries()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["App.dll"], "app");
        List<LayerEntry> entries = DirectoryEntries.FromDirectory(dir.Path, "/app");
        Assert.NotEqual(LayerCache.ComputeKey(entries, new LayerOptions()), LayerCache.ComputeKey(entries, new LayerOptions { Windows = true }));
        Assert.Equal(LayerCache.ComputeKey(entries, new LayerOptions { Windows = true }), LayerCache.ComputeKey(entries, new LayerOptions { Windows = true }));
    }

    [Fact]
    public void A_link_in_a_Windows_layer_is_CT2004()
    {
        var error = Assert.Throws<ContainerTasksException>(() => WriteInProcess([LayerEntry.Symlink("C:/app/x", "y")], new LayerOptions { Windows = true }));
        Assert.Equal(ErrorCodes.InvalidLink, error.Code);
    }

    [Fact]
    public void Windows_environment_names_compare_without_case_and_Windows_paths_are_absolute()
    {
        var config = ImageConfig.Parse(Encoding.UTF8.GetBytes("""
            {"architecture":"amd64","os":"windows","os.version":"10.0.20348.2700","os.features":["win32k"],
             "config":{"Env":["Path=C:\\Windows\\system32;C:\\Windows","DOTNET_VERSION=10.0.0"],"User":"ContainerUser"},
             "rootfs":{"type":"layers","diff_ids":[]}}
            """));
        config.Apply(new ConfigChanges
        {
            Environment = [new("PATH", @"C:\app;C:\Windows"), new("dotnet_version", "x")],
            WorkingDirectory = @"C:\app\",
            Volumes = [@"C:\data"],
        });
        Assert.Equal([@"PATH=C:\app;C:\Windows", "dotnet_version=x"], config.Env);
        Assert.Equal(@"C:\app\", config.WorkingDirectory);
        Assert.Equal(new Platform("windows", "amd64", null, "10.0.20348.2700").ToString(), config.Platform.ToString());
        Assert.Equal(["win32k"], config.Platform.OsFeatures);
        Assert.Contains("\"os.features\":[\"win32k\"]", Encoding.UTF8.GetString(config.ToBytes()));

        var linux = ImageConfig.Parse("""{"architecture":"amd64","os":"linux","config":{"Env":["Path=x"]}}"""u8.ToArray());
        linux.Apply(new ConfigChanges { Environment = [new("PATH", "y")] });
        Assert.Equal(["Path=x", "PATH=y"], linux.Env);
        Assert.Equal(ErrorCodes.InvalidConfigValue, Assert.Throws<ContainerTasksException>(() => linux.Apply(new ConfigChanges { WorkingDirectory = @"C:\app\" })).Code);
    }

    [Theory]
    [InlineData(false, false, "/app/", "dotnet|/app/App.dll", null)]
    [InlineData(true, false, @"C:\app\", @"dotnet|C:\app\App.dll", "ContainerUser")]
    [InlineData(false, true, "/app/", "/app/App", null)]
    [InlineData(true, true, @"C:\app\", @"C:\app\App.exe", "ContainerUser")]
    public void Each_platform_gets_its_systems_defaults(bool windows, bool selfContained, string workingDirectory, string command, string? user)
    {
        var request = Request(new ProjectDefaults(true, true, selfContained, "App", "App.dll", "ContainerUser"));
        PlatformSettings settings = PlatformSettings.For(request, windows);
        Assert.Equal(workingDirectory, settings.WorkingDirectory);
        Assert.Equal(command, string.Join('|', settings.Entrypoint.AppCommand));
        Assert.Equal(user, settings.User);
        Assert.Equal(windows ? "/C:/app/" : "/app/", settings.LayerDirectory);
    }

    [Fact]
    public void Settings_the_project_gave_are_kept_on_every_platform()
    {
        var request = Request(new ProjectDefaults(false, false, false, "App", "App.dll", "ContainerUser")) with
        {
            WorkingDirectory = @"C:\srv",
            Entrypoint = EntrypointInputs.ForAppCommand(@"C:\srv\App.exe"),
            User = "ContainerAdministrator",
        };
        PlatformSettings settings = PlatformSettings.For(request, windows: true);
        Assert.Equal((@"C:\srv", @"C:\srv\App.exe", "ContainerAdministrator"), (settings.WorkingDirectory, settings.Entrypoint.AppCommand[0], settings.User));
        Assert.Equal(@"C:\srv\App.dll", new ProjectDefaults(false, true, false, "App", "App.dll", null).AppCommandFor([], @"C:\srv", windows: true)[1]);
        Assert.Equal("srv/x", WindowsLayerFormat.WithoutDrive("c:/srv/x"));
    }

    [Fact]
    public void Another_drive_than_C_is_refused_in_layers_and_config_as_a_Windows_container_has_only_C()
    {
        var error = Assert.Throws<ContainerTasksException>(() => WindowsLayerFormat.WithoutDrive("D:/srv/x"));
        Assert.Equal(ErrorCodes.InvalidLayerPath, error.Code);
        Assert.Contains("only C:", error.Message);
        var config = ImageConfig.Parse("""{"architecture":"amd64","os":"windows","config":{}}"""u8.ToArray());
        Assert.Equal(ErrorCodes.InvalidConfigValue, Assert.Throws<ContainerTasksException>(() => config.Apply(new ConfigChanges { WorkingDirectory = @"D:\srv" })).Code);
        Assert.Equal(ErrorCodes.InvalidConfigValue, Assert.Throws<ContainerTasksException>(() => config.Apply(new ConfigChanges { Volumes = [@"E:\data"] })).Code);
    }

    [Theory]
    [InlineData("a:b.txt", "CT2001")]
    [InlineData("what?.txt", "CT2001")]
    [InlineData("CON", "CT2001")]
    [InlineData("nul.txt", "CT2001")]
    [InlineData("com1.log", "CT2001")]
    [InlineData("trailing.", "CT2001")]
    [InlineData("trailing ", "CT2001")]
    [InlineData("tab\tname", "CT2001")]
    public void Names_Windows_cannot_create_are_refused_in_a_Windows_layer(string name, string code)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["ok.txt"], "x");
        var entries = new List<LayerEntry> { LayerEntry.File(dir["ok.txt"], "C:/app/ok.txt"), LayerEntry.File(dir["ok.txt"], "C:/app/" + name) };
        Assert.Equal(code, Assert.Throws<ContainerTasksException>(() => WriteInProcess(entries, new LayerOptions { Windows = true })).Code);
        // The same names are fine in a Linux layer.
        WriteInProcess(entries.Select(e => LayerEntry.File(dir["ok.txt"], "/" + WindowsLayerFormat.WithoutDrive(e.Path))), new LayerOptions());
    }

    [Fact]
    public void Paths_that_differ_only_in_case_are_CT2002_in_a_Windows_layer()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["a"], "x");
        var entries = new List<LayerEntry> { LayerEntry.File(dir["a"], "C:/app/Sub/a.txt"), LayerEntry.File(dir["a"], "C:/app/sub/b.txt") };
        var error = Assert.Throws<ContainerTasksException>(() => WriteInProcess(entries, new LayerOptions { Windows = true }));
        Assert.Equal(ErrorCodes.DuplicateLayerPath, error.Code);
        Assert.Contains("differ only in case", error.Message);
    }

    [Fact]
    public void A_hostile_os_version_is_shown_printable_and_short()
    {
        var platform = new Platform("windows", "amd64", null, "10.0\nerror CT0000: fake" + new string('9', 100));
        string shown = platform.ToString();
        Assert.DoesNotContain("\n", shown);
        Assert.DoesNotContain(":", shown[("windows/amd64".Length)..]);
        Assert.True(shown.Length < 70, shown);
    }

    private static ContainerBuildRequest Request(ProjectDefaults defaults) => new()
    {
        BaseImage = "scratch",
        Platforms = [],
        Repository = "app",
        Tags = ["1"],
        FallbackArchiveDirectory = "/tmp",
        CacheDirectory = "/tmp",
        EnvironmentSnapshot = new Dictionary<string, string>(),
        Entrypoint = EntrypointInputs.ForAppCommand("dotnet", "/app/App.dll"),
        Defaults = defaults,
    };

    private static Descriptor Entry(char digit, Platform platform)
        => new(MediaTypes.OciManifest, Digest.Parse("sha256:" + new string(digit, 64)), 100) { Platform = platform };

    private static List<PaxTarEntry> ReadTar(byte[] bytes)
    {
        using var reader = new TarReader(new MemoryStream(bytes));
        var entries = new List<PaxTarEntry>();
        while (reader.GetNextEntry(copyData: true) is { } entry)
        {
            entries.Add(Assert.IsType<PaxTarEntry>(entry));
        }
        return entries;
    }
}

internal static class TarEntryData
{
    public static byte[] ReadAll(this TarEntry entry)
    {
        using var copy = new MemoryStream();
        entry.DataStream!.CopyTo(copy);
        return copy.ToArray();
    }
}
