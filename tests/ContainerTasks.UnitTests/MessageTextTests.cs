using System.Reflection;
using System.Text.RegularExpressions;
using ContainerTasks.Building;
using ContainerTasks.Content;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>What users read: sizes, sentences, and a documented anchor for every code the help links point at.</summary>
public sealed class MessageTextTests
{
    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(999, "999 B")]
    [InlineData(1000, "1.0 KB")]
    [InlineData(34_300, "34.3 KB")]
    [InlineData(999_960, "1.0 MB")]
    [InlineData(101_114_982, "101.1 MB")]
    [InlineData(12_300_000_000, "12.3 GB")]
    public void Sizes_scale_to_their_unit(long bytes, string expected) => Assert.Equal(expected, Sizes.Format(bytes));

    [Fact]
    public void A_message_quoting_an_inner_sentence_has_one_full_stop()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["file"], "");
        // A cache folder below a file: the runtime's message ends with a period, ours goes on with a sentence.
        var error = Assert.Throws<ContainerTasksException>(() => new ContentStore(dir["file/cache"]));
        Assert.Equal(ErrorCodes.OutputFailed, error.Code);
        Assert.DoesNotMatch(@"[^.]\.\.\s", error.Message);
        Assert.Equal("Kept: ../x and ... and 'a..'.", new ContainerTasksException("CT0000", "Kept: ../x and ... and 'a..'.").Message);
        Assert.Equal("Failed: denied. Do this.", new ContainerTasksException("CT0000", "Failed: denied.. Do this..").Message);
    }

    [Fact]
    public void Every_code_has_an_anchor_in_docs_errors_md()
    {
        string errors = File.ReadAllText(Path.Combine(Repo.Root, "docs", "errors.md"));
        var codes = typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!).ToList();
        Assert.Contains("CT4121", codes);
        foreach (string code in codes)
        {
            Assert.Matches(new Regex($"<a id=\"{code.ToLowerInvariant()}\"></a>{code}"), errors);
        }
    }
}
