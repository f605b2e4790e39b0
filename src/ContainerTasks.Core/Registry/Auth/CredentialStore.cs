using System.Text;
using System.Text.Json;
using ContainerTasks.Model;
using ContainerTasks.Processes;
using ContainerTasks.Registry.Auth.Cloud;

namespace ContainerTasks.Registry.Auth;

/// <summary>
/// Finds credentials for a registry, in this order:
/// <list type="number">
/// <item>Environment variables, scoped as the SDK's built-in support scopes them: the push and generic pairs
/// (<c>DOTNET_CONTAINER_PUSH_REGISTRY_UNAME/PWORD</c>, <c>DOTNET_CONTAINER_REGISTRY_UNAME/PWORD</c>,
/// <c>SDK_CONTAINER_REGISTRY_UNAME/PWORD</c>) only for the output registry; <c>DOTNET_CONTAINER_PULL_REGISTRY_UNAME/PWORD</c>
/// only for the base registry, which gets the generic pair too only when it is also the output registry.</item>
/// <item>Auth files: <c>REGISTRY_AUTH_FILE</c>, <c>$XDG_RUNTIME_DIR/containers/auth.json</c>, <c>$DOCKER_CONFIG/config.json</c>
/// or <c>~/.docker/config.json</c>, each with <c>credHelpers</c>, <c>credsStore</c> and <c>auths</c> (per-repository keys: most specific wins).</item>
/// <item>For the registries of Azure, AWS and Google only: the build's cloud identity (<see cref="CloudCredentialSources"/>),
/// obtained when the registry first asks.</item>
/// </list>
/// No credentials is a normal answer: the registry then gets anonymous requests.
/// </summary>
internal sealed class CredentialStore
{
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly string? _baseRegistry;
    private readonly string? _outputRegistry;
    private readonly Action<string>? _log;
    private readonly CloudCredentialSources? _cloud;
    private readonly Dictionary<(string, string, RegistryRole), RegistryCredential?> _cache = new();
    private readonly object _gate = new();

    /// <summary>Creates a store for one build.</summary>
    /// <param name="environment">The build's environment snapshot.</param>
    /// <param name="baseRegistry">The registry the base image comes from, if any.</param>
    /// <param name="outputRegistry">The registry the image is pushed to, if any.</param>
    /// <param name="log">Receives one line per registry naming where its credentials came from (never the secret).</param>
    /// <param name="cloud">Credentials from the build's cloud identity, for the clouds' registries; none when null.</param>
    public CredentialStore(IReadOnlyDictionary<string, string> environment, string? baseRegistry, string? outputRegistry, Action<string>? log = null,
        CloudCredentialSources? cloud = null)
    {
        _cloud = cloud;
        _environment = environment;
        _baseRegistry = baseRegistry;
        _outputRegistry = outputRegistry;
        _log = log;
    }

    /// <summary>The credentials for <paramref name="registry"/>/<paramref name="repository"/> in <paramref name="role"/>, or null.</summary>
    public RegistryCredential? Find(string registry, string repository, RegistryRole role)
    {
        lock (_gate)
        {
            var key = (registry, repository, role);
            if (!_cache.TryGetValue(key, out RegistryCredential? credential))
            {
                credential = FromEnvironment(registry, role) ?? FromAuthFiles(registry, repository) ?? FromCloud(registry);
                _cache[key] = credential;
                _log?.Invoke(credential is null
                    ? $"No credentials for {registry}: requests are anonymous."
                    : $"Credentials for {registry} ({role.ToString().ToLowerInvariant()}): {credential}.");
            }
            return credential;
        }
    }

    private RegistryCredential? FromEnvironment(string registry, RegistryRole role)
    {
        bool isOutput = Same(registry, _outputRegistry);
        bool isBase = Same(registry, _baseRegistry);
        var pairs = new List<string>();
        if (role == RegistryRole.Push && isOutput)
        {
            pairs.AddRange(["DOTNET_CONTAINER_PUSH_REGISTRY", "DOTNET_CONTAINER_REGISTRY", "SDK_CONTAINER_REGISTRY"]);
        }
        else if (role == RegistryRole.Pull && isBase)
        {
            pairs.Add("DOTNET_CONTAINER_PULL_REGISTRY");
            if (isOutput)
            {
                pairs.AddRange(["DOTNET_CONTAINER_REGISTRY", "SDK_CONTAINER_REGISTRY"]);
            }
        }
        foreach (string prefix in pairs)
        {
            if (_environment.TryGetValue(prefix + "_UNAME", out string? user) && !string.IsNullOrEmpty(user)
                && _environment.TryGetValue(prefix + "_PWORD", out string? password) && !string.IsNullOrEmpty(password))
            {
                return RegistryCredential.FromUserPassword(user, password, $"environment {prefix}_UNAME/PWORD");
            }
        }
        return null;
    }

    private RegistryCredential? FromCloud(string registry) => _cloud?.For(registry) is { } source ? RegistryCredential.FromSource(source) : null;

    private static bool Same(string registry, string? other) => other is not null && NormalizeKey(other) == NormalizeKey(registry);

    private IEnumerable<string> AuthFiles()
    {
        string? Get(string name) => _environment.TryGetValue(name, out string? v) && !string.IsNullOrEmpty(v) ? v : null;
        if (Get("REGISTRY_AUTH_FILE") is { } authFile)
        {
            yield return authFile;
        }
        if (Get("XDG_RUNTIME_DIR") is { } runtime)
        {
            yield return Path.Combine(runtime, "containers", "auth.json");
        }
        string? home = Get("HOME") ?? Get("USERPROFILE");
        if (Get("DOCKER_CONFIG") is { } dockerConfig)
        {
            yield return Path.Combine(dockerConfig, "config.json");
        }
        else if (home is not null)
        {
            yield return Path.Combine(home, ".docker", "config.json");
        }
    }

    private RegistryCredential? FromAuthFiles(string registry, string repository)
    {
        string wanted = NormalizeKey(registry);
        foreach (string file in AuthFiles())
        {
            if (!File.Exists(file))
            {
                continue;
            }
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
            {
                throw new ContainerTasksException(ErrorCodes.CredentialSourceError,
                    $"The credentials file '{file}' cannot be read: {e.Message}. Fix or remove it (it is read for every registry).", e);
            }
            using (document)
            {
                JsonElement root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }
                if (root.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind == JsonValueKind.Object)
                {
                    foreach (var helper in helpers.EnumerateObject())
                    {
                        if (NormalizeKey(helper.Name) == wanted && helper.Value.ValueKind == JsonValueKind.String && helper.Value.GetString() is { Length: > 0 } name)
                        {
                            return FromHelper(name, registry, file);
                        }
                    }
                }
                if (root.TryGetProperty("credsStore", out var store) && store.ValueKind == JsonValueKind.String && store.GetString() is { Length: > 0 } storeName)
                {
                    if (FromHelper(storeName, registry, file) is { } fromStore)
                    {
                        return fromStore;
                    }
                }
                if (root.TryGetProperty("auths", out var auths) && auths.ValueKind == JsonValueKind.Object)
                {
                    if (FromAuths(auths, wanted, repository, file) is { } fromAuths)
                    {
                        return fromAuths;
                    }
                }
            }
        }
        return null;
    }

    private static RegistryCredential? FromAuths(JsonElement auths, string registry, string repository, string file)
    {
        // Podman allows keys per repository ("quay.io/org/repo"); the longest matching key wins.
        JsonElement? best = null;
        int bestLength = -1;
        foreach (var entry in auths.EnumerateObject())
        {
            string key = NormalizeKey(entry.Name);
            string full = $"{registry}/{repository}";
            bool matches = key == registry || full == key || full.StartsWith(key + "/", StringComparison.Ordinal);
            if (matches && key.Length > bestLength && entry.Value.ValueKind == JsonValueKind.Object)
            {
                best = entry.Value;
                bestLength = key.Length;
            }
        }
        if (best is not { } value)
        {
            return null;
        }
        string source = $"'{file}'";
        if (Text(value, "identitytoken") is { Length: > 0 } token)
        {
            return RegistryCredential.FromIdentityToken(token, null, source);
        }
        if (Text(value, "registrytoken") is { Length: > 0 } bearer)
        {
            return RegistryCredential.FromBearerToken(bearer, source);
        }
        if (Text(value, "auth") is { Length: > 0 } encoded)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            }
            catch (FormatException e)
            {
                throw new ContainerTasksException(ErrorCodes.CredentialSourceError,
                    $"The 'auth' value for {registry} in '{file}' is not base64 of user:password. Log in again (docker login / podman login).", e);
            }
            int colon = decoded.IndexOf(':');
            if (colon <= 0)
            {
                throw new ContainerTasksException(ErrorCodes.CredentialSourceError,
                    $"The 'auth' value for {registry} in '{file}' is not of the form user:password. Log in again.");
            }
            return RegistryCredential.FromUserPassword(decoded[..colon], decoded[(colon + 1)..], source);
        }
        if (Text(value, "username") is { Length: > 0 } u && Text(value, "password") is { Length: > 0 } p)
        {
            return RegistryCredential.FromUserPassword(u, p, source);
        }
        return null;
    }

    // Values of another JSON type (a number where a string belongs) are as good as absent, never a crash.
    private static string? Text(JsonElement element, string name)
        => element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private RegistryCredential? FromHelper(string helper, string registry, string file)
    {
        string program = "docker-credential-" + helper;
        string serverUrl = NormalizeKey(registry) == DockerHub.Name ? DockerHub.CredentialServer : registry;
        string executable = ExecutableLookup.Find(program, _environment) ?? throw new ContainerTasksException(ErrorCodes.CredentialSourceError,
            $"'{file}' names the credential helper '{helper}', but '{program}' is not on PATH (only absolute PATH folders are searched, never the current folder). Install it, or remove it from the file.");
        ToolResult result;
        try
        {
            result = ToolRunner.Run(executable, ["get"], _environment, serverUrl, TimeSpan.FromSeconds(30));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ContainerTasksException(ErrorCodes.CredentialSourceError,
                $"The credential helper '{executable}' named in '{file}' cannot be started: {e.Message}.", e);
        }
        if (result.TimedOut)
        {
            throw new ContainerTasksException(ErrorCodes.CredentialSourceError, $"The credential helper '{program}' did not answer within 30 s.");
        }
        if (result.ExitCode != 0)
        {
            string message = (result.Output + result.Error).Trim();
            if (message.Contains("credentials not found", StringComparison.OrdinalIgnoreCase) || message.Contains("not found in", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
            throw new ContainerTasksException(ErrorCodes.CredentialSourceError,
                $"The credential helper '{program}' failed (exit {result.ExitCode}) for {registry}. Run '{program} get' by hand to see why.");
        }
        return ParseHelperAnswer(result.Output, program);
    }

    private static RegistryCredential? ParseHelperAnswer(string output, string program)
    {
        // A helper that succeeds without a word (it may not even have read the server name) has nothing for this registry.
        if (output.Trim().Length == 0)
        {
            return null;
        }
        try
        {
            using var json = JsonDocument.Parse(output);
            string user = json.RootElement.GetProperty("Username").GetString() ?? "";
            string secret = json.RootElement.GetProperty("Secret").GetString() ?? "";
            if (secret.Length == 0)
            {
                return null;
            }
            string source = $"credential helper '{program}'";
            return user == "<token>" ? RegistryCredential.FromIdentityToken(secret, null, source) : RegistryCredential.FromUserPassword(user, secret, source);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ContainerTasksException(ErrorCodes.CredentialSourceError,
                $"The credential helper '{program}' printed something that is not {{\"Username\",\"Secret\"}} JSON.", e);
        }
    }

    /// <summary>
    /// Normalises an auth-file key or registry name: no scheme, no trailing <c>/</c>, no <c>/v1</c> or <c>/v2</c> path,
    /// and Docker Hub's several names as <c>docker.io</c>. Repository paths (Podman's per-repository keys) stay.
    /// </summary>
    public static string NormalizeKey(string key)
    {
        string k = key.Trim();
        int scheme = k.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            k = k[(scheme + 3)..];
        }
        k = k.TrimEnd('/');
        foreach (string suffix in new[] { "/v1", "/v2" })
        {
            if (k.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                k = k[..^suffix.Length];
            }
        }
        int slash = k.IndexOf('/');
        string host = (slash < 0 ? k : k[..slash]).ToLowerInvariant();
        string path = slash < 0 ? "" : k[slash..];
        if (DockerHub.IsOtherName(host))
        {
            host = DockerHub.Name;
        }
        return host + path;
    }
}
