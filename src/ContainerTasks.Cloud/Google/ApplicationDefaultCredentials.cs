using System.Diagnostics;
using System.Text.Json;
using ContainerTasks.Registry.Auth.Cloud;
using ContainerTasks.Registry.Auth.Cloud.Google;
using Google.Apis.Auth.OAuth2;

namespace ContainerTasks.Cloud.Google;

/// <summary>A Google credential that was found, and which identity it is (for logs and errors).</summary>
internal sealed class FoundCredential
{
    public FoundCredential(GoogleCredential credential, string identity, string type)
    {
        Credential = credential;
        Identity = identity;
        Type = type;
    }

    /// <summary>The credential file's <c>type</c>, or <c>metadata_server</c>.</summary>
    public string Type { get; }

    /// <summary>The credential, scoped to cloud-platform.</summary>
    public GoogleCredential Credential { get; }

    /// <summary>Which identity, without secrets.</summary>
    public string Identity { get; }
}

/// <summary>
/// Google's Application Default Credentials, looked up in the order Google documents (and
/// <c>GoogleCredential.GetApplicationDefaultAsync</c> follows), but from the build's environment snapshot rather than the
/// process environment, and without caching a failure for the life of the process (an MSBuild node outlives a build):
/// <list type="number">
/// <item><c>GOOGLE_APPLICATION_CREDENTIALS</c>: a credential file (service account key, external account configuration for
/// workload identity federation, authorized user, impersonated service account);</item>
/// <item>gcloud's <c>application_default_credentials.json</c> in <c>CLOUDSDK_CONFIG</c>, else <c>%APPDATA%\gcloud</c>
/// (Windows) or <c>$HOME/.config/gcloud</c>;</item>
/// <item>the metadata server of Compute Engine, GKE, Cloud Run and Cloud Build, unless <c>NO_GCE_CHECK=true</c>.</item>
/// </list>
/// The metadata server probe is Google.Apis.Auth's own (<c>ComputeCredential.IsRunningOnComputeEngine</c>): it reads
/// <c>GCE_METADATA_HOST</c> from the process environment itself (MSBuild's task environment is the process environment),
/// tries three times with 500 ms each, then reads the BIOS product name, and caches its answer for the process. Off Google
/// Cloud that costs at most about 1.5 s, once, and only when nothing above was found.
/// </summary>
internal static class ApplicationDefaultCredentials
{
    /// <summary>The scope every Google Cloud API, the registries included, accepts.</summary>
    public const string CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

    private const string KeyFileVariable = "GOOGLE_APPLICATION_CREDENTIALS";
    private const string WellKnownFile = "application_default_credentials.json";

    /// <summary>The first identity found in <paramref name="environment"/>, or CT3021 listing what was tried.</summary>
    public static async Task<FoundCredential> FindAsync(IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var tried = new List<string>();
        if (Variable(environment, KeyFileVariable) is { } path)
        {
            if (!File.Exists(path))
            {
                throw NotFound($"{KeyFileVariable} names '{path}', which does not exist", [], "Point it at the key or configuration file your CI wrote, or unset it.");
            }
            return await LoadAsync(path, KeyFileVariable, cancellationToken).ConfigureAwait(false);
        }
        tried.Add($"{KeyFileVariable} (not set)");

        string? wellKnown = WellKnownPath(environment);
        if (wellKnown is not null && File.Exists(wellKnown))
        {
            return await LoadAsync(wellKnown, "gcloud's application default credentials", cancellationToken).ConfigureAwait(false);
        }
        tried.Add(wellKnown is null ? $"gcloud's {WellKnownFile} (no CLOUDSDK_CONFIG, APPDATA or HOME)" : $"gcloud's '{wellKnown}' (no such file)");

        if (IsTrue(Variable(environment, "NO_GCE_CHECK")))
        {
            tried.Add("the metadata server (skipped: NO_GCE_CHECK=true)");
        }
        else
        {
            var clock = Stopwatch.StartNew();
            if (await ComputeCredential.IsRunningOnComputeEngine().WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                return await FromMetadataServerAsync(cancellationToken).ConfigureAwait(false);
            }
            tried.Add($"the metadata server at {MetadataHost()} (not on Google Cloud: no answer in {clock.ElapsedMilliseconds} ms)");
        }
        throw NotFound("no Google identity was found", tried,
            $"Set {KeyFileVariable} to a service account key or a workload identity federation configuration (in CI, google-github-actions/auth writes one), run 'gcloud auth application-default login', or run on Google Cloud with a service account attached.");
    }

    /// <summary>The metadata server's credential, named by its service account's e-mail when the server tells it within 2 s.</summary>
    private static async Task<FoundCredential> FromMetadataServerAsync(CancellationToken cancellationToken)
    {
        var compute = new ComputeCredential();
        string? email = null;
        try
        {
            email = (await compute.GetDefaultServiceAccountEmailAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false)).Trim();
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Only the name in messages is missing: the token request will tell whether the server works.
        }
        string identity = email is { Length: > 0 } ? $"service account {email} of the metadata server ({MetadataHost()})" : $"service account of the metadata server ({MetadataHost()})";
        return new FoundCredential(GoogleCredential.FromComputeCredential(compute).CreateScoped(CloudPlatformScope), identity, "metadata_server");
    }

    private static async Task<FoundCredential> LoadAsync(string path, string via, CancellationToken cancellationToken)
    {
        CredentialFile file;
        GoogleCredential credential;
        try
        {
            file = CredentialFile.Read(path);
            credential = await CredentialFactory.FromFileAsync(path, file.Type, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or InvalidOperationException
            or NotSupportedException or NotImplementedException or ArgumentException or FormatException)
        {
            throw NotFound($"'{path}' (from {via}) is not a Google credential file this build can use: {e.Message}", [],
                "Write the file again (a service account key, or 'gcloud iam workload-identity-pools create-cred-config'), or unset the variable.");
        }
        return new FoundCredential(credential.CreateScoped(CloudPlatformScope), $"{file.Identity} (from {via} '{path}')", file.Type);
    }

    /// <summary>gcloud's configuration folder's credential file, as gcloud and the other Google client libraries look for it.</summary>
    internal static string? WellKnownPath(IReadOnlyDictionary<string, string> environment)
    {
        if (Variable(environment, "CLOUDSDK_CONFIG") is { } config)
        {
            return Path.Combine(config, WellKnownFile);
        }
        if (OperatingSystem.IsWindows() && Variable(environment, "APPDATA") is { } appData)
        {
            return Path.Combine(appData, "gcloud", WellKnownFile);
        }
        return Variable(environment, "HOME") is { } home ? Path.Combine(home, ".config", "gcloud", WellKnownFile) : null;
    }

    // Google.Apis.Auth reads GCE_METADATA_HOST from the process environment itself.
    private static string MetadataHost() => Environment.GetEnvironmentVariable("GCE_METADATA_HOST") is { Length: > 0 } host ? host : "169.254.169.254";

    private static bool IsTrue(string? value) => value is not null && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1");

    private static string? Variable(IReadOnlyDictionary<string, string> environment, string name) => CloudContext.Variable(environment, name);

    private static ContainerTasksException NotFound(string what, IReadOnlyList<string> tried, string fix)
        => new(ErrorCodes.CloudIdentityNotFound,
            $"{Capitalized(what)}{(tried.Count == 0 ? "" : $"; tried {string.Join(", ", tried)}")}. {fix} Or give the registry a credential another way (docker login, DOTNET_CONTAINER_REGISTRY_UNAME/PWORD) and set ContainerCloudCredentials=false.");

    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
