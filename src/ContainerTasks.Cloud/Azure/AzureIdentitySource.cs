using Azure.Core;

namespace ContainerTasks.Cloud.Azure;

/// <summary>
/// One place an Azure identity may come from, as found in the build's environment: either configured (it can make its
/// <see cref="TokenCredential"/>) or not, with what is missing. <see cref="Description"/> names the identity (client id,
/// tenant), never a secret.
/// </summary>
internal sealed class AzureIdentitySource
{
    private readonly Func<TokenCredential>? _create;

    private AzureIdentitySource(string name, string description, string? missing, Func<TokenCredential>? create, string? tenantId, IReadOnlyList<string> secrets)
    {
        Name = name;
        Description = description;
        Missing = missing;
        _create = create;
        TenantId = tenantId;
        Secrets = secrets;
    }

    /// <summary>The kind of source, e.g. <c>workload identity (AZURE_FEDERATED_TOKEN_FILE)</c>.</summary>
    public string Name { get; }

    /// <summary>The identity, e.g. <c>Azure workload identity (client 1234…, tenant 5678…)</c>.</summary>
    public string Description { get; }

    /// <summary>Why this source is not used (what to set), or null when it is configured.</summary>
    public string? Missing { get; }

    /// <summary>The tenant, when the source names it.</summary>
    public string? TenantId { get; }

    /// <summary>Secret values this source reads, to be kept out of messages.</summary>
    public IReadOnlyList<string> Secrets { get; }

    /// <summary>True when the source can be tried.</summary>
    public bool IsConfigured => _create is not null;

    /// <summary>A configured source.</summary>
    public static AzureIdentitySource Configured(string name, string description, Func<TokenCredential> create, string? tenantId = null, params string?[] secrets)
        => new(name, description, null, create, tenantId, secrets.Where(s => !string.IsNullOrEmpty(s)).ToArray()!);

    /// <summary>A source that is not set up: <paramref name="missing"/> says what it needs.</summary>
    public static AzureIdentitySource NotConfigured(string name, string missing) => new(name, name, missing, null, null, []);

    /// <summary>The source's credential.</summary>
    public TokenCredential CreateCredential() => (_create ?? throw new InvalidOperationException($"{Name} is not configured."))();

    /// <inheritdoc/>
    public override string ToString() => Description;
}
