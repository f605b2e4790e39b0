using System.Text.RegularExpressions;

namespace ContainerTasks.Registry;

/// <summary>Keeps secrets out of messages built from other components' exception texts.</summary>
internal static partial class Secrets
{
    /// <summary>Replaces <c>user:password@</c> in URLs with <c>***@</c>.</summary>
    public static string Scrub(string message) => UserInfo().Replace(message, "://***@");

    /// <summary>A reference or URL pasted with its credentials (<c>https://user:token@host/…</c>, <c>user:token@host/…</c>), not echoed with them.</summary>
    public static string WithoutUserInfo(string text) => LeadingUserInfo().Replace(text, "$1***@");

    [GeneratedRegex("^([A-Za-z][A-Za-z0-9+.-]*://)?[^/@]+@")]
    private static partial Regex LeadingUserInfo();

    [GeneratedRegex(@"://[^/@\s'""]+:[^/@\s'""]*@")]
    private static partial Regex UserInfo();
}
