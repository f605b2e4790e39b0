using System.Text;
using ContainerTasks.Model;

namespace ContainerTasks.Tests.Infrastructure;

/// <summary>A base config real images could carry, and the same config after a typical build's changes.</summary>
public static class ConfigSamples
{
    // A base config with the fields real images carry and builders tend to lose, in Docker's own
    // spelling: escaped HTML characters, odd number forms, nanosecond timestamps, nested unknown members.
    public const string BaseConfig = """
        {
          "architecture": "arm64",
          "variant": "v8",
          "os": "linux",
          "os.version": "10.0.17763.1",
          "os.features": ["win32k"],
          "author": "Jane \u0026 <team> +1",
          "created": "2024-05-06T07:08:09.123456789Z",
          "docker_version": "24.0.7",
          "x-unknown": {"nested": {"deep": [1.0, 1e3, -0.0, 12345678901234567890], "s": "a\/b \u00e9"}},
          "config": {
            "Hostname": "",
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP_UID=1654", "KEEP=x\u003dy"],
            "Cmd": ["sh"],
            "Healthcheck": {"Test": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "Interval": 30000000000, "Retries": 3},
            "ArgsEscaped": true,
            "Shell": ["/bin/bash", "-c"],
            "OnBuild": ["RUN echo \u003cbuild\u003e"],
            "StopSignal": "SIGTERM",
            "Volumes": {"/var/log": {}},
            "Labels": {"org.opencontainers.image.vendor": "Base \u0026 Co", "keep.me": "1"},
            "ExposedPorts": {"80/tcp": {}},
            "WorkingDir": "/",
            "Unknown": {"z": 1}
          },
          "rootfs": {"type": "layers", "diff_ids": ["sha256:1111111111111111111111111111111111111111111111111111111111111111"]},
          "history": [
            {"created": "2024-05-06T07:08:09.123456789Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
            {"created": "2024-05-06T07:08:10.5Z", "created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]", "empty_layer": true}
          ]
        }
        """;

    public static ImageConfig EditedConfig(out byte[] bytes)
    {
        var config = ImageConfig.Parse(Encoding.UTF8.GetBytes(BaseConfig));
        config.Apply(new ConfigChanges
        {
            Environment = [new("APP_UID", "1000"), new("NEW_VAR", "a+b&c<d>")],
            ExposedPorts = ["8080", "53/udp"],
            Labels = [new("org.opencontainers.image.vendor", "Us"), new("added", "+&<>")],
            Volumes = ["/data"],
            Entrypoint = ["dotnet", "/app/app.dll"],
            User = "1654",
            WorkingDirectory = "/app/",
            Created = DateTimeOffset.FromUnixTimeSeconds(1700000000),
        });
        config.AppendLayer(Digest.Sha256("layer"u8), new HistoryEntry("test layer", DateTimeOffset.FromUnixTimeSeconds(1700000000)));
        bytes = config.ToBytes();
        return config;
    }
}
