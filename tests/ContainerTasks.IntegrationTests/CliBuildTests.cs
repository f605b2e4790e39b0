using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>ctimage builds through the same builder as the MSBuild tasks, so it has the layer cache too.</summary>
[Collection(ImageCollection.Name)]
public class CliBuildTests(BaseImages bases)
{
    [Fact]
    public void A_second_ctimage_build_with_the_same_cache_takes_its_layer_from_the_layer_cache()
    {
        using var dir = new TempDirectory();
        string app = TestImage.CreateAppFolder(dir.Path);
        var runs = new List<ProcessResult>();
        foreach (string run in new[] { "1", "2" })
        {
            runs.Add(Run.CtImage(["build", "--from", bases.Get("busybox"), "--to", $"oci-archive:{dir[$"out{run}.tar"]}", "--tag", "app:1",
                "--layer", $"{app}:/app", "--entrypoint", "/bin/sh", "--cache", dir["cache"]]).EnsureSuccess("ctimage build"));
        }
        Assert.Contains("Layer 1/1 app: ", runs[0].StandardError);
        Assert.Contains(", built.", runs[0].StandardError);
        Assert.Contains("unchanged (from the layer cache)", runs[1].StandardError);
        Assert.DoesNotContain(", built.", runs[1].StandardError);
        Assert.Equal(runs[0].StandardOutput.Trim(), runs[1].StandardOutput.Trim());
        Assert.Equal(File.ReadAllBytes(dir["out1.tar"]), File.ReadAllBytes(dir["out2.tar"]));
    }

    [Theory]
    [InlineData("a:b", "/app")]
    [InlineData("a:C", "/app")]
    public void A_host_folder_with_a_colon_in_its_name_is_split_from_a_Linux_image_path(string folder, string imageDir)
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir[folder]);
        File.WriteAllText(Path.Combine(dir[folder], "hello.txt"), "hello\n");
        Run.CtImage(["build", "--from", "scratch", "--to", $"oci:{dir["layout"]}", "--tag", "app:1", "--layer", $"{dir[folder]}:{imageDir}", "--cache", dir["cache"]])
            .EnsureSuccess($"ctimage build --layer {folder}:{imageDir}");
        DumpedImage image = LayerDump.ReadImage(dir["layout"], "1");
        Assert.Contains(image.Layers[^1].Entries!, e => e.NormalizedName == "app/hello.txt");
    }
}
