using System.Reflection;
using System.Text.RegularExpressions;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>What users read: sizes, sentences, and a documented anchor for every code the help links point at.</summary>
public sealed class MessageTextTests
{
    [Fact]
    public void Every_code_has_an_anchor_in_docs_errors_md()
    {
        string errors = File.ReadAllText(Path.Combine(Repo.Root, "docs", "errors.md"));
        var codes = typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!).ToList();
        foreach (string code in codes)
        {
            Assert.Matches(new Regex($"<a id=\"{code.ToLowerInvariant()}\"></a>{code}"), errors);
        }
    }
}
