using ContainerTasks.Layers;

namespace ContainerTasks.DotNet;

/// <summary>
/// Finds files going into the image that look like credential stores: the Web SDK publishes a project folder's
/// nuget.config, and one with feed passwords would be readable by anyone who pulls the image. Cheap by design:
/// only files with these names are opened, only when small, and the secret itself is never read into a message.
/// </summary>
internal static class CredentialFiles
{
    private const long MaxReadBytes = 1024 * 1024;

    /// <summary>Warns (or stops, or does nothing) for each planned file that looks like a credential store.</summary>
    /// <param name="plan">The layers about to be written.</param>
    /// <param name="workingDirectory">Where the publish output goes in the image (<c>/app/</c>): advice names files relative to it, as the project does.</param>
    /// <param name="check">Warning, Error or None.</param>
    /// <param name="warning">Receives each warning (code, message).</param>
    public static void Check(IEnumerable<PlannedLayer> plan, string workingDirectory, CredentialFileCheck check, Action<string, string> warning)
    {
        if (check == CredentialFileCheck.None)
        {
            return;
        }
        string app = LayerPath.Normalize(workingDirectory) + "/";
        var findings = plan.SelectMany(layer => layer.Entries)
            .Where(e => e.Kind == LayerEntryKind.File && e.SourcePath is not null)
            .Select(e => (Entry: e, What: Describe(e.Path, e.SourcePath!)))
            .Where(f => f.What is not null)
            .Select(f => (Text: $"/{f.Entry.Path} ({f.What}, from {f.Entry.SourcePath})",
                Advice: Advice(f.Entry.Path.StartsWith(app, StringComparison.Ordinal) ? f.Entry.Path[app.Length..] : Path.GetFileName(f.Entry.Path))))
            .ToList();
        if (findings.Count > 0 && check == CredentialFileCheck.Error)
        {
            throw new ContainerTasksException(ErrorCodes.CredentialFileInImage,
                $"The image would contain {(findings.Count == 1 ? "a file that looks like a credential store" : "files that look like credential stores")}: {string.Join("; ", findings.Select(f => f.Text))}. {findings[0].Advice}");
        }
        foreach (var finding in findings)
        {
            warning(ErrorCodes.CredentialFileInImage,
                $"The image contains {finding.Text}, which looks like a credential store. {finding.Advice} ContainerCredentialFileCheck=Error makes this an error.");
        }
    }

    private static string Advice(string projectRelative)
        => $"Anyone who can pull the image can read it. Keep it out of the publish output, e.g. <Content Update=\"{projectRelative}\" CopyToPublishDirectory=\"Never\" /> "
            + "(<None Update=…> for a None item), or set ContainerCredentialFileCheck=None if it must be in the image.";

    /// <summary>What kind of secret the file looks like it holds, or null; reads the file only when its name is a known store's.</summary>
    public static string? Describe(string pathInImage, string sourcePath)
    {
        string name = Path.GetFileName(pathInImage).ToLowerInvariant();
        string path = "/" + pathInImage.Replace('\\', '/').TrimStart('/').ToLowerInvariant();
        string extension = Path.GetExtension(name);
        if (extension is ".pfx" or ".p12")
        {
            return "a PKCS#12 store, which holds a private key";
        }
        (string[] Markers, string What)? rule = name switch
        {
            "nuget.config" => (["<packageSourceCredentials"], "NuGet feed credentials in packageSourceCredentials"),
            ".npmrc" => (["_authToken", "_password", "_auth="], "an npm token or password"),
            "config.json" when path.EndsWith("/.docker/config.json", StringComparison.Ordinal) => (["\"auth\"", "\"identitytoken\"", "\"password\""], "registry credentials (auths)"),
            "auth.json" when path.EndsWith("/containers/auth.json", StringComparison.Ordinal) => (["\"auth\""], "registry credentials (auths)"),
            _ when extension is ".pem" or ".key" || name is "id_rsa" or "id_ecdsa" or "id_ed25519" or "id_dsa" => (["PRIVATE KEY-----"], "a private key"),
            _ => null,
        };
        return rule is { } r && Contains(sourcePath, r.Markers) ? r.What : null;
    }

    private static bool Contains(string sourcePath, string[] markers)
    {
        try
        {
            // Only a small regular file is read: a FIFO named nuget.config must not hang the build (the layer refuses it anyway).
            byte[]? bytes = FileSystem.RegularFile.TryReadAll(sourcePath, MaxReadBytes);
            string text = bytes is null ? "" : new StreamReader(new MemoryStream(bytes), detectEncodingFromByteOrderMarks: true).ReadToEnd();
            return markers.Any(m => text.Contains(m, StringComparison.OrdinalIgnoreCase));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unreadable here means unreadable for the layer too; that error (CT2003) is clearer than a guess.
            return false;
        }
    }
}
