using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ContainerTasks.Model;
using ContainerTasks.Registry;
using ContainerTasks.Registry.Auth;
using ContainerTasks.Registry.Referrers;
using ContainerTasks.Supply.Signing;
using ContainerTasks.Tests.Infrastructure;
using ContainerTasks.Tests.Infrastructure.Registries;

namespace ContainerTasks.Tests;

/// <summary>
/// Our Sigstore bundles read by Sigstore's own verifier (@sigstore/verify, offline, a public key as the only trust
/// material), and <c>ctimage sign</c> / <c>ctimage verify</c> against a real Distribution registry.
/// Tools: build/bootstrap.sh installs build/sbom-tools/package.json into artifacts/tools/sbom-tools.
/// </summary>
public sealed class SignatureToolTests(HttpRegistryFixture http) : IClassFixture<HttpRegistryFixture>, IDisposable
{
    private static readonly string Tools = Path.Combine(Repo.Root, "artifacts", "tools", "sbom-tools");
    private readonly TempDirectory _dir = new("ct-signature-");
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly RegistryTestKit _kit = new();
    private readonly List<RegistrySession> _sessions = [];

    public void Dispose()
    {
        _sessions.ForEach(s => s.Dispose());
        _kit.Dispose();
        _key.Dispose();
        _otherKey.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Sigstore_verify_accepts_a_message_signature_over_a_manifest_with_the_key_and_rejects_another_key_and_another_manifest()
    {
        byte[] manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}"u8.ToArray();
        byte[] otherManifest = "{\"schemaVersion\":2}"u8.ToArray();
        using SigningKey key = SigningKey.FromPem(_key.ExportPkcs8PrivateKeyPem(), null);
        string bundle = Write("message.sigstore.json", new BundleSigner(key).SignDigest(Digest.Sha256(manifest)).ToJson());
        string artifact = Write("manifest.json", manifest);
        string other = Write("other-manifest.json", otherManifest);

        Assert.Equal("messageSignature", Verified(bundle, PublicKey(_key), "--artifact", artifact).GetProperty("content").GetString());
        Rejected(bundle, PublicKey(_otherKey), "PUBLIC_KEY_ERROR", "--artifact", artifact);
        Rejected(bundle, PublicKey(_otherKey), "SIGNATURE_ERROR", "--artifact", artifact, "--any-hint");
        Rejected(bundle, PublicKey(_key), "SIGNATURE_ERROR", "--artifact", other);
    }

    [Fact]
    public void Sigstore_verify_accepts_a_DSSE_bundle_over_provenance_and_the_image_signature_and_rejects_another_key_and_another_digest()
    {
        Digest image = Digest.Sha256("an image manifest"u8);
        Digest otherImage = Digest.Sha256("another image manifest"u8);
        using SigningKey key = SigningKey.FromPem(_key.ExportECPrivateKeyPem(), null);
        byte[] provenance = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["_type"] = "https://in-toto.io/Statement/v1",
            ["subject"] = new[] { new { name = "registry.example/app", digest = new Dictionary<string, string> { ["sha256"] = image.Hex } } },
            ["predicateType"] = "https://slsa.dev/provenance/v1",
            ["predicate"] = new { buildDefinition = new { buildType = "https://example.com/dotnet-publish/v1", externalParameters = new { } } },
        });
        var signer = new BundleSigner(key);
        foreach (var (name, bundle) in new[] { ("provenance", signer.SignStatement(provenance)), ("image", signer.SignImage(image)) })
        {
            string file = Write($"{name}.sigstore.json", bundle.ToJson());
            Assert.Equal("dsseEnvelope", Verified(file, PublicKey(_key), "--digest", image.ToString()).GetProperty("content").GetString());
            Rejected(file, PublicKey(_otherKey), "PUBLIC_KEY_ERROR", "--digest", image.ToString());
            Rejected(file, PublicKey(_otherKey), "SIGNATURE_ERROR", "--digest", image.ToString(), "--any-hint");
            Rejected(file, PublicKey(_key), "SUBJECT_ERROR", "--digest", otherImage.ToString());
        }
    }

    [Fact]
    public async Task Ctimage_verify_accepts_an_image_signed_with_the_key_and_refuses_another_key_with_CT5012()
    {
        RegistryServer server = http.Server;
        var (repository, client, image) = await PushedImageAsync("signed");
        string reference = server.Reference($"{repository}:v1");
        string publicKey = PublicKey(_key);
        string otherKey = PublicKey(_otherKey);

        var unsigned = Run.CtImage(["verify", reference, "--key", publicKey], server.ChildEnvironment);
        Assert.Equal(1, unsigned.ExitCode);
        Assert.Contains("error CT5012", unsigned.StandardError, StringComparison.Ordinal);
        Assert.Contains("no Sigstore bundle is attached", unsigned.StandardError, StringComparison.Ordinal);

        using SigningKey key = SigningKey.FromPem(_key.ExportPkcs8PrivateKeyPem(), null);
        ReferrerArtifact signature = BundleSigner.ToReferrer(new BundleSigner(key).SignImage(image.Digest));
        AttachedReferrer attached = await new ReferrerAttacher(client).AttachAsync(repository, image, signature, CancellationToken.None);

        var verified = Run.CtImage(["verify", reference, "--key", publicKey], server.ChildEnvironment).EnsureSuccess("ctimage verify with the key");
        Assert.Equal($"verified {attached.Manifest.Digest}", verified.StandardOutput.Trim());
        var wrong = Run.CtImage(["verify", server.Reference($"{repository}@{image.Digest}"), "--key", otherKey, "--json"], server.ChildEnvironment);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("error CT5012", wrong.StandardError, StringComparison.Ordinal);
        Assert.Contains("does not verify with this key", wrong.StandardError, StringComparison.Ordinal);
        using (JsonDocument line = JsonDocument.Parse(wrong.StandardOutput.Trim()))
        {
            Assert.Equal(image.Digest.ToString(), line.RootElement.GetProperty("image").GetString());
            Assert.False(line.RootElement.GetProperty("verified").GetBoolean());
        }
    }

    [Fact]
    public async Task The_image_signer_signs_and_attests_once_and_a_second_run_writes_nothing()
    {
        RegistryServer server = http.Server;
        var (repository, client, image) = await PushedImageAsync("sign-once");
        using SigningKey key = SigningKey.FromPem(_key.ExportPkcs8PrivateKeyPem(), null);
        byte[] provenance = Encoding.UTF8.GetBytes($$$"""{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":"{{{image.Digest.Hex}}}"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}""");

        SignedImage signed = await ImageSigner.SignOnceAsync(client, repository, image, key, null, CancellationToken.None);
        SignedImage attested = await ImageSigner.AttestOnceAsync(client, repository, image, key, provenance, null, CancellationToken.None);
        int before = server.AccessLog().Count;
        SignedImage signedAgain = await ImageSigner.SignOnceAsync(client, repository, image, key, null, CancellationToken.None);
        SignedImage attestedAgain = await ImageSigner.AttestOnceAsync(client, repository, image, key, provenance, null, CancellationToken.None);

        Assert.True(signed.Changed && attested.Changed);
        Assert.NotEqual(signed.Referrer, attested.Referrer);
        Assert.Equal(signedAgain with { Changed = true }, signed);
        Assert.Equal(attestedAgain with { Changed = true }, attested);
        Assert.DoesNotContain(server.AccessLog().Skip(before), e => e.Path.Contains(repository, StringComparison.Ordinal) && e.Method is "PUT" or "POST" or "PATCH");
        // The provenance's attestation, signed with the same key, is not the image's signature; with --attestations it counts.
        var lines = Run.CtImage(["verify", server.Reference($"{repository}@{image.Digest}"), "--key", PublicKey(_key)], server.ChildEnvironment)
            .EnsureSuccess("ctimage verify of a signed and attested image").StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([$"verified {signed.Referrer}", $"not verified {attested.Referrer}: it is an attestation (https://slsa.dev/provenance/v1), not a signature of the image (https://sigstore.dev/cosign/sign/v1)"],
            lines.Order(StringComparer.Ordinal).Reverse().OrderBy(l => l.StartsWith("not", StringComparison.Ordinal)));
        lines = Run.CtImage(["verify", server.Reference($"{repository}@{image.Digest}"), "--key", PublicKey(_key), "--attestations"], server.ChildEnvironment)
            .EnsureSuccess("ctimage verify --attestations").StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { $"verified {signed.Referrer}", $"verified {attested.Referrer}" }.Order(StringComparer.Ordinal), lines.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Ctimage_sign_signs_once_with_a_key_from_the_environment_and_a_second_sign_changes_nothing()
    {
        RegistryServer server = http.Server;
        var (repository, _, _) = await PushedImageAsync("sign-cli");
        const string Password = "signing-password-1";
        var environment = new Dictionary<string, string?>(server.ChildEnvironment)
        {
            ["CT_TEST_SIGNING_KEY"] = _key.ExportEncryptedPkcs8PrivateKeyPem(Password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000)),
            ["CT_TEST_SIGNING_PASSWORD"] = Password,
        };
        string reference = server.Reference($"{repository}:v1");

        string first = Run.CtImage(["sign", reference, "--key", "env:CT_TEST_SIGNING_KEY", "--password", "env:CT_TEST_SIGNING_PASSWORD"], environment)
            .EnsureSuccess("ctimage sign").StandardOutput.Trim();
        var again = Run.CtImage(["sign", reference, "--key", "env:CT_TEST_SIGNING_KEY", "--password", "env:CT_TEST_SIGNING_PASSWORD"], environment)
            .EnsureSuccess("ctimage sign again");
        Assert.Equal(first, again.StandardOutput.Trim());
        Assert.Contains("signed with this key already", again.StandardError, StringComparison.Ordinal);
        Run.CtImage(["verify", reference, "--key", PublicKey(_key)], server.ChildEnvironment).EnsureSuccess("ctimage verify after ctimage sign");
        var referrers = Run.CtImage(["referrers", reference], server.ChildEnvironment).EnsureSuccess("ctimage referrers").StandardOutput;
        Assert.True(referrers.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 1, referrers);
        Assert.Contains($"{SigstoreBundle.MediaType} {first} ", referrers, StringComparison.Ordinal);
        Assert.Contains("dev.sigstore.bundle.predicateType=https://sigstore.dev/cosign/sign/v1", referrers, StringComparison.Ordinal);

        // A password on the command line is refused (other processes see it), without repeating it.
        var literal = Run.CtImage(["sign", reference, "--key", "env:CT_TEST_SIGNING_KEY", "--password", "literal-secret-9"], environment);
        Assert.Equal(2, literal.ExitCode);
        Assert.DoesNotContain("literal-secret-9", literal.StandardError + literal.StandardOutput, StringComparison.Ordinal);
        environment["CT_TEST_WRONG_PASSWORD"] = "not-it";
        var wrongPassword = Run.CtImage(["sign", reference, "--key", "env:CT_TEST_SIGNING_KEY", "--password", "env:CT_TEST_WRONG_PASSWORD"], environment);
        Assert.Equal(1, wrongPassword.ExitCode);
        Assert.Contains("error CT4126", wrongPassword.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, wrongPassword.StandardError + wrongPassword.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>A small image pushed to a new repository of the registry, and a client that can push there.</summary>
    private async Task<(string Repository, RegistryClient Client, Descriptor Image)> PushedImageAsync(string name)
    {
        RegistryServer server = http.Server;
        RegistrySession session = _kit.Session(_kit.Environment(), server.Host, server.Host);
        _sessions.Add(session);
        string repository = RegistryServer.NewRepository(name);
        RegistryClient client = session.Client(server.Host, repository, RegistryRole.Push);
        return (repository, client, await ReferrerTests.PushImageAsync(client, repository));
    }

    private JsonElement Verified(string bundle, string publicKey, params string[] options)
    {
        ProcessResult run = VerifyBundle(bundle, publicKey, options).EnsureSuccess($"verify_bundle.mjs {bundle} {string.Join(' ', options)}");
        return JsonDocument.Parse(run.StandardOutput).RootElement.Clone();
    }

    private void Rejected(string bundle, string publicKey, string code, params string[] options)
    {
        ProcessResult run = VerifyBundle(bundle, publicKey, options);
        Assert.True(run.ExitCode == 1, $"verify_bundle.mjs exited with {run.ExitCode}: {run.StandardOutput} {run.StandardError}");
        using JsonDocument result = JsonDocument.Parse(run.StandardOutput);
        Assert.False(result.RootElement.GetProperty("verified").GetBoolean());
        Assert.Equal(code, result.RootElement.GetProperty("code").GetString());
    }

    private static ProcessResult VerifyBundle(string bundle, string publicKey, string[] options)
    {
        if (!Directory.Exists(Path.Combine(Tools, "node_modules", "@sigstore", "verify")))
        {
            throw new Xunit.Sdk.XunitException($"@sigstore/verify is not installed in {Tools}. Run build/bootstrap.sh once.");
        }
        string script = Path.Combine(AppContext.BaseDirectory, "scripts", "verify_bundle.mjs");
        return Run.Process("node", [script, Tools, bundle, publicKey, .. options]);
    }

    private string PublicKey(ECDsa key) => Write($"public-{KeyHint.Of(key.ExportSubjectPublicKeyInfo())[..8].Replace('/', '_')}.pem",
        Encoding.ASCII.GetBytes(key.ExportSubjectPublicKeyInfoPem()));

    private string Write(string name, byte[] content)
    {
        File.WriteAllBytes(_dir[name], content);
        return _dir[name];
    }
}
