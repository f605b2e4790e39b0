using System.Text.Json;
using ContainerTasks.Model;
using ContainerTasks.Registry.Referrers;

namespace ContainerTasks.Cli;

/// <summary><c>ctimage referrers REF [--artifact-type TYPE] [--json]</c>: what is attached to an image, one line each.</summary>
internal static class ReferrersCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        CommandArguments parsed = CommandArguments.Parse(args, ["--artifact-type"], ["--json"]);
        string reference = parsed.Reference ?? throw new ArgumentException("referrers needs an image reference");
        string? artifactType = parsed.Values.GetValueOrDefault("--artifact-type");
        bool json = parsed.Flags.Contains("--json");
        IReadOnlyList<Descriptor> referrers = await ImageReferrers.ListAsync(reference, artifactType,
            Registry.RegistrySettings.SnapshotEnvironment(), log: null, cancellationToken);
        foreach (Descriptor referrer in referrers)
        {
            Console.WriteLine(json ? Json(referrer) : Line(referrer));
        }
        return 0;
    }

    private static string Line(Descriptor d)
    {
        string annotations = d.Annotations is null ? "" : string.Concat(d.Annotations.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $" {a.Key}={a.Value}"));
        return $"{d.ArtifactType ?? "(none)"} {d.Digest} {d.Size}{annotations}";
    }

    private static string Json(Descriptor d) => JsonSerializer.Serialize(new
    {
        artifactType = d.ArtifactType,
        mediaType = d.MediaType,
        digest = d.Digest.ToString(),
        size = d.Size,
        annotations = d.Annotations,
    });
}
