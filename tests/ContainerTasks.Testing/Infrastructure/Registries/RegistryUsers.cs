using System.Text;

namespace ContainerTasks.Tests.Infrastructure.Registries;

/// <summary>A user name and password for the test registries.</summary>
public sealed record RegistryCredential(string User, string Password)
{
    /// <summary>The value of a Basic <c>Authorization</c> header: <c>Basic base64(user:password)</c>.</summary>
    public string BasicHeader => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"));

    /// <summary><c>user:password</c>, as skopeo's <c>--creds</c>/<c>--dest-creds</c> take it.</summary>
    public string SkopeoCreds => $"{User}:{Password}";
}

/// <summary>
/// Actions on the repositories whose names start with <see cref="Prefix"/> ("" = every repository).
/// Actions are the strings of registry scopes: <c>pull</c>, <c>push</c>, <c>delete</c>, <c>*</c>.
/// </summary>
public sealed record RepositoryGrant(string Prefix, params string[] Actions)
{
    /// <summary>True when this grant covers <paramref name="repository"/>.</summary>
    public bool Covers(string repository) => repository.StartsWith(Prefix, StringComparison.Ordinal);
}

/// <summary>A user of the test registries and what the token server lets it do.</summary>
public sealed record RegistryUser(RegistryCredential Credential, IReadOnlyList<RepositoryGrant> Grants, bool MayListCatalog = false)
{
    /// <summary>The actions of <paramref name="requested"/> this user may take on <paramref name="repository"/>.</summary>
    public IReadOnlyList<string> Allowed(string repository, IEnumerable<string> requested)
        => requested.Distinct().Where(action => Grants.Any(g => g.Covers(repository) && g.Actions.Contains(action))).ToArray();
}

/// <summary>
/// The users of every authenticating test registry.
/// Token mode enforces these grants per repository. Basic mode (htpasswd) only authenticates: any valid
/// user may do anything there, because Distribution's htpasswd access controller has no authorization.
/// </summary>
public static class RegistryUsers
{
    /// <summary><c>pusher</c>/<c>push-secret-1</c>: pull, push and delete on every repository, and the catalog.</summary>
    public static RegistryCredential Pusher { get; } = new("pusher", "push-secret-1");

    /// <summary><c>puller</c>/<c>pull-secret-2</c>: pull on every repository.</summary>
    public static RegistryCredential Puller { get; } = new("puller", "pull-secret-2");

    /// <summary>The repository prefix anonymous users may pull from (token mode).</summary>
    public const string PublicPrefix = "public/";

    /// <summary>The default users.</summary>
    public static IReadOnlyList<RegistryUser> Defaults { get; } =
    [
        new(Pusher, [new RepositoryGrant("", "pull", "push", "delete", "*")], MayListCatalog: true),
        new(Puller, [new RepositoryGrant("", "pull")]),
    ];

    /// <summary>What anonymous token requests get: pull on <c>public/…</c> only.</summary>
    public static IReadOnlyList<RepositoryGrant> AnonymousDefaults { get; } = [new RepositoryGrant(PublicPrefix, "pull")];
}
