using ContainerTasks.Content;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>A cache folder of another user (made with chown: needs root).</summary>
public class ContentStoreOwnershipTests
{
    [Fact]
    public void A_cache_owned_by_another_user_is_refused()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["theirs"]);
        Run.Checked("chown", "1234:1234", dir["theirs"]);
        var error = Assert.Throws<ContainerTasksException>(() => new ContentStore(dir["theirs"]));
        Assert.Equal("CT5008", error.Code);
        Assert.Contains("ContainerCacheDirectory", error.Message);
    }
}
