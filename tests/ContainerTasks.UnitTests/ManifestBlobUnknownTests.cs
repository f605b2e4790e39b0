using ContainerTasks.Content;
using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Sources;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// A manifest refused with <c>MANIFEST_BLOB_UNKNOWN</c> for blobs the registry has just confirmed (the Distribution
/// registry while another build uploads the same blob) is put again after a pause; one that stays refused fails.
/// </summary>
public sealed class ManifestBlobUnknownTests
{
    private const string BlobUnknown = "{\"errors\":[{\"code\":\"DIGEST_INVALID\"},{\"code\":\"MANIFEST_BLOB_UNKNOWN\",\"message\":\"blob unknown to registry\"}]}";

    // A registry that has every blob, no tag, and refuses the first `refusals` manifest PUTs.
    private static ScriptedRegistry Registry(int refusals, List<string> puts) => new(r => (r.Method, r.Target) switch
    {
        ("HEAD", var t) when t.Contains("/blobs/", StringComparison.Ordinal) => new ScriptedResponse(200, ""),
        ("PUT", var t) when t.Contains("/manifests/", StringComparison.Ordinal) => Put(puts, t, refusals),
        _ => ScriptedResponse.Json(404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}"),
    });

    private static ScriptedResponse Put(List<string> puts, string target, int refusals)
    {
        lock (puts)
        {
            puts.Add(target);
            return puts.Count <= refusals ? ScriptedResponse.Json(400, BlobUnknown) : new ScriptedResponse(201, "");
        }
    }

    private static async Task PushAsync(ScriptedRegistry registry)
    {
        using var dir = new TempDirectory();
        var image = await TestImage.BuildAsync(await new ScratchSource().GetImageAsync(Platform.LinuxAmd64), new ContentStore(dir["store"]), TestImage.CreateAppFolder(dir.Path));
        using var kit = new RegistryTestKit();
        using var session = kit.Session(kit.Environment(), registry.Host, registry.Host);
        await new ImagePusher(session.Client(registry.Host, "app", RegistryRole.Push)).PushAsync(image, "app", ["1.0"]);
    }

    [Fact]
    public async Task A_manifest_refused_once_for_an_unknown_blob_is_put_again_and_the_push_succeeds()
    {
        var puts = new List<string>();
        await using var registry = Registry(refusals: 1, puts);
        await PushAsync(registry);
        Assert.Equal(["/v2/app/manifests/1.0", "/v2/app/manifests/1.0"], puts);
    }

    [Fact]
    public async Task A_manifest_refused_every_time_fails_with_the_registrys_error_after_the_last_attempt()
    {
        var puts = new List<string>();
        await using var registry = Registry(refusals: int.MaxValue, puts);
        var error = await Assert.ThrowsAsync<ContainerTasksException>(() => PushAsync(registry));
        Assert.Equal(ErrorCodes.RegistryError, error.Code);
        Assert.Contains("MANIFEST_BLOB_UNKNOWN", error.Message);
        Assert.Equal(ImagePusher.MaxManifestAttempts, puts.Count);
    }
}
