using System.Text.Json;
using ContainerTasks.Model;
using ContainerTasks.Registry.Referrers;

namespace ContainerTasks.Cli;

/// <summary><c>ctimage referrers REF [--artifact-type TYPE] [--json]</c>: what is attached to an image, one line each.</summary>
internal static class ReferrersCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        string? reference = null;
        string? artifactType = null;
        bool json = false;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--json":
                    json = true;
                    break;
                case "--artifact-type" when i + 1 < args.Count:
                    artifactType = args[++i];
                    break;
                case var arg when !arg.StartsWith("--", StringComparison.Ordinal) && reference is null:
                    reference = arg.StartsWith("docker://", StringComparison.Ordinal) ? arg["docker://".Length..] : arg;
                    break;
                case var arg:
                    throw new ArgumentException($"unexpected argument '{arg}'");
            }
        }
        if (reference is null)
        {
            throw new ArgumentException("referrers needs an image reference");
        }
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
