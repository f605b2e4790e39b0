namespace ContainerTasks.Registry.Auth.Cloud;

/// <summary>What a cloud's credential source gets from the build.</summary>
internal sealed class CloudContext
{
    /// <param name="environment">The build's environment snapshot (the cloud's own variables are read from it where its library allows).</param>
    /// <param name="transport">The build's transport, for our own requests to a cloud's token services (proxy, TLS, retries).</param>
    /// <param name="notice">Normal verbosity: which identity source was used (never a token).</param>
    /// <param name="log">Diagnostic details.</param>
    public CloudContext(IReadOnlyDictionary<string, string> environment, RegistryTransport transport, Action<string>? notice, Action<string>? log)
    {
        Environment = environment;
        Transport = transport;
        Notice = notice;
        Log = log;
    }

    /// <summary>The build's environment snapshot.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>The build's transport.</summary>
    public RegistryTransport Transport { get; }

    /// <summary>Lines shown at normal verbosity.</summary>
    public Action<string>? Notice { get; }

    /// <summary>Lines shown at detailed verbosity.</summary>
    public Action<string>? Log { get; }

    /// <summary>The environment variable <paramref name="name"/>, or null when unset or blank.</summary>
    public string? Variable(string name) => Variable(Environment, name);

    /// <summary>The variable <paramref name="name"/> of <paramref name="environment"/>, trimmed, or null when unset or blank.</summary>
    public static string? Variable(IReadOnlyDictionary<string, string> environment, string name)
        => environment.TryGetValue(name, out string? value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
