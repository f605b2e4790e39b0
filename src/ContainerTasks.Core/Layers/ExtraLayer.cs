namespace ContainerTasks.Layers;

/// <summary>A folder or file the project adds as its own layer (<c>ContainerLayer</c> items).</summary>
/// <param name="Source">A file or folder on the build machine.</param>
/// <param name="Destination">Where it goes in the image (a folder for a folder source).</param>
/// <param name="Mode">An explicit mode for every file, or null for the usual rules.</param>
public sealed record ExtraLayer(string Source, string Destination, int? Mode);
