using System.Reflection;
using System.Runtime.Loader;

namespace ContainerTasks.Registry.Auth.Cloud;

/// <summary>
/// The clouds' identity libraries (Azure.Identity, AWSSDK.Core, Google.Apis.Auth) and <c>ContainerTasks.Cloud</c>, which
/// wraps them behind the core's interfaces. They live in the folder <c>cloud/</c> next to the core (in the package:
/// <c>tasks/cloud/</c>, beside the <c>tasks/&lt;framework&gt;/</c> folders) and are loaded only when a cloud registry
/// needs them, once per process, into an <see cref="AssemblyLoadContext"/> of their own: other tasks' copies of the same
/// libraries (any version) neither clash with nor replace ours. The core itself is shared, so its interfaces are one type
/// on both sides; an assembly the folder has is always the folder's copy, others (the framework's) the runtime's.
/// </summary>
internal static class CloudLibraries
{
    /// <summary>The assembly in the folder that implements the core's cloud interfaces.</summary>
    public const string AssemblyName = "ContainerTasks.Cloud";

    private static readonly object Gate = new();
    private static Assembly? _loaded;

    /// <summary>A new instance of <paramref name="typeName"/> (a type of <c>ContainerTasks.Cloud</c> with a public parameterless constructor) as <typeparamref name="T"/>.</summary>
    /// <param name="typeName">The type's full name.</param>
    /// <param name="log">Told where the libraries were loaded from and how long that took, the first time.</param>
    public static T Create<T>(string typeName, Action<string>? log = null) where T : class
    {
        Assembly assembly = Load(log);
        Type type = assembly.GetType(typeName, throwOnError: false)
            ?? throw Missing($"'{assembly.Location}' has no type {typeName}: it is of another version than the tasks");
        return Activator.CreateInstance(type) as T
            ?? throw Missing($"{typeName} in '{assembly.Location}' does not implement {typeof(T).Name}: it is of another version than the tasks");
    }

    /// <summary>The folder the libraries are loaded from, or null when there is none.</summary>
    public static string? Folder()
    {
        string here = Path.GetDirectoryName(typeof(CloudLibraries).Assembly.Location) ?? AppContext.BaseDirectory;
        foreach (string candidate in new[] { Path.Combine(here, "cloud"), Path.Combine(here, "..", "cloud") })
        {
            if (File.Exists(Path.Combine(candidate, AssemblyName + ".dll")))
            {
                return Path.GetFullPath(candidate);
            }
        }
        return null;
    }

    private static Assembly Load(Action<string>? log)
    {
        lock (Gate)
        {
            if (_loaded is not null)
            {
                return _loaded;
            }
            string folder = Folder() ?? throw Missing($"the folder cloud/ with {AssemblyName}.dll is not next to '{typeof(CloudLibraries).Assembly.Location}'");
            try
            {
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                var context = new CloudLoadContext(folder, typeof(CloudLibraries).Assembly);
                _loaded = context.LoadFromAssemblyPath(Path.Combine(folder, AssemblyName + ".dll"));
                log?.Invoke($"Loaded the cloud identity libraries from '{folder}' ({System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms).");
                return _loaded;
            }
            catch (Exception e) when (e is IOException or BadImageFormatException or FileLoadException or UnauthorizedAccessException)
            {
                throw Missing($"'{folder}' cannot be loaded: {e.Message}", e);
            }
        }
    }

    private static ContainerTasksException Missing(string what, Exception? inner = null)
        => new(ErrorCodes.CloudLibrariesMissing,
            $"The cloud identity libraries cannot be used: {what}. Restore the ContainerTasks package again (its tasks/cloud/ folder ships them), or give the registry a credential another way (docker login, DOTNET_CONTAINER_REGISTRY_UNAME/PWORD) and set ContainerCloudCredentials=false.", inner);

    private sealed class CloudLoadContext : AssemblyLoadContext
    {
        private readonly string _folder;
        private readonly Assembly _core;

        public CloudLoadContext(string folder, Assembly core)
            : base("ContainerTasks.Cloud", isCollectible: false)
        {
            _folder = folder;
            _core = core;
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (string.Equals(assemblyName.Name, _core.GetName().Name, StringComparison.OrdinalIgnoreCase))
            {
                return _core;
            }
            string candidate = Path.Combine(_folder, assemblyName.Name + ".dll");
            return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) => IntPtr.Zero;
    }
}
