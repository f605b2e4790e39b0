using ContainerTasks.Building;
using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Outputs;
using ContainerTasks.Sources;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

[Collection(ImageCollection.Name)]
public class DotnetAppImageTests(BaseImages bases)
{
    [Fact]
    public async Task A_published_sample_on_the_runtime_base_runs_as_the_app_user()
    {
        using var dir = new TempDirectory();
        Run.Process("dotnet", ["publish", Path.Combine(Repo.Root, "samples", "HelloContainer"), "-c", "Release", "-o", dir["publish"], "-nologo", "-v:q"],
            timeout: TimeSpan.FromMinutes(5)).EnsureSuccess("dotnet publish");
        var store = new ContentStore(dir["store"]);
        SourceImage baseImage = await (await ImageSources.OpenAsync(bases.Get("dotnet"), store)).GetImageAsync(Platform.LinuxAmd64);
        var baseConfig = ImageConfig.Parse(baseImage.ConfigBytes);
        string appUid = baseConfig.Env.Single(e => e.StartsWith("APP_UID=", StringComparison.Ordinal))["APP_UID=".Length..];

        BuiltLayer layer = await new LayerWriter().WriteAsync(DirectoryEntries.FromDirectory(dir["publish"], "/app"), store);
        BuiltImage image = new ImageBuilder(baseImage, store)
            .AddLayer(layer, "COPY publish /app")
            .WithConfig(new ConfigChanges
            {
                Environment = [new("GREETING", "from the test")],
                User = appUid,
                WorkingDirectory = "/app",
                Entrypoint = ["dotnet", "/app/HelloContainer.dll"],
                Cmd = ["one", "two"],
            })
            .Build();
        Assert.Equal(baseImage.Manifest.Layers.Count + 1, image.Manifest.Layers.Count);
        string layout = await ImageOutput.WriteAsync($"oci:{dir["image"]}", image, [ImageReference.Parse("hello:1")]);

        string[] output = TestImage.RunImage($"oci:{layout}:1");
        Assert.Contains(output, l => l.Contains("runtime:     .NET 10.", StringComparison.Ordinal));
        Assert.Contains("  in container: true", output);
        Assert.Contains($"  user id:     {appUid}", output);
        Assert.Contains("  working dir: /app", output);
        Assert.Contains("  greeting:    from the test", output);
        Assert.Contains("  arguments:   one two", output);
    }
}
