using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Identity;
using ContainerTasks.Registry.Auth.Cloud.Azure;

namespace ContainerTasks.Cloud.Azure;

/// <summary>
/// The build's Azure identity with Azure.Identity: the sources of <see cref="AzureIdentitySources"/> are tried in order,
/// and the first that gives a token is kept for the renewals of the build. A source that is set up but refused by
/// Entra ID stops the search (CT3022, with the AADSTS code): a later source would push as another identity than meant.
/// No source: CT3021, listing what was tried and what each needs.
/// </summary>
internal sealed class AzureIdentity : IAzureIdentity
{
    private static readonly Regex EntraError = new(@"AADSTS\d+:[^\r\n]*?(?=\s*(Trace ID:|Correlation ID:|Timestamp:|$))", RegexOptions.CultureInvariant | RegexOptions.Multiline);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (TokenCredential Credential, AzureIdentitySource Source)? _chosen;

    /// <inheritdoc/>
    public async Task<AzureAccessToken> GetTokenAsync(AzureTokenRequest request, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_chosen is { } chosen)
            {
                return await GetAsync(chosen.Credential, chosen.Source, request, cancellationToken).ConfigureAwait(false);
            }
            var tried = new List<string>();
            foreach (var find in AzureIdentitySources.InOrder(request))
            {
                AzureIdentitySource source = await find(cancellationToken).ConfigureAwait(false);
                if (!source.IsConfigured)
                {
                    tried.Add($"{source.Name}: {source.Missing}");
                    continue;
                }
                request.Context.Log?.Invoke($"{request.Registry}: asking Entra ID for a token of {source.Description}.");
                TokenCredential credential = Create(source, request);
                try
                {
                    AzureAccessToken token = await GetAsync(credential, source, request, cancellationToken).ConfigureAwait(false);
                    _chosen = (credential, source);
                    return token;
                }
                catch (CredentialUnavailableException e)
                {
                    tried.Add($"{source.Name}: {Scrub(FirstLine(e.Message), source)}");
                }
            }
            throw NotFound(request, tried);
        }
        finally
        {
            _gate.Release();
        }
    }

    // A value the library refuses (a tenant id of the wrong shape, a certificate it cannot read) is a setting to fix.
    private static TokenCredential Create(AzureIdentitySource source, AzureTokenRequest request)
    {
        try
        {
            return source.CreateCredential();
        }
        catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ContainerTasksException(ErrorCodes.CloudIdentityNotFound,
                $"{source.Description} cannot be used for {request.Registry}: {Scrub(FirstLine(e.Message), source)}. Check the variables of {source.Name}.", e);
        }
    }

    private static async Task<AzureAccessToken> GetAsync(TokenCredential credential, AzureIdentitySource source, AzureTokenRequest request, CancellationToken cancellationToken)
    {
        try
        {
            AccessToken token = await credential.GetTokenAsync(new TokenRequestContext([request.Scope]), cancellationToken).ConfigureAwait(false);
            return new AzureAccessToken(token.Token, source.Description, source.TenantId);
        }
        catch (AuthenticationFailedException e) when (Inner<ContainerTasksException>(e) is { } ours)
        {
            throw ours;
        }
        catch (AuthenticationFailedException e)
        {
            throw Refused(request, source, e);
        }
    }

    private static ContainerTasksException NotFound(AzureTokenRequest request, List<string> tried)
        => new(ErrorCodes.CloudIdentityNotFound,
            $"No Azure identity was found for {request.Registry}. Tried: {string.Join("; ", tried.Select((t, i) => $"{i + 1}. {t}"))}. "
            + "Set one up (a workload identity federated credential in CI, a managed identity on Azure, or az login; see 'Azure Container Registry' in docs/authentication.md), "
            + $"or give {request.Registry} a credential another way (docker login, DOTNET_CONTAINER_REGISTRY_UNAME/PWORD).");

    private static ContainerTasksException Refused(AzureTokenRequest request, AzureIdentitySource source, AuthenticationFailedException e)
    {
        string detail = EntraDetail(e) is { } aadsts ? aadsts : FirstLine(Innermost(e).Message);
        string hint = detail switch
        {
            _ when detail.StartsWith("AADSTS7000215", StringComparison.Ordinal) => "The client secret is wrong or expired: use the secret's value (not its id), or create a new one.",
            _ when detail.StartsWith("AADSTS700016", StringComparison.Ordinal) => "No application with that client id is in the tenant: check AZURE_CLIENT_ID and AZURE_TENANT_ID.",
            _ when detail.StartsWith("AADSTS70021", StringComparison.Ordinal) || detail.StartsWith("AADSTS700213", StringComparison.Ordinal)
                => "No federated credential of the application matches this token: check the federated credential's issuer, subject (branch, environment, service account) and audience (api://AzureADTokenExchange).",
            _ when detail.StartsWith("AADSTS", StringComparison.Ordinal) => "Check the identity's settings in Entra ID.",
            _ => $"Check that {request.AuthorityHost.Host} can be reached (network, HTTPS_PROXY, NO_PROXY) and the identity's settings.",
        };
        return new ContainerTasksException(ErrorCodes.CloudTokenServiceError,
            $"Microsoft Entra ID ({request.AuthorityHost.Host}) gave no token to {source.Description} for {request.Registry}: {Scrub(detail, source)}. {hint}", e);
    }

    private static string? EntraDetail(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (EntraError.Match(current.Message) is { Success: true } match)
            {
                return match.Value.Trim();
            }
        }
        return null;
    }

    private static T? Inner<T>(Exception e) where T : Exception
    {
        for (Exception? current = e.InnerException; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }
        return null;
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static string Scrub(string text, AzureIdentitySource source)
        => Registry.RegistryText.Clean(source.Secrets.Aggregate(text, (current, secret) => current.Replace(secret, "<secret>", StringComparison.Ordinal)), 600);
}
