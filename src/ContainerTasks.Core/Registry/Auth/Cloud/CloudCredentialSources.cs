using ContainerTasks.Registry.Auth.Cloud.Aws;
using ContainerTasks.Registry.Auth.Cloud.Azure;
using ContainerTasks.Registry.Auth.Cloud.Google;

namespace ContainerTasks.Registry.Auth.Cloud;

/// <summary>
/// The last credential source of <see cref="CredentialStore"/>: for a cloud's registry (<see cref="CloudRegistryHost"/>) that
/// has no other credential, one from the build's cloud identity — unless <see cref="RegistrySettings.CloudCredentials"/> is
/// off. One source per registry host and build, so every repository and role shares its credential and its renewals.
/// Nothing of a cloud's libraries is loaded here: a source loads them when it is first asked for a credential.
/// </summary>
internal sealed class CloudCredentialSources
{
    private readonly CloudContext _context;
    private readonly Dictionary<string, ICredentialSource> _byHost = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _gate = new();

    public CloudCredentialSources(CloudContext context) => _context = context;

    /// <summary>The source for <paramref name="registry"/>, or null when it is not a cloud's registry or cloud credentials are off.</summary>
    public ICredentialSource? For(string registry)
    {
        // A cloud host listed as insecure would get its credential over plain HTTP: it gets none.
        if (!_context.Transport.Settings.CloudCredentials || CloudRegistryHost.Recognize(registry) is not { } host || _context.Transport.Settings.IsInsecure(registry))
        {
            return null;
        }
        lock (_gate)
        {
            if (!_byHost.TryGetValue(host.Host, out ICredentialSource? source))
            {
                source = new CloudIdentityGuard(host.Kind switch
                {
                    CloudKind.Azure => AcrCredentialSource.Create(host, _context),
                    CloudKind.Aws => EcrCredentialSource.Create(host, _context),
                    _ => GoogleCredentialSource.Create(host, _context),
                }, host.Host, _context.Notice);
                _byHost[host.Host] = source;
            }
            return source;
        }
    }
}
