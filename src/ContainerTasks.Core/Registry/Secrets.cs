using System.Text.RegularExpressions;

namespace ContainerTasks.Registry;

/// <summary>Keeps secrets out of messages built from other components' exception texts.</summary>
internal static partial class Secrets
{
    /// <summary>Replaces <c>user:password@</c> in URLs with <c>***@</c>.</summary>
    public static string Scrub(string message) => UserInfo().Replace(message, "://***@");

    [GeneratedRegex(@"://[^/@\s'""]+:[^/@\s'""]*@")]
    private static partial Regex UserInfo();
}
