namespace ContainerTasks.Layers;

/// <summary>Normalises paths inside an image.</summary>
public static class LayerPath
{
    /// <summary>
    /// <c>\</c> becomes <c>/</c>; leading <c>/</c> and <c>./</c>, empty and <c>.</c> segments go; the result is NFC.
    /// A <c>..</c> segment or an empty result is CT2001.
    /// </summary>
    public static string Normalize(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var segments = new List<string>();
        foreach (string segment in path.Replace('\\', '/').Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }
            if (segment == "..")
            {
                throw new ContainerTasksException(ErrorCodes.InvalidLayerPath,
                    $"The path '{path}' goes up with '..'. Paths in a layer must stay inside the image's root.");
            }
            if (segment.Contains('\0'))
            {
                throw new ContainerTasksException(ErrorCodes.InvalidLayerPath, $"The path '{path}' contains a NUL character.");
            }
            segments.Add(segment);
        }
        if (segments.Count == 0)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidLayerPath,
                $"The path '{path}' names the image's root; give a file or directory path such as /app/app.dll.");
        }
        return string.Join('/', segments).Normalize(System.Text.NormalizationForm.FormC);
    }

    /// <summary>Joins a directory in the image and a relative path, then normalises.</summary>
    public static string Combine(string directory, string relative) => Normalize(directory.TrimEnd('/', '\\') + "/" + relative);
}
