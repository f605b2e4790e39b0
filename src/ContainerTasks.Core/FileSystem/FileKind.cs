namespace ContainerTasks.FileSystem;

/// <summary>What kind of file system object a path names (links followed).</summary>
internal enum FileKind
{
    /// <summary>A regular file: the only kind whose bytes go into a layer.</summary>
    Regular,
    /// <summary>A directory.</summary>
    Directory,
    /// <summary>Anything else: a FIFO, socket, character or block device. Reading one can block or never end.</summary>
    Special,
}
