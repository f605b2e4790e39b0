using System.Collections.Concurrent;

namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>
/// One registry per mode, shared by every test class of the run: started on first use, stopped when the test
/// process exits (disposing a fixture does not stop it). Use as <c>IClassFixture&lt;HttpRegistryFixture&gt;</c>
/// or <c>ICollectionFixture</c>. Tests share the registry, so each test should push to its own repository
/// (<see cref="RegistryServer.NewRepository"/>). Tests that need special settings (token lifetime, users)
/// start their own with <see cref="RegistryServer.StartAsync"/>.
/// </summary>
public abstract class SharedRegistryFixture : IAsyncLifetime
{
    private static readonly ConcurrentDictionary<RegistryMode, Lazy<Task<RegistryServer>>> Servers = new();
    private static readonly ConcurrentDictionary<RegistryMode, Lazy<Task<RegistryShapeSet>>> Shapes = new();
    private readonly RegistryMode _mode;
    private RegistryServer? _server;

    /// <summary>A fixture for the shared registry of <paramref name="mode"/>.</summary>
    protected SharedRegistryFixture(RegistryMode mode) => _mode = mode;

    /// <summary>The shared registry.</summary>
    public RegistryServer Server => _server ?? throw new InvalidOperationException("The fixture has not been initialized.");

    /// <inheritdoc/>
    public async Task InitializeAsync()
        => _server = await Servers.GetOrAdd(_mode, mode => new(() => RegistryServer.StartAsync(mode))).Value;

    /// <summary>Nothing: the shared registry outlives this fixture and stops with the test process.</summary>
    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>
    /// The test bases in every shape (<see cref="RegistryShapes"/>), pushed into the shared registry on first call.
    /// Those repositories are shared too: read them, never push to or delete from them.
    /// </summary>
    public Task<RegistryShapeSet> GetShapesAsync(BaseImages bases)
        => Shapes.GetOrAdd(_mode, _ => new(() => RegistryShapes.PushAsync(Server, bases))).Value;
}

/// <summary>The shared plain-HTTP registry without authentication.</summary>
public sealed class HttpRegistryFixture() : SharedRegistryFixture(RegistryMode.Http);

/// <summary>The shared HTTPS registry with Basic authentication (htpasswd).</summary>
public sealed class BasicAuthRegistryFixture() : SharedRegistryFixture(RegistryMode.HttpsBasic);

/// <summary>The shared HTTPS registry with token authentication (its <see cref="RegistryServer.TokenServer"/> enforces scopes).</summary>
public sealed class TokenRegistryFixture() : SharedRegistryFixture(RegistryMode.HttpsToken);
