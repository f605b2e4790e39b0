using System.Text.Json;
using System.Text.Json.Nodes;
using ContainerTasks.Model;

namespace ContainerTasks.Supply.Provenance;

/// <summary>
/// An in-toto Statement v1 (github.com/in-toto/attestation, spec/v1) whose predicate is SLSA provenance v1
/// (slsa.dev/spec/v1.0/provenance) for the images of one publish. Deterministic: every object's members sorted by
/// name, lists sorted, no clock reading, nothing of the environment but the CI allow-list of <see cref="CiSystem"/>.
/// </summary>
internal static class ProvenanceWriter
{
    /// <summary>The media type of the document as an artifact (an OCI referrer's layer, a DSSE payload type).</summary>
    public const string MediaType = "application/vnd.in-toto+json";

    /// <summary>The statement's <c>_type</c>.</summary>
    public const string StatementType = "https://in-toto.io/Statement/v1";

    /// <summary>The statement's <c>predicateType</c>: SLSA provenance v1.</summary>
    public const string PredicateType = "https://slsa.dev/provenance/v1";

    /// <summary>The annotation that names the predicate type on an in-toto artifact's layer or manifest.</summary>
    public const string PredicateTypeAnnotation = "in-toto.io/predicate-type";

    /// <summary>Our build type: how <c>externalParameters</c> and <c>internalParameters</c> are to be read (docs/supply-chain.md).</summary>
    public const string BuildType = "https://containertasks.dev/provenance/dotnet-publish/v1";

    /// <summary>The document as JSON bytes, ending in a line feed.</summary>
    public static byte[] Write(ProvenanceInputs inputs)
    {
        var environment = BuildEnvironment.From(inputs.Environment);
        var statement = new JsonObject
        {
            ["_type"] = StatementType,
            ["subject"] = Subjects(inputs.Subjects),
            ["predicateType"] = PredicateType,
            ["predicate"] = new JsonObject
            {
                ["buildDefinition"] = BuildDefinition(inputs, environment),
                ["runDetails"] = RunDetails(environment),
            },
        };
        return SbomJson.Write(w => WriteSorted(w, statement));
    }

    private static JsonObject BuildDefinition(ProvenanceInputs inputs, BuildEnvironment environment) => new()
    {
        ["buildType"] = BuildType,
        ["externalParameters"] = ExternalParameters(inputs),
        ["internalParameters"] = InternalParameters(inputs, environment),
        ["resolvedDependencies"] = ResolvedDependencies(inputs),
    };

    private static JsonObject ExternalParameters(ProvenanceInputs inputs)
    {
        var parameters = new JsonObject
        {
            ["configuration"] = inputs.Configuration,
            ["container"] = ProvenanceParameters.Container(inputs.ContainerParameters),
            ["project"] = ProvenanceParameters.Project(inputs.ProjectPath, inputs.Source.Root),
            ["runtimeIdentifiers"] = Strings(inputs.RuntimeIdentifiers.Distinct().Order(StringComparer.Ordinal)),
        };
        if (inputs.Source.GitUri is { } source)
        {
            parameters["source"] = source;
        }
        return parameters;
    }

    private static JsonObject InternalParameters(ProvenanceInputs inputs, BuildEnvironment environment)
    {
        var parameters = new JsonObject
        {
            ["containerTasksVersion"] = inputs.ToolVersion,
            ["dotnetSdkVersion"] = inputs.SdkVersion,
        };
        if (environment.Metadata.Count > 0)
        {
            var variables = new JsonObject();
            foreach (var (name, value) in environment.Metadata)
            {
                variables[name] = value;
            }
            parameters["ci"] = new JsonObject { ["system"] = environment.System, ["variables"] = variables };
        }
        return parameters;
    }

    // The source commit, then each base image by digest (sorted by URI), then the .NET SDK.
    private static JsonArray ResolvedDependencies(ProvenanceInputs inputs)
    {
        var dependencies = new JsonArray();
        if (inputs.Source.Commit is not null || inputs.Source.GitUri is not null)
        {
            dependencies.Add(Descriptor(inputs.Source.GitUri, null, inputs.Source.Commit is { } commit ? ("gitCommit", commit) : null));
        }
        foreach (var (uri, hex) in ProvenanceParameters.BaseImages(inputs.BaseImages))
        {
            dependencies.Add(Descriptor(uri, null, ("sha256", hex)));
        }
        string sdk = Uri.EscapeDataString(ProvenanceParameters.Required(inputs.SdkVersion, "the .NET SDK version"));
        dependencies.Add(Descriptor($"pkg:generic/dotnet-sdk@{sdk}", "dotnet-sdk", null));
        return dependencies;
    }

    private static JsonObject RunDetails(BuildEnvironment environment)
    {
        var details = new JsonObject { ["builder"] = new JsonObject { ["id"] = environment.BuilderId } };
        if (environment.InvocationId is { } invocation)
        {
            details["metadata"] = new JsonObject { ["invocationId"] = invocation };
        }
        return details;
    }

    private static JsonArray Subjects(IReadOnlyList<ProvenanceSubject> subjects)
    {
        if (subjects.Count == 0)
        {
            throw new ContainerTasksException(ErrorCodes.InvalidProvenanceInputs, "The provenance has no subject: no image was given to describe. This is a bug; report it.");
        }
        var sorted = subjects.Select(s => (Name: ProvenanceParameters.Required(s.Name, "a subject's name"), Hex: ProvenanceParameters.Sha256Hex(s.Digest, s.Name)))
            .Distinct().OrderBy(s => s.Name, StringComparer.Ordinal).ThenBy(s => s.Hex, StringComparer.Ordinal);
        return new JsonArray(sorted.Select(s => (JsonNode)Descriptor(null, s.Name, ("sha256", s.Hex))).ToArray());
    }

    // An in-toto ResourceDescriptor: at least one of uri and digest; name when it says more.
    private static JsonObject Descriptor(string? uri, string? name, (string Algorithm, string Value)? digest)
    {
        var descriptor = new JsonObject();
        if (uri is not null)
        {
            descriptor["uri"] = uri;
        }
        if (name is not null)
        {
            descriptor["name"] = name;
        }
        if (digest is { } d)
        {
            descriptor["digest"] = new JsonObject { [d.Algorithm] = d.Value };
        }
        return descriptor;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    // Members of every object in ordinal order of their names, whatever order they were added in.
    private static void WriteSorted(Utf8JsonWriter w, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                w.WriteStartObject();
                foreach (var (name, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    w.WritePropertyName(name);
                    WriteSorted(w, value);
                }
                w.WriteEndObject();
                break;
            case JsonArray array:
                w.WriteStartArray();
                foreach (var item in array)
                {
                    WriteSorted(w, item);
                }
                w.WriteEndArray();
                break;
            default:
                node!.WriteTo(w);
                break;
        }
    }
}
