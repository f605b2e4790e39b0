using ContainerTasks.DotNet;
using ContainerTasks.Model;
using ContainerTasks.Sources;

namespace ContainerTasks.Pipeline;

/// <summary>The config changes of a request: as given, or the project's settings merged with the base by the .NET SDK's rules.</summary>
internal static class SdkConfig
{
    public static ConfigChanges For(BuildRun run, IContainerBuildLog log, SourceImage baseImage, PlatformSettings settings)
    {
        ContainerBuildRequest request = run.Request;
        if (request.Config is { } given)
        {
            return given with { Created = run.Time };
        }
        var baseConfig = ImageConfig.Parse(baseImage.ConfigBytes);
        var resolution = EntrypointRules.Resolve(settings.Entrypoint, baseConfig.Entrypoint);
        foreach (var (code, message) in resolution.Warnings)
        {
            log.Warning(code, message);
        }
        var environment = ValidEnvironment(request.Environment, log);
        var finalEnvironment = baseConfig.EnvironmentAfter(environment);
        // As the SDK does: the ContainerPort items and the ports the app listens on by its environment, both.
        IReadOnlyList<string> ports = request.Ports.Concat(PortInference.FromEnvironment(finalEnvironment)).Distinct(StringComparer.Ordinal).ToList();
        string? user = settings.User;
        if (string.IsNullOrEmpty(user) && finalEnvironment.LastOrDefault(p => p.Key == "APP_UID").Value is { Length: > 0 } appUid)
        {
            user = appUid;
        }
        return new ConfigChanges
        {
            Environment = environment,
            ExposedPorts = ports,
            Labels = Labels(run, baseImage),
            Volumes = request.Volumes,
            Entrypoint = resolution.Entrypoint,
            Cmd = resolution.Cmd,
            User = string.IsNullOrEmpty(user) ? null : user,
            // As given, like the SDK ("/srv/app" stays without the slash the layer paths need).
            WorkingDirectory = settings.WorkingDirectory,
            Created = run.Time,
        };
    }

    private static List<KeyValuePair<string, string>> ValidEnvironment(IReadOnlyList<KeyValuePair<string, string>> requested, IContainerBuildLog log)
    {
        var environment = new List<KeyValuePair<string, string>>();
        foreach (var variable in requested)
        {
            if (!IsValidEnvironmentName(variable.Key))
            {
                log.Warning(ErrorCodes.InvalidEnvironmentVariableName,
                    $"'{variable.Key}' is not a valid environment variable name (letters, digits and '_', not starting with a digit); it was left out of the image.");
                continue;
            }
            environment.Add(variable);
        }
        return environment;
    }

    private static List<KeyValuePair<string, string>> Labels(BuildRun run, SourceImage baseImage)
    {
        var labels = run.Request.Labels.ToList();
        // A local engine's image is left out: its name reads as a registry's (my-base:1 as docker.io/library/my-base:1) and its
        // id is no manifest digest, so the labels would point at an image no registry has. The SBOM and provenance name it.
        if (run.Request.BaseImageLabels && !baseImage.IsScratch && baseImage.FromEngine is null)
        {
            labels.Add(new("org.opencontainers.image.base.name", run.BaseReference?.ToString() ?? run.Request.BaseImage));
            labels.Add(new("org.opencontainers.image.base.digest", baseImage.Identity.ToString()));
        }
        return labels;
    }

    private static bool IsValidEnvironmentName(string name)
        => name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
