using ContainerTasks.Tests.Infrastructure;
using static ContainerTasks.Tests.Infrastructure.ConfigSamples;

namespace ContainerTasks.Tests;

/// <summary>An edited config read back by an independent JSON parser (python's).</summary>
public class ImageConfigToolTests
{
    [Fact]
    public void An_independent_parser_finds_every_untouched_member_unchanged()
    {
        EditedConfig(out byte[] bytes);
        using var dir = new TempDirectory();
        File.WriteAllText(dir["base.json"], BaseConfig);
        File.WriteAllBytes(dir["new.json"], bytes);
        var result = Run.Python("compare_config.py", dir["base.json"], dir["new.json"]);
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
    }
}
