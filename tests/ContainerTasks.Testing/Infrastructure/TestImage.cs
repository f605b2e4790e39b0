using ContainerTasks.Building;
using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Sources;

namespace ContainerTasks.Tests.Infrastructure;

/// <summary>Builds the small app image the output tests run: a layer and config changes only our code can supply.</summary>
internal static class TestImage
{
    /// <summary>What the entrypoint prints, line by line, when the image is right.</summary>
    public static readonly string[] ExpectedOutput =
    [
        "greeting=hello from the config",   // ENV
        "content=hello from the layer",     // a file of the added layer
        "modes=644 755 755",                // file, script, directory modes from the layer
        "uid=1654",                         // USER
        "pwd=/app",                         // WORKDIR
        "script ran",                       // an executable from the layer
    ];

    private const string Entrypoint =
        "echo greeting=$GREETING; echo content=$(cat /app/hello.txt); echo modes=$(stat -c %a /app/hello.txt /app/tool.sh /app); "
        + "echo uid=$(id -u); echo pwd=$(pwd); /app/tool.sh";

    /// <summary>Writes the app folder (with host modes and owners that must not leak into the image).</summary>
    public static string CreateAppFolder(string root)
    {
        string app = Path.Combine(root, "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "hello.txt"), "hello from the layer\n");
        File.WriteAllText(Path.Combine(app, "tool.sh"), "#!/bin/sh\necho script ran\n");
        File.SetUnixFileMode(Path.Combine(app, "hello.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(Path.Combine(app, "tool.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return app;
    }

    /// <summary>Builds the app image on <paramref name="baseImage"/>.</summary>
    public static async Task<BuiltImage> BuildAsync(SourceImage baseImage, ContentStore store, string appFolder, ImageFormat format = ImageFormat.SameAsBase)
    {
        BuiltLayer layer = await new LayerWriter().WriteAsync(DirectoryEntries.FromDirectory(appFolder, "/app"), store);
        return new ImageBuilder(baseImage, store)
            .AddLayer(layer, "test: COPY app /app")
            .WithConfig(new ConfigChanges
            {
                Environment = [new("GREETING", "hello from the config")],
                WorkingDirectory = "/app",
                User = "1654",
                Entrypoint = ["/bin/sh", "-c", Entrypoint],
                Labels = [new("org.opencontainers.image.title", "test & <app>")],
                ExposedPorts = ["8080/tcp"],
            })
            .WithFormat(format)
            .Build();
    }

    /// <summary>Runs an image reference with build/testimages/run-image.sh and returns its output lines.</summary>
    public static string[] RunImage(string imageRef)
    {
        var result = Run.Process("bash", [Path.Combine(Repo.Root, "build", "testimages", "run-image.sh"), imageRef], timeout: TimeSpan.FromMinutes(3))
            .EnsureSuccess($"run-image.sh {imageRef}");
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
