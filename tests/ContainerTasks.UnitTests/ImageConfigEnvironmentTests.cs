using System.Text;
using ContainerTasks.Model;

namespace ContainerTasks.Tests;

/// <summary>The environment the build reasons about (ports, APP_UID) is the one the config is written with.</summary>
public class ImageConfigEnvironmentTests
{
    private const string Base = """{"architecture":"amd64","os":"linux","config":{"Env":["A=1","PORT=80","A=2","BARE"]},"rootfs":{"type":"layers","diff_ids":[]}}""";

    [Fact]
    public void The_environment_after_changes_is_the_written_one()
    {
        var config = ImageConfig.Parse(Encoding.UTF8.GetBytes(Base));
        KeyValuePair<string, string>[] changes = [new("A", "3"), new("NEW", "x=y")];
        var after = config.EnvironmentAfter(changes);

        // A name the base repeats: its last entry is the one replaced, as the written Env does.
        Assert.Equal([new("A", "1"), new("PORT", "80"), new("A", "3"), new("BARE", ""), new("NEW", "x=y")], after);
        Assert.Equal(["A=1", "PORT=80", "A=2", "BARE"], config.Env);
        config.Apply(new ConfigChanges { Environment = changes });
        Assert.Equal(after.Select(p => p.Key == "BARE" ? p.Key : $"{p.Key}={p.Value}"), config.Env);
    }
}
