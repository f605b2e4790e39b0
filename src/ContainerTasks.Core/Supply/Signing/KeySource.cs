using System.Security.Cryptography;

namespace ContainerTasks.Supply.Signing;

/// <summary>
/// Where a key comes from: <c>env:NAME</c>, PEM text, or a file; and the errors of reading it. A message names the file
/// or the variable, never what it holds.
/// </summary>
internal static class KeySource
{
    /// <summary>A file larger than this is no PEM key (and is not read into memory).</summary>
    private const long MaxKeyFileBytes = 64 * 1024;

    /// <summary>The PEM <paramref name="spec"/> names; <paramref name="property"/> is the setting's name for messages.</summary>
    public static string Read(string spec, string property, IReadOnlyDictionary<string, string> environment)
    {
        if (spec.StartsWith("env:", StringComparison.Ordinal) || LooksLikePem(spec))
        {
            return Value(spec, property, environment);
        }
        if (string.IsNullOrWhiteSpace(spec))
        {
            throw NotFound($"{property} is empty: give the path of a PEM key file, or env:NAME");
        }
        var file = new FileInfo(spec);
        if (!file.Exists)
        {
            // A value with no dot may be key text pasted without its PEM lines (base64 and hex have no dot): not repeated.
            throw NotFound(spec.Contains('.', StringComparison.Ordinal)
                ? $"{property} names the file '{spec}', which does not exist"
                : $"{property} names a file that does not exist (the value has no dot, so it is not repeated here: it may be key text rather than a path)");
        }
        if (file.Length > MaxKeyFileBytes)
        {
            throw Invalid($"the key file '{spec}' is {file.Length} bytes, too large for a PEM key");
        }
        try
        {
            return File.ReadAllText(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw NotFound($"the key file '{spec}' could not be read ({e.GetType().Name})");
        }
    }

    /// <summary>The text <paramref name="spec"/> stands for: the variable's value for <c>env:NAME</c>, else the text itself.</summary>
    public static string Value(string spec, string property, IReadOnlyDictionary<string, string> environment)
    {
        if (!spec.StartsWith("env:", StringComparison.Ordinal))
        {
            return spec;
        }
        string name = spec["env:".Length..];
        return environment.TryGetValue(name, out string? value) && !string.IsNullOrEmpty(value)
            ? value
            : throw NotFound($"{property} is env:{name}, and the environment variable {name} is unset or empty");
    }

    /// <summary>How messages name the key of <paramref name="spec"/>: the file or the variable, never PEM text.</summary>
    public static string Describe(string spec)
        => spec.StartsWith("env:", StringComparison.Ordinal) ? $"the key in the environment variable {spec["env:".Length..]}"
            : LooksLikePem(spec) ? "the signing key" : $"the key file '{spec}'";

    /// <summary>The label of the one PEM block in <paramref name="pem"/>; CT4126 when there is none.</summary>
    public static string Label(string pem, string what)
    {
        if (!PemEncoding.TryFind(pem, out PemFields fields))
        {
            throw Invalid($"{what} is not PEM (no -----BEGIN ...----- block with base64 content)");
        }
        return pem[fields.Label].ToString();
    }

    /// <summary>The message for a PEM of another kind than <paramref name="expected"/>.</summary>
    public static string WrongLabel(string what, string label, string expected) => label switch
    {
        "ENCRYPTED SIGSTORE PRIVATE KEY" or "ENCRYPTED COSIGN PRIVATE KEY" =>
            $"{what} is in cosign's own encrypted format ({label}), which only cosign reads; give a PKCS#8 P-256 key (cosign signs with one too)",
        "RSA PRIVATE KEY" or "RSA PUBLIC KEY" or "DSA PRIVATE KEY" or "OPENSSH PRIVATE KEY" => $"{what} is a {label}, not an ECDSA P-256 key",
        _ => $"{what} is a '{label}' PEM, not {expected}",
    };

    /// <summary>CT4125 with <paramref name="why"/>.</summary>
    public static ContainerTasksException NotFound(string why) => new(ErrorCodes.SigningKeyNotFound, $"{why}. Set ContainerSigningKey to a PEM key file or to env:NAME.");

    /// <summary>CT4126 with <paramref name="why"/>.</summary>
    public static ContainerTasksException Invalid(string why)
        => new(ErrorCodes.InvalidSigningKey, $"{why}. Signing keys are ECDSA P-256 in PEM: PKCS#8 (PRIVATE KEY), SEC1 (EC PRIVATE KEY) or encrypted PKCS#8 (ENCRYPTED PRIVATE KEY); public keys are PUBLIC KEY.");

    private static bool LooksLikePem(string spec) => spec.Contains("-----", StringComparison.Ordinal) || spec.Contains('\n');
}
