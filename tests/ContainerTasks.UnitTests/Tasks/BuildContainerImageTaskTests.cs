using System.Text.Json;
using ContainerTasks.MSBuild;
using ContainerTasks.Tests.Infrastructure;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ContainerTasks.Tests.Tasks;

/// <summary>The MSBuild task run in-process with a recording build engine: properties in, outputs and log lines out.</summary>
public sealed class BuildContainerImageTaskTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly RecordingBuildEngine _engine = new();

    public void Dispose() => _dir.Dispose();

    private BuildContainerImage Task(Action<BuildContainerImage>? change = null)
    {
        Directory.CreateDirectory(_dir["publish"]);
        File.WriteAllText(_dir["publish/app.dll"], "not really an assembly");
        File.WriteAllText(_dir["publish/appsettings.json"], "{}");
        var task = new BuildContainerImage
        {
            BuildEngine = _engine,
            BaseImage = "scratch",
            ContainerRuntimeIdentifier = "linux-x64",
            PublishDirectory = _dir["publish"],
            WorkingDirectory = "/app/",
            Repository = "team/app",
            ImageTag = "1.0",
            ArchiveOutputPath = _dir["out/"],
            IntermediateDirectory = _dir["obj"],
            CacheDirectory = _dir["cache"],
            ProjectName = "App",
            AppCommand = [new TaskItem("dotnet"), new TaskItem("/app/app.dll")],
            EnvironmentVariables = [Item("GREETING", ("Value", "hello"))],
            ExposedPorts = [Item("8080")],
        };
        change?.Invoke(task);
        return task;
    }

    private static TaskItem Item(string spec, params (string Name, string Value)[] metadata)
    {
        var item = new TaskItem(spec);
        foreach (var (name, value) in metadata)
        {
            item.SetMetadata(name, value);
        }
        return item;
    }

    [Fact]
    public void An_archive_build_sets_every_output_and_prints_one_result_line()
    {
        BuildContainerImage task = Task();
        Assert.True(task.Execute(), string.Join("\n", _engine.AllText));

        Assert.Empty(_engine.Errors);
        Assert.StartsWith("sha256:", task.GeneratedContainerDigest);
        Assert.Equal(Path.Combine(_dir["out"], "team-app.tar"), task.GeneratedArchiveOutputPath);
        Assert.True(File.Exists(task.GeneratedArchiveOutputPath));
        Assert.Equal(["team/app:1.0"], task.GeneratedContainerNames.Select(i => i.ItemSpec));
        Assert.Equal(task.GeneratedContainerDigest, task.GeneratedContainer.Single().GetMetadata("ManifestDigest"));
        using var config = JsonDocument.Parse(task.GeneratedContainerConfiguration!);
        JsonElement settings = config.RootElement.GetProperty("config");
        Assert.Contains("GREETING=hello", settings.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        Assert.True(settings.GetProperty("ExposedPorts").TryGetProperty("8080/tcp", out _));
        Assert.Equal(["dotnet", "/app/app.dll"], settings.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains(task.GeneratedFiles, f => f.ItemSpec.StartsWith(_dir["obj"], StringComparison.Ordinal));
        // The one line a user reads at the default verbosity: "<project> -> name@digest (…)".
        string result = Assert.Single(_engine.MessagesAt(MessageImportance.High));
        Assert.StartsWith($"App -> team/app:1.0@{task.GeneratedContainerDigest} (", result);
    }

    [Fact]
    public void The_same_folder_built_again_is_a_layer_cache_hit_with_the_same_digest()
    {
        BuildContainerImage first = Task();
        Assert.True(first.Execute(), string.Join("\n", _engine.AllText));
        Assert.Contains(_engine.MessagesAt(MessageImportance.Normal), m => m.Contains(", built.", StringComparison.Ordinal));
        _engine.Messages.Clear();

        BuildContainerImage second = Task();
        Assert.True(second.Execute(), string.Join("\n", _engine.AllText));
        Assert.Equal(first.GeneratedContainerDigest, second.GeneratedContainerDigest);
        Assert.Contains(_engine.MessagesAt(MessageImportance.Normal), m => m.Contains("unchanged (from the layer cache)", StringComparison.Ordinal));
        Assert.DoesNotContain(_engine.MessagesAt(MessageImportance.Normal), m => m.Contains(", built.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("CT4120", "ContainerRegistry=http://localhost:5000")]
    [InlineData("CT4114", "ContainerPort=http")]
    [InlineData("CT4109", "ContainerImageFormat=zip")]
    [InlineData("CT2001", "ContainerLayer=config (no Destination)")]
    [InlineData("CT4105", "PublishDir=a missing folder")]
    [InlineData("CT4133", "ContainerLayerImage=https://agent:s3cret@reg.example/otel:1")]
    [InlineData("CT4133", "ContainerLayerImage=reg.example/otel:1 MergeEnvironment=yes")]
    public void A_bad_setting_is_one_coded_error_not_an_exception(string code, string setting)
    {
        BuildContainerImage task = Task(t =>
        {
            switch (setting.Split('=')[0])
            {
                case "ContainerRegistry": t.Registry = "http://localhost:5000"; break;
                case "ContainerPort": t.ExposedPorts = [new TaskItem("http")]; break;
                case "ContainerImageFormat": t.ImageFormat = "zip"; break;
                case "ContainerLayer": t.ExtraLayers = [new TaskItem("config")]; break;
                case "ContainerLayerImage" when setting.Contains("MergeEnvironment", StringComparison.Ordinal):
                    t.LayerImages = [Item("reg.example/otel:1", ("MergeEnvironment", "yes"))];
                    break;
                case "ContainerLayerImage": t.LayerImages = [new TaskItem(setting.Split('=', 2)[1])]; break;
                default: t.PublishDirectory += "-missing"; break;
            }
        });
        Assert.False(task.Execute());

        BuildErrorEventArgs error = Assert.Single(_engine.Errors);
        Assert.Equal(code, error.Code);
        Assert.DoesNotContain("   at ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", string.Join("\n", _engine.AllText), StringComparison.Ordinal);
        Assert.Null(task.GeneratedContainerDigest);
        Assert.False(Directory.Exists(_dir["out"]) && Directory.EnumerateFileSystemEntries(_dir["out"]).Any(), "an archive was written for a failed build");
    }

    [Theory]
    [InlineData("remote", "scratch", "ContainerBaseImageSource is 'remote'. Use registry")]
    [InlineData("local", "", "a base from the local engine is never inferred")]
    [InlineData("Local", "docker-archive:/tmp/base.tar", "names no image of the local engine")]
    [InlineData("local", "docker-daemon:my-base:1", "names the engine too: give the image's name alone (my-base:1)")]
    [InlineData("local", "a/../../containers/json", "is not the name of an image in a local engine")]
    [InlineData("LOCAL", "my base:1", "is not the name of an image in a local engine")]
    [InlineData("local", "--help", "is not the name of an image in a local engine")]
    public void ContainerBaseImageSource_unknown_or_local_without_an_engine_image_name_is_CT4131(string source, string baseImage, string said)
    {
        // No engine is asked: the error comes first (an engine would be looked for at a socket that is not there).
        BuildContainerImage task = Task(t =>
        {
            t.BaseImageSource = source;
            t.BaseImage = baseImage;
        });
        Assert.False(task.Execute());

        BuildErrorEventArgs error = Assert.Single(_engine.Errors);
        Assert.Equal("CT4131", error.Code);
        Assert.Contains(said, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error.Message, StringComparison.Ordinal);
        Assert.Null(task.GeneratedContainerDigest);
    }
}
