namespace ContainerTasks.Content;

/// <summary>
/// A folder of the cache whose entries go by age: <paramref name="MaxAge"/> says, from a file's name, how long it is kept
/// after it was last written (null: not a name the cache writes there, never deleted). <paramref name="HeldByLock"/>:
/// its files are lock files, deleted only when nobody holds them.
/// </summary>
internal sealed record CacheRetention(string Folder, Func<string, TimeSpan?> MaxAge, bool HeldByLock = false);
