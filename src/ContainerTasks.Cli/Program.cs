using System.IO.Compression;
using System.Text.Json;
using ContainerTasks;
using ContainerTasks.Building;
using ContainerTasks.Content;
using ContainerTasks.Layers;
using ContainerTasks.Model;
using ContainerTasks.Outputs;
using ContainerTasks.Pipeline;
using ContainerTasks.Sources;

namespace ContainerTasks.Cli;

/// <summary>
/// ctimage build --from SOURCE --to DEST [options]   assemble an image from a base and folders
/// ctimage layer --out FILE --layer DIR:PATH ...     write one layer blob and print its digests
/// ctimage referrers REF [--artifact-type T] [--json] list what is attached to an image (OCI 1.1 referrers)
/// ctimage verify REF --key PUB.pem [--attestations] [--json]   check an image's Sigstore signatures against a public key
/// ctimage sign REF --key KEY.pem [--password env:NAME]         sign an image with a key (a Sigstore bundle, as cosign 3)
/// </summary>
public static class Program
{
    private const string Usage = """
        Usage:
          ctimage build --from SOURCE --to DEST [options]
          ctimage layer --out FILE --layer HOSTDIR:IMAGEDIR [--layer ...] [--executable PATH] [--level fastest|optimal|smallest|none]
          ctimage referrers REGISTRY/REPO[:TAG|@DIGEST] [--artifact-type TYPE] [--json]
          ctimage verify REGISTRY/REPO[:TAG|@DIGEST] --key PUBLIC.pem [--attestations] [--json]
          ctimage sign REGISTRY/REPO[:TAG|@DIGEST] --key KEY.pem|env:NAME [--password env:NAME]

        SOURCE: docker://REGISTRY/REPO:TAG | docker-daemon:NAME:TAG (the local Docker or Podman) | oci:DIR[:TAG] | oci-archive:FILE[:TAG]
                | docker-archive:FILE[:NAME:TAG] | scratch
        DEST:   docker://REGISTRY/REPO:TAG (push) | oci:DIR | oci-archive:FILE.tar[.gz] | docker-archive:FILE.tar[.gz]

        build options:
          --tag NAME[:TAG]          name of the image in the output (repeatable); for a push, extra tags
          --layer HOSTDIR:IMAGEDIR  add a layer with a folder's content (repeatable; one layer each); for a
                                    Windows image IMAGEDIR may name its drive (C:/app, C:\app) or not (/app)
          --executable PATH         force mode 0755 on this path in the image (repeatable)
          --env NAME=VALUE          --label KEY=VALUE   --port N[/tcp|udp]   --volume PATH
          --entrypoint ARG          (repeat for each argument)   --cmd ARG (repeat)
          --user USER               --workdir DIR   --format oci|docker   --platform OS/ARCH[/VARIANT]
          --annotation KEY=VALUE    manifest annotation (OCI format only)
          --cache DIR               content store (default: $CONTAINERTASKS_CACHE or ~/.cache/containertasks;
                                    size limit: $CONTAINERTASKS_CACHE_MAX_MB, else 5120 MiB)
          --level LEVEL             layer compression: fastest, optimal (default), smallest, none
          --cache-from REF          for a push: an image whose layers may be reused by content (repeatable;
                                    also $CONTAINERTASKS_CACHE_FROM, references separated by ';')
          --cache-verify true       check such a layer's content against its diff_id before using it
          --layer-image REF         add the layers of a registry image of the same platform on top of the
                                    base, below the --layer layers (repeatable, in order; an agent, a profiler)
          --layer-image-env REF     the same, and its environment variables the base does not set are added
        SOURCE_DATE_EPOCH, when set, is the time stamp of files, history and config.
        """;

    /// <summary>Runs the tool; exit code 0 on success, 1 on a reported error, 2 on bad usage.</summary>
    public static async Task<int> Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help")
            {
                Console.WriteLine(Usage);
                return args.Length == 0 ? 2 : 0;
            }
            if (args[0] == "referrers")
            {
                return await Referrers(args[1..], cancellation.Token);
            }
            if (args[0] is "verify" or "sign")
            {
                return await Signatures(args[0], args[1..], cancellation.Token);
            }
            var options = Options.Parse(args.Skip(1));
            return args[0] switch
            {
                "build" => await BuildAsync(options, cancellation.Token),
                "layer" => await LayerAsync(options, cancellation.Token),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"ctimage: {e.Message}\n\n{Usage}");
            return 2;
        }
        catch (ContainerTasksException e)
        {
            Console.Error.WriteLine($"error {e.Code}: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("ctimage: cancelled");
            return 130;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("CONTAINERTASKS_DEBUG") != "1")
        {
            // An unexpected failure is a bug: say so in one line; CONTAINERTASKS_DEBUG=1 shows the stack.
            Console.Error.WriteLine($"error CT9999: unexpected {e.GetType().Name}: {e.Message} (set CONTAINERTASKS_DEBUG=1 for details, and please report it)");
            return 1;
        }
    }

    // The same builder as the MSBuild tasks: the layer cache, reuse of pushed blobs and the cache's upkeep come with it.
    private static async Task<int> BuildAsync(Options o, CancellationToken cancellationToken)
    {
        ContainerBuildRequest request = BuildRequest(o);
        ContainerBuildResult result = await ContainerBuilder.BuildAsync(request, new ConsoleBuildLog(), cancellationToken);
        Console.Error.WriteLine(result.Summary);
        Console.WriteLine(result.ManifestDigest);
        return 0;
    }

    // One line per referrer (artifact type, digest, size, annotations), or one JSON object per line with --json.
    private static async Task<int> Referrers(string[] args, CancellationToken cancellationToken)
    {
        try
        {
            return await ReferrersCommand.RunAsync(args, cancellationToken);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    // verify: exit 0 when a signature verifies with the key; sign: prints the referrer's digest.
    private static async Task<int> Signatures(string command, string[] args, CancellationToken cancellationToken)
    {
        try
        {
            return command == "verify" ? await SignatureCommands.VerifyAsync(args, cancellationToken) : await SignatureCommands.SignAsync(args, cancellationToken);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static ContainerBuildRequest BuildRequest(Options o)
    {
        string from = o.Single("from") ?? throw new UsageException("--from is required");
        string to = o.Single("to") ?? throw new UsageException("--to is required");
        ImageSources.RequireKnown(from);
        IReadOnlyDictionary<string, string> environment = Registry.RegistrySettings.SnapshotEnvironment();
        ImageReference? destination = to.StartsWith("docker://", StringComparison.Ordinal) ? ImageReference.Parse(to["docker://".Length..]) : null;
        var names = destination is null ? o.All("tag").Select(ImageReference.Parse).ToList() : [];
        var layers = LayerInputs(o);
        ImageFormat format = o.Single("format") switch
        {
            null => ImageFormat.SameAsBase,
            "oci" or "OCI" => ImageFormat.Oci,
            "docker" or "Docker" => ImageFormat.Docker,
            var other => throw new UsageException($"--format '{other}' is not oci or docker"),
        };
        return new ContainerBuildRequest
        {
            BaseImage = from,
            Platforms = [new PlatformInput("", o.Single("platform") is { } p ? Platform.Parse(p) : null, "", null, [], []) { Layers = layers }],
            Config = ConfigChangesOf(o),
            Annotations = o.All("annotation").Select(a => Pair(SplitPair(a, '=', "--annotation KEY=VALUE"))).ToList(),
            Compression = Compression(o.Single("level")),
            Format = format,
            BaseImageLabels = false,
            Repository = destination?.Repository ?? names.FirstOrDefault()?.Repository ?? "ctimage",
            Tags = destination is null ? [names.FirstOrDefault()?.Tag ?? "latest"] : PushTags(o, destination),
            OutputRegistry = destination?.Registry,
            Output = destination is null ? new OutputTarget(ValidOutput(to), names) : null,
            FallbackArchiveDirectory = Directory.GetCurrentDirectory(),
            SourceDateEpoch = Timestamps.FromSourceDateEpoch(environment.GetValueOrDefault("SOURCE_DATE_EPOCH")),
            CacheDirectory = o.Single("cache") ?? CacheLayout.DefaultRoot(environment),
            CacheFrom = o.All("cache-from").ToList(),
            // In the order given, whichever of the two options names each.
            LayerImages = o.AllOf("layer-image", "layer-image-env").Select(v => new LayerImageInput(v.Value, v.Name == "layer-image-env")).ToList(),
            CacheVerify = o.Single("cache-verify") switch
            {
                null or "false" => false,
                "true" => true,
                var other => throw new UsageException($"--cache-verify '{other}' is not true or false"),
            },
            // The limit MSBuild builds keep too: one cache, one limit.
            CacheMaxBytes = ContentStore.DefaultMaxBytes(environment),
            EnvironmentSnapshot = environment,
        };
    }

    // Each --layer HOSTDIR:IMAGEDIR is one layer, with --executable paths given mode 0755.
    private static List<LayerInput> LayerInputs(Options o)
    {
        var executables = o.All("executable").Select(LayerPath.Normalize).ToHashSet(StringComparer.Ordinal);
        var layers = new List<LayerInput>();
        bool windows = o.Single("platform") is { } platform && Platform.Parse(platform).IsWindows;
        foreach (string spec in o.All("layer"))
        {
            var (hostDir, imageDir) = SplitLayer(spec, windows);
            var entries = DirectoryEntries.FromDirectory(hostDir, imageDir,
                relative => executables.Contains(LayerPath.Combine(imageDir, relative)) ? LayerWriter.ExecutableMode : null);
            string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(hostDir));
            layers.Add(new LayerInput(name, entries, $"ctimage: COPY {name} {imageDir}"));
        }
        return layers;
    }

    private static ConfigChanges ConfigChangesOf(Options o) => new()
    {
        Environment = o.All("env").Select(e => Pair(SplitPair(e, '=', "--env NAME=VALUE"))).ToList(),
        Labels = o.All("label").Select(e => Pair(SplitPair(e, '=', "--label KEY=VALUE"))).ToList(),
        ExposedPorts = o.All("port").ToList(),
        Volumes = o.All("volume").ToList(),
        Entrypoint = o.Has("entrypoint") ? o.All("entrypoint").ToList() : null,
        Cmd = o.Has("cmd") ? o.All("cmd").ToList() : null,
        User = o.Single("user"),
        WorkingDirectory = o.Single("workdir"),
    };

    // The destination's tag first, then the tags of --tag values (a full name gives its tag).
    private static List<string> PushTags(Options o, ImageReference destination)
        => o.All("tag").Select(t => t.Contains(':') || t.Contains('/') ? ImageReference.Parse(t).Tag ?? "latest" : t)
            .Prepend(destination.Tag ?? "latest").Distinct().ToList();

    // Checked before any work: an unknown transport is CT5005.
    private static string ValidOutput(string to)
    {
        _ = ImageOutput.Parse(to);
        return to;
    }

    private static async Task<int> LayerAsync(Options o, CancellationToken cancellationToken)
    {
        string output = o.Single("out") ?? throw new UsageException("--out is required");
        DateTimeOffset time = Timestamps.FromSourceDateEpoch(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH")) ?? Timestamps.Default;
        var executables = o.All("executable").Select(LayerPath.Normalize).ToHashSet(StringComparer.Ordinal);
        var entries = new List<LayerEntry>();
        foreach (string spec in o.All("layer"))
        {
            var (hostDir, imageDir) = SplitLayer(spec, windows: false);
            entries.AddRange(DirectoryEntries.FromDirectory(hostDir, imageDir,
                relative => executables.Contains(LayerPath.Combine(imageDir, relative)) ? LayerWriter.ExecutableMode : null));
        }
        var writer = new LayerWriter(new LayerOptions { ModificationTime = time, Compression = Compression(o.Single("level")) });
        BuiltLayer layer;
        await using (var file = new FileStream(output, FileMode.Create, FileAccess.Write))
        {
            layer = await Task.Run(() => writer.Write(entries, file, cancellationToken), cancellationToken);
        }
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            mediaType = layer.Descriptor.MediaType,
            digest = layer.Descriptor.Digest.ToString(),
            size = layer.Descriptor.Size,
            diffId = layer.DiffId.ToString(),
            uncompressedSize = layer.UncompressedSize,
        }));
        return 0;
    }

    private static LayerCompression Compression(string? level) => level switch
    {
        null or "optimal" => LayerCompression.Default,
        "fastest" => LayerCompression.Gzip(CompressionLevel.Fastest),
        "smallest" => LayerCompression.Gzip(CompressionLevel.SmallestSize),
        "none" => LayerCompression.None,
        _ => throw new UsageException($"--level '{level}' is not fastest, optimal, smallest or none"),
    };

    private static (string, string) SplitPair(string value, char separator, string form)
    {
        int index = value.IndexOf(separator);
        if (index <= 0)
        {
            throw new UsageException($"'{value}' is not of the form {form}");
        }
        return (value[..index], value[(index + 1)..]);
    }

    // HOSTDIR:IMAGEDIR, where the image path starts with '/' (or '\' for a Windows image), or for a Windows image with its
    // drive (C:/app, C:\app): split at the last ':' before such a start, and before the drive letter when that colon was the
    // drive's. A Linux host folder may hold ':' (/data/a:b:/app is /data/a:b and /app).
    internal static (string HostDir, string ImageDir) SplitLayer(string value, bool windows)
    {
        int index = windows ? Math.Max(value.LastIndexOf(":/", StringComparison.Ordinal), value.LastIndexOf(":\\", StringComparison.Ordinal))
            : value.LastIndexOf(":/", StringComparison.Ordinal);
        if (windows && index >= 3 && value[index - 2] == ':' && char.IsAsciiLetter(value[index - 1]))
        {
            index -= 2;
        }
        if (index <= 0)
        {
            throw new UsageException($"'{value}' is not of the form HOSTDIR:IMAGEDIR (--layer)");
        }
        return (value[..index], value[(index + 1)..]);
    }

    private static KeyValuePair<string, string> Pair((string Key, string Value) p) => new(p.Key, p.Value);

    private sealed class UsageException(string message) : Exception(message);

    private sealed class Options
    {
        private readonly List<(string Name, string Value)> _values = new();

        public static Options Parse(IEnumerable<string> args)
        {
            var options = new Options();
            using var e = args.GetEnumerator();
            while (e.MoveNext())
            {
                string arg = e.Current;
                if (!arg.StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"unexpected argument '{arg}'");
                }
                string name = arg[2..];
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq > 0 && name[..eq] is "from" or "to" or "cache")
                {
                    value = name[(eq + 1)..];
                    name = name[..eq];
                }
                if (value is null)
                {
                    if (!e.MoveNext())
                    {
                        throw new UsageException($"--{name} needs a value");
                    }
                    value = e.Current;
                }
                options._values.Add((name, value));
            }
            return options;
        }

        public bool Has(string name) => _values.Any(v => v.Name == name);

        public IEnumerable<string> All(string name) => _values.Where(v => v.Name == name).Select(v => v.Value);

        public IEnumerable<(string Name, string Value)> AllOf(params string[] names) => _values.Where(v => names.Contains(v.Name));

        public string? Single(string name) => _values.LastOrDefault(v => v.Name == name).Value;
    }
}
