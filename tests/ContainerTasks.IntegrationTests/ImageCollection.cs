using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>Shares <see cref="BaseImages"/> across the test classes that need real images.</summary>
[CollectionDefinition(Name)]
public sealed class ImageCollection : ICollectionFixture<BaseImages>
{
    /// <summary>The collection name.</summary>
    public const string Name = BaseImages.CollectionName;
}
