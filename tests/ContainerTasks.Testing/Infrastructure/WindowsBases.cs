using System.Text.Json;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests.Infrastructure;

/// <summary>The Windows-shaped bases in one registry, as <see cref="WindowsBases"/> pushed them.</summary>
/// <param name="Nanoserver"><c>windows/runtime:nanoserver</c>: one Docker v2 schema 2 manifest (as MCR's platform tags), windows/amd64
/// <see cref="WindowsBases.Ltsc2022"/>, one Files/Hives layer.</param>
/// <param name="NanoserverOci"><c>windows/runtime:nanoserver-oci</c>: the same image as one OCI manifest.</param>
/// <param name="Multi"><c>windows/runtime:multi</c>: an OCI index of, in this order, linux/amd64 (the <c>dotnet</c> test base),
/// windows/amd64 <see cref="WindowsBases.Ltsc2019"/>, windows/amd64 <see cref="WindowsBases.Ltsc2022"/> and windows/arm64
/// <see cref="WindowsBases.Arm64Version"/>; each entry's platform carries <c>os.version</c> as MCR's do.</param>
/// <param name="ServercoreForeign"><c>windows/servercore:foreign</c>: Docker v2, os.features <c>win32k</c>, whose first layer is
/// foreign (urls on mcr.microsoft.com) and not held by the registry.</param>
/// <param name="ForeignLayer">The digest of that foreign layer.</param>
public sealed record WindowsBaseSet(string Nanoserver, string NanoserverOci, string Multi, string ServercoreForeign, string ForeignLayer);

/// <summary>
/// Writes Windows-shaped bases with build/testimages/make-windows-base.py (Python, none of our code) and pushes them with
/// skopeo into a registry, once per registry server.
/// <para>
/// skopeo 1.9 reads only OCI manifests and indexes from an OCI layout (it skips descriptors with Docker media types), so a
/// Docker v2 image of the layout is handed to skopeo as a <c>dir:</c> folder (its manifest and the blobs the layout holds).
/// A foreign layer (one with <c>urls</c>) is not copied at all: skopeo keeps its descriptor, urls included, and uploads
/// nothing, as a docker destination accepts foreign layers. The registry takes such a manifest only for URLs its
/// <c>validation.manifests.urls.allow</c> list matches (<see cref="RegistryServer"/> allows mcr.microsoft.com).
/// </para>
/// </summary>
public static class WindowsBases
{
    /// <summary>The os.version of the Windows Server 2022 (ltsc2022) images.</summary>
    public const string Ltsc2022 = "10.0.20348.2700";

    /// <summary>The os.version of the Windows Server 2019 (ltsc2019) image of the index.</summary>
    public const string Ltsc2019 = "10.0.17763.6000";

    /// <summary>The os.version of the arm64 image of the index.</summary>
    public const string Arm64Version = "10.0.26100.1000";

    private static readonly Dictionary<string, Task<WindowsBaseSet>> Pushed = new();

    /// <summary>The bases in <paramref name="server"/>, written and pushed on first call for that server.</summary>
    public static Task<WindowsBaseSet> GetAsync(RegistryServer server, BaseImages bases)
    {
        lock (Pushed)
        {
            if (!Pushed.TryGetValue(server.Host, out Task<WindowsBaseSet>? task))
            {
                task = Task.Run(() => Push(server, bases));
                Pushed[server.Host] = task;
            }
            return task;
        }
    }

    private static WindowsBaseSet Push(RegistryServer server, BaseImages bases)
    {
        using var scratch = new TempDirectory("ct-winbases-");
        string layout = scratch["layout"];
        Make(layout, "--tag", "nanoserver", "--format", "docker");
        Make(layout, "--tag", "nanoserver-oci");
        Make(layout, "--tag", "ltsc2019", "--os-version", Ltsc2019);
        Make(layout, "--tag", "arm64", "--arch", "arm64", "--os-version", Arm64Version);
        Make(layout, "--tag", "servercore-foreign", "--foreign", "--features", "win32k");
        Run.Process("skopeo", ["copy", "--quiet", bases.Get("dotnet"), $"oci:{layout}:linux"]).EnsureSuccess("skopeo copy of the dotnet base");
        Make(layout, "--index", "multi", "--from", "linux,ltsc2019,nanoserver-oci,arm64");

        var set = new WindowsBaseSet(server.Reference("windows/runtime:nanoserver"), server.Reference("windows/runtime:nanoserver-oci"),
            server.Reference("windows/runtime:multi"), server.Reference("windows/servercore:foreign"), ForeignLayerOf(layout));
        Copy(server, $"dir:{DirectoryCopy(layout, "nanoserver", scratch["nanoserver-dir"])}", set.Nanoserver);
        Copy(server, $"oci:{layout}:nanoserver-oci", set.NanoserverOci);
        Copy(server, $"oci:{layout}:multi", set.Multi, "--all");
        Copy(server, $"dir:{DirectoryCopy(layout, "servercore-foreign", scratch["foreign-dir"])}", set.ServercoreForeign);
        return set;
    }

    private static void Make(string layout, params string[] arguments)
        => Run.Process("python3", [Path.Combine(Repo.Root, "build", "testimages", "make-windows-base.py"), "--out", layout, .. arguments])
            .EnsureSuccess($"make-windows-base.py {string.Join(' ', arguments)}");

    private static void Copy(RegistryServer server, string source, string destination, params string[] options)
        => Run.Process("skopeo", ["copy", "--quiet", .. options, .. server.SkopeoOptions("dest", RegistryUsers.Pusher), source, $"docker://{destination}"],
            environment: server.ChildEnvironment, timeout: TimeSpan.FromMinutes(2)).EnsureSuccess($"skopeo copy {source} to {destination}");

    /// <summary>The manifest bytes of <paramref name="tag"/> in the layout.</summary>
    private static byte[] ManifestOf(string layout, string tag)
    {
        using JsonDocument index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json")));
        string digest = index.RootElement.GetProperty("manifests").EnumerateArray()
            .Single(m => m.TryGetProperty("annotations", out var a) && a.TryGetProperty("org.opencontainers.image.ref.name", out var n) && n.GetString() == tag)
            .GetProperty("digest").GetString()!;
        return File.ReadAllBytes(BlobPath(layout, digest));
    }

    private static string ForeignLayerOf(string layout)
    {
        using JsonDocument manifest = JsonDocument.Parse(ManifestOf(layout, "servercore-foreign"));
        return manifest.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
    }

    /// <summary>
    /// Writes <paramref name="tag"/> as skopeo's <c>dir:</c> folder (version file, <c>manifest.json</c>, blobs named by their hex
    /// digest), with every blob the layout holds: a foreign layer's blob is not among them.
    /// </summary>
    private static string DirectoryCopy(string layout, string tag, string folder)
    {
        Directory.CreateDirectory(folder);
        byte[] manifestBytes = ManifestOf(layout, tag);
        File.WriteAllBytes(Path.Combine(folder, "manifest.json"), manifestBytes);
        File.WriteAllText(Path.Combine(folder, "version"), "Directory Transport Version: 1.1\n");
        using JsonDocument manifest = JsonDocument.Parse(manifestBytes);
        var digests = manifest.RootElement.GetProperty("layers").EnumerateArray().Append(manifest.RootElement.GetProperty("config"))
            .Select(d => d.GetProperty("digest").GetString()!);
        foreach (string digest in digests.Where(d => File.Exists(BlobPath(layout, d))))
        {
            File.Copy(BlobPath(layout, digest), Path.Combine(folder, digest["sha256:".Length..]));
        }
        return folder;
    }

    private static string BlobPath(string layout, string digest) => Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..]);
}
