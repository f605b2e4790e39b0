using System.Text.Json;
using ContainerTasks.Supply.Signing;

namespace ContainerTasks.Cli;

/// <summary>
/// <c>ctimage verify REF --key PUB.pem [--attestations] [--json]</c>: checks the Sigstore bundles attached to an image against a public
/// key; exit 0 when at least one signature (with <c>--attestations</c>, any statement about the image) verifies.
/// <c>ctimage sign REF --key KEY.pem [--password env:NAME]</c>: signs an image.
/// </summary>
internal static class SignatureCommands
{
    /// <summary>Runs <c>verify</c>; CT5012 (exit 1) when no signature verifies.</summary>
    public static async Task<int> VerifyAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var (reference, key, _, flags) = Parse(args, "verify", allowPassword: false);
        bool json = flags.Contains("--json");
        string pem = ReadPublicKey(key);
        SignatureReport report = await ImageSignatures.VerifyAsync(reference, pem, Registry.RegistrySettings.SnapshotEnvironment(), log: null, cancellationToken,
            attestations: flags.Contains("--attestations"));
        foreach (SignatureResult signature in report.Signatures)
        {
            Console.WriteLine(json
                ? JsonSerializer.Serialize(new { image = report.Image, referrer = signature.Referrer, verified = signature.Verified, reason = signature.Reason })
                : signature.Verified ? $"verified {signature.Referrer}" : $"not verified {signature.Referrer}: {signature.Reason}");
        }
        if (report.Verified)
        {
            Console.Error.WriteLine($"{reference} ({report.Image}) is signed with this key.");
            return 0;
        }
        string why = report.Signatures.Count == 0 ? "no Sigstore bundle is attached to it" : string.Join("; ", report.Signatures.Select(s => $"{s.Referrer}: {s.Reason}"));
        throw new ContainerTasksException(ErrorCodes.SignatureNotVerified, $"No signature of {reference} ({report.Image}) verifies with the key {key}: {why}.");
    }

    /// <summary>Runs <c>sign</c>: prints the digest of the referrer that holds the signature.</summary>
    public static async Task<int> SignAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var (reference, key, password, _) = Parse(args, "sign", allowPassword: true);
        Console.WriteLine(await ImageSignatures.SignAsync(reference, key, password, Registry.RegistrySettings.SnapshotEnvironment(),
            line => Console.Error.WriteLine(line), cancellationToken));
        return 0;
    }

    // A missing file is CT4125, as for the signing key; the text of the file is never printed.
    private static string ReadPublicKey(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ContainerTasksException(ErrorCodes.SigningKeyNotFound, $"The public key file '{path}' could not be read ({e.GetType().Name}). Give the PUBLIC KEY PEM of the signing key.");
        }
    }

    private static (string Reference, string Key, string? Password, IReadOnlySet<string> Flags) Parse(IReadOnlyList<string> args, string command, bool allowPassword)
    {
        CommandArguments parsed = CommandArguments.Parse(args, allowPassword ? ["--key", "--password"] : ["--key"], allowPassword ? [] : ["--json", "--attestations"]);
        string key = parsed.Values.GetValueOrDefault("--key") ?? throw new ArgumentException($"{command} needs --key");
        string? password = parsed.Values.GetValueOrDefault("--password");
        // A command line is seen by every process of the machine (ps) and kept in shell history: secrets only by name.
        if (key.Contains("-----BEGIN", StringComparison.Ordinal) || (password is not null && !password.StartsWith("env:", StringComparison.Ordinal)))
        {
            throw new ArgumentException("give the key as a file or env:NAME, and the password as env:NAME: a command line is visible to other processes");
        }
        return (parsed.Reference ?? throw new ArgumentException($"{command} needs an image reference"), key, password, parsed.Flags.ToHashSet());
    }
}
