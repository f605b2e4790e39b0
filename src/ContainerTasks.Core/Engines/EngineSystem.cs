using ContainerTasks.Model;

namespace ContainerTasks.Engines;

/// <summary>
/// An engine loads only images of the system its containers run (Docker on Linux, or Docker Desktop switched to Windows
/// containers), every image of an archive: said before the image is written, rather than after it was sent.
/// </summary>
internal static class EngineSystem
{
    /// <summary>CT4138 when an image of <paramref name="images"/> is for another system than <paramref name="os"/>; nothing when the engine did not say (empty).</summary>
    public static void Check(IReadOnlyList<IImage> images, string os, string engine)
    {
        if (os.Length == 0 || images.FirstOrDefault(i => !string.Equals(i.Platform.Os, os, StringComparison.OrdinalIgnoreCase)) is not { } other)
        {
            return;
        }
        Platform platform = other.Platform;
        string which = images.Count == 1 ? "The image is" : $"One of the {images.Count} platform images is";
        throw new ContainerTasksException(ErrorCodes.EngineSystemMismatch,
            $"{which} for {platform}, and {engine} runs {Registry.RegistryText.Clean(os, 20)} containers: it cannot load it. Push the image to a registry (ContainerRegistry), "
            + $"write it to an archive (ContainerArchiveOutputPath), or load it into an engine that runs {platform.Os} containers{(platform.IsWindows ? " (Docker Desktop switched to Windows containers)" : "")}"
            + (images.Count == 1 ? "." : ", publishing each system's platforms on their own (ContainerRuntimeIdentifiers)."));
    }
}
