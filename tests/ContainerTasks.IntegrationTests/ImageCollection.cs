using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>Shares <see cref="BaseImages"/> across the test classes that need real images.</summary>
[CollectionDefinition(Name)]
public sealed class ImageCollection : ICollectionFixture<BaseImages>
{
    /// <summary>The collection name.</summary>
    public const string Name = BaseImages.CollectionName;
}

/// <summary>
/// The image tests that drive container engines, the registry cache and supply-chain outputs: a second collection,
/// run beside <see cref="ImageCollection"/> (the two halve the suite's time), sharing its base images.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EngineImageCollection : ICollectionFixture<BaseImages>
{
    /// <summary>The collection name.</summary>
    public const string Name = BaseImages.SecondCollectionName;
}
