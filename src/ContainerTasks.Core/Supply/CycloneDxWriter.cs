using System.Text.Json;

namespace ContainerTasks.Supply;

/// <summary>
/// A CycloneDX 1.6 JSON document (cyclonedx.org/docs/1.6/json) of one platform image: the app as the metadata's
/// component, NuGet packages and project references as libraries with purls and SHA-512 hashes, the .NET
/// frameworks, the base image as a <c>container</c> component, and the dependency graph. Deterministic: the
/// serial number is a UUID made from a hash of the document, the timestamp comes from the inputs.
/// </summary>
internal static class CycloneDxWriter
{
    public static byte[] Write(SbomInputs inputs)
        => SbomJson.WriteNamedByContent(hash => writer => WriteDocument(writer, inputs, hash));

    private static void WriteDocument(Utf8JsonWriter w, SbomInputs inputs, string hash)
    {
        w.WriteStartObject();
        w.WriteString("$schema", "http://cyclonedx.org/schema/bom-1.6.schema.json");
        w.WriteString("bomFormat", "CycloneDX");
        w.WriteString("specVersion", "1.6");
        // An empty hash is the first of the two writes (SbomJson.WriteNamedByContent); any valid UUID will do there.
        w.WriteString("serialNumber", "urn:uuid:" + SbomJson.UuidFromHash(hash.Length > 0 ? hash : new string('0', 64)));
        w.WriteNumber("version", 1);
        WriteMetadata(w, inputs);
        w.WriteStartArray("components");
        foreach (var library in inputs.AllLibraries())
        {
            WriteComponent(w, "library", LibraryRef(library), library.Id, library.Version,
                library.IsProject ? null : Purls.NuGet(library.Id, library.Version), library.Sha512Hex);
        }
        foreach (var framework in inputs.SortedFrameworks())
        {
            WriteComponent(w, "framework", FrameworkRef(framework), framework.PackageName(inputs.RuntimeIdentifier), framework.Version,
                Purls.Framework(framework, inputs.RuntimeIdentifier), null);
        }
        if (inputs.BaseImage is { } image)
        {
            WriteComponent(w, "container", "base-image", image.Registry is null ? image.Repository : $"{image.Registry}/{image.Repository}",
                image.ManifestDigest, Purls.Oci(image), null);
        }
        w.WriteEndArray();
        WriteDependencies(w, inputs);
        w.WriteEndObject();
    }

    private static void WriteMetadata(Utf8JsonWriter w, SbomInputs inputs)
    {
        w.WriteStartObject("metadata");
        w.WriteString("timestamp", Model.Timestamps.Format(inputs.Created));
        w.WriteStartObject("tools");
        SbomJson.WriteArrayOfOne(w, "components", ("type", "application"), ("name", "ContainerTasks"), ("version", inputs.ToolVersion));
        w.WriteEndObject();
        w.WriteStartObject("component");
        w.WriteString("type", "application");
        w.WriteString("bom-ref", AppRef(inputs));
        w.WriteString("name", inputs.AppName);
        w.WriteString("version", inputs.AppVersion);
        w.WriteEndObject();
        w.WriteStartArray("properties");
        WriteProperty(w, "containertasks:targetFramework", inputs.TargetFramework);
        if (inputs.RuntimeIdentifier is not null)
        {
            WriteProperty(w, "containertasks:runtimeIdentifier", inputs.RuntimeIdentifier);
        }
        WriteProperty(w, "containertasks:platform", inputs.Platform.ToString());
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteProperty(Utf8JsonWriter w, string name, string value)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("value", value);
        w.WriteEndObject();
    }

    private static void WriteComponent(Utf8JsonWriter w, string type, string bomRef, string name, string version, string? purl, string? sha512Hex)
    {
        w.WriteStartObject();
        w.WriteString("type", type);
        w.WriteString("bom-ref", bomRef);
        w.WriteString("name", name);
        w.WriteString("version", version);
        if (sha512Hex is not null)
        {
            SbomJson.WriteArrayOfOne(w, "hashes", ("alg", "SHA-512"), ("content", sha512Hex));
        }
        if (purl is not null)
        {
            w.WriteString("purl", purl);
        }
        w.WriteEndObject();
    }

    private static void WriteDependencies(Utf8JsonWriter w, SbomInputs inputs)
    {
        var byId = inputs.AllLibraries().GroupBy(l => l.Id, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var appDependsOn = inputs.AllLibraries().Where(l => l.Direct).Select(LibraryRef)
            .Concat(inputs.SortedFrameworks().Select(FrameworkRef))
            .Concat(inputs.BaseImage is null ? [] : ["base-image"]);
        w.WriteStartArray("dependencies");
        WriteDependency(w, AppRef(inputs), appDependsOn);
        foreach (var library in inputs.AllLibraries())
        {
            WriteDependency(w, LibraryRef(library),
                library.DependsOn.Where(byId.ContainsKey).Select(d => LibraryRef(byId[d])));
        }
        w.WriteEndArray();
    }

    private static void WriteDependency(Utf8JsonWriter w, string reference, IEnumerable<string> dependsOn)
    {
        w.WriteStartObject();
        w.WriteString("ref", reference);
        w.WriteStartArray("dependsOn");
        foreach (string target in dependsOn.Distinct().Order(StringComparer.Ordinal))
        {
            w.WriteStringValue(target);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string AppRef(SbomInputs inputs) => $"app:{inputs.AppName}@{inputs.AppVersion}";

    private static string LibraryRef(SbomPackage library)
        => library.IsProject ? $"project:{library.Id}@{library.Version}" : Purls.NuGet(library.Id, library.Version);

    private static string FrameworkRef(SbomFramework framework) => $"framework:{framework.Name}@{framework.Version}";
}
