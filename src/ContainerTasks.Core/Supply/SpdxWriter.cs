using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ContainerTasks.Supply;

/// <summary>
/// An SPDX 2.3 JSON document (spdx.github.io/spdx-spec/v2.3) of one platform image: the app as the described
/// package, each NuGet package and project reference with its purl and SHA-512, the .NET frameworks, the base
/// image by digest, and the dependency graph. Deterministic: packages sorted, SPDX ids made from names and
/// versions, the namespace from a hash of the document, the creation time from the inputs.
/// </summary>
internal static class SpdxWriter
{
    /// <summary>The prefix of every document namespace we write, followed by <c>&lt;app&gt;-&lt;sha256 of the document&gt;</c>.</summary>
    public const string NamespacePrefix = "https://spdx.org/spdxdocs/containertasks/";

    private const string NoAssertion = "NOASSERTION";

    public static byte[] Write(SbomInputs inputs)
        => SbomJson.WriteNamedByContent(hash => writer => WriteDocument(writer, inputs, hash));

    /// <summary>The document's namespace, as written for this content hash.</summary>
    public static string Namespace(string appName, string hash) => $"{NamespacePrefix}{Uri.EscapeDataString(appName)}-{hash}";

    private static void WriteDocument(Utf8JsonWriter w, SbomInputs inputs, string hash)
    {
        string app = AppId(inputs);
        w.WriteStartObject();
        w.WriteString("spdxVersion", "SPDX-2.3");
        w.WriteString("dataLicense", "CC0-1.0");
        w.WriteString("SPDXID", "SPDXRef-DOCUMENT");
        w.WriteString("name", $"{inputs.AppName}-{inputs.AppVersion}-{inputs.Platform.Os}-{inputs.Platform.Architecture}");
        w.WriteString("documentNamespace", Namespace(inputs.AppName, hash));
        w.WriteStartObject("creationInfo");
        w.WriteStartArray("creators");
        w.WriteStringValue($"Tool: ContainerTasks-{inputs.ToolVersion}");
        w.WriteEndArray();
        w.WriteString("created", Model.Timestamps.Format(inputs.Created));
        w.WriteEndObject();
        w.WriteStartArray("documentDescribes");
        w.WriteStringValue(app);
        w.WriteEndArray();
        w.WriteStartArray("packages");
        WritePackage(w, app, inputs.AppName, inputs.AppVersion, null, null, "APPLICATION",
            $"target framework {inputs.TargetFramework}, runtime identifier {inputs.RuntimeIdentifier ?? "none"}, platform {inputs.Platform}");
        foreach (var library in inputs.AllLibraries())
        {
            WritePackage(w, LibraryId(library), library.Id, library.Version,
                library.IsProject ? null : Purls.NuGet(library.Id, library.Version), library.Sha512Hex,
                "LIBRARY", library.IsProject ? "project reference" : (library.Direct ? "direct" : "transitive"));
        }
        foreach (var framework in inputs.SortedFrameworks())
        {
            WritePackage(w, FrameworkId(framework), framework.PackageName(inputs.RuntimeIdentifier), framework.Version, Purls.Framework(framework, inputs.RuntimeIdentifier), null, "FRAMEWORK",
                framework.SelfContained ? "runtime pack in the app" : "from the base image; the version is the least the app rolls forward from");
        }
        if (inputs.BaseImage is { } image)
        {
            WritePackage(w, "SPDXRef-BaseImage", image.Registry is null ? image.Repository : $"{image.Registry}/{image.Repository}",
                image.ManifestDigest, Purls.Oci(image), null, "CONTAINER", "base image");
        }
        w.WriteEndArray();
        WriteRelationships(w, inputs, app);
        w.WriteEndObject();
    }

    private static void WritePackage(Utf8JsonWriter w, string id, string name, string version, string? purl, string? sha512Hex, string purpose, string comment)
    {
        w.WriteStartObject();
        w.WriteString("SPDXID", id);
        w.WriteString("name", name);
        w.WriteString("versionInfo", version);
        w.WriteString("downloadLocation", NoAssertion);
        w.WriteBoolean("filesAnalyzed", false);
        w.WriteString("licenseConcluded", NoAssertion);
        w.WriteString("licenseDeclared", NoAssertion);
        w.WriteString("copyrightText", NoAssertion);
        w.WriteString("primaryPackagePurpose", purpose);
        w.WriteString("comment", comment);
        if (sha512Hex is not null)
        {
            SbomJson.WriteArrayOfOne(w, "checksums", ("algorithm", "SHA512"), ("checksumValue", sha512Hex));
        }
        if (purl is not null)
        {
            SbomJson.WriteArrayOfOne(w, "externalRefs", ("referenceCategory", "PACKAGE-MANAGER"), ("referenceType", "purl"), ("referenceLocator", purl));
        }
        w.WriteEndObject();
    }

    private static void WriteRelationships(Utf8JsonWriter w, SbomInputs inputs, string app)
    {
        var byId = inputs.AllLibraries().GroupBy(l => l.Id, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var relationships = new List<(string From, string Type, string To)> { ("SPDXRef-DOCUMENT", "DESCRIBES", app) };
        foreach (var library in inputs.AllLibraries())
        {
            // Every library's files are in the published app, direct or not (trivy lists an application's
            // packages by CONTAINS, as its own SPDX output does); DEPENDS_ON says which ones the project names.
            relationships.Add((app, "CONTAINS", LibraryId(library)));
            if (library.Direct)
            {
                relationships.Add((app, "DEPENDS_ON", LibraryId(library)));
            }
            foreach (string dependency in library.DependsOn.Order(StringComparer.OrdinalIgnoreCase))
            {
                if (byId.TryGetValue(dependency, out var target))
                {
                    relationships.Add((LibraryId(library), "DEPENDS_ON", LibraryId(target)));
                }
            }
        }
        relationships.AddRange(inputs.SortedFrameworks().Select(f => (app, "DEPENDS_ON", FrameworkId(f))));
        if (inputs.BaseImage is not null)
        {
            relationships.Add((app, "DEPENDS_ON", "SPDXRef-BaseImage"));
        }
        w.WriteStartArray("relationships");
        foreach (var (from, type, to) in relationships.Distinct())
        {
            w.WriteStartObject();
            w.WriteString("spdxElementId", from);
            w.WriteString("relationshipType", type);
            w.WriteString("relatedSpdxElement", to);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static string AppId(SbomInputs inputs) => "SPDXRef-Application-" + IdPart(inputs.AppName + "-" + inputs.AppVersion);

    internal static string LibraryId(SbomPackage library)
        => (library.IsProject ? "SPDXRef-Project-" : "SPDXRef-Package-nuget-") + IdPart(library.Id + "-" + library.Version);

    private static string FrameworkId(SbomFramework framework) => "SPDXRef-Framework-" + IdPart(framework.Name + "-" + framework.Version);

    // SPDX ids allow letters, digits, '.' and '-'. A name with other characters gets a short hash of itself, so
    // "a_b" and "a+b" stay two ids.
    private static string IdPart(string value)
    {
        var part = new StringBuilder(value.Length);
        foreach (char c in value)
        {
            part.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '-');
        }
        if (part.ToString() == value)
        {
            return value;
        }
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value))).ToLowerInvariant();
        return part.Append('-').Append(hash, 0, 8).ToString();
    }
}
