using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ContainerTasks.Model;
using ContainerTasks.Supply.Signing;

namespace ContainerTasks.Tests;

/// <summary>Signing with a key: key loading and its errors, the Sigstore bundle's JSON, DSSE's PAE, and the verifier.</summary>
public sealed class SigningTests : IDisposable
{
    private const string Password = "correct-horse-battery-staple-7";
    private static readonly Digest Image = Digest.Sha256("the image manifest"u8);
    private static readonly Digest OtherImage = Digest.Sha256("another image manifest"u8);
    private static readonly IReadOnlyDictionary<string, string> NoEnvironment = new Dictionary<string, string>();

    private readonly ECDsa _p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly string _directory = Directory.CreateTempSubdirectory("ct-signing-").FullName;

    public void Dispose()
    {
        _p256.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    public static TheoryData<string> PemForms => new() { "pkcs8", "sec1", "encrypted" };

    [Theory]
    [MemberData(nameof(PemForms))]
    public void A_P256_key_loads_from_a_file_from_its_text_and_from_an_environment_variable_with_the_cosign_hint(string form)
    {
        string pem = Pem(_p256, form);
        string? password = form == "encrypted" ? Password : null;
        string file = Path.Combine(_directory, "key.pem");
        File.WriteAllText(file, pem);
        var environment = new Dictionary<string, string> { ["SIGNING_KEY"] = pem, ["SIGNING_PASSWORD"] = Password };
        string expectedHint = Convert.ToBase64String(SHA256.HashData(_p256.ExportSubjectPublicKeyInfo()));

        using SigningKey fromFile = SigningKey.Load(file, password, NoEnvironment);
        using SigningKey fromText = SigningKey.Load(pem, password, NoEnvironment);
        using SigningKey fromEnvironment = SigningKey.Load("env:SIGNING_KEY", password is null ? null : "env:SIGNING_PASSWORD", environment);

        Assert.All(new[] { fromFile, fromText, fromEnvironment }, key =>
        {
            Assert.Equal(expectedHint, key.Hint);
            Assert.Equal(_p256.ExportSubjectPublicKeyInfo(), key.SubjectPublicKeyInfo);
        });
        byte[] signature = fromEnvironment.SignData("data"u8);
        Assert.True(_p256.VerifyData("data"u8, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal(0x30, signature[0]);
    }

    [Fact]
    public void Signing_a_digest_is_signing_the_bytes_it_is_the_digest_of()
    {
        using SigningKey key = SigningKey.FromPem(Pem(_p256, "pkcs8"), null);
        byte[] manifest = "the image manifest"u8.ToArray();
        byte[] signature = key.SignHash(SHA256.HashData(manifest));
        Assert.True(_p256.VerifyData(manifest, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public void Every_key_error_has_its_code_and_quotes_neither_the_key_nor_the_password()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(2048);
        string encrypted = Pem(_p256, "encrypted");
        string pkcs8 = Pem(_p256, "pkcs8");
        string damaged = pkcs8.Replace(pkcs8.Split('\n')[2], new string('A', 64), StringComparison.Ordinal);
        var environment = new Dictionary<string, string>
        {
            ["ENCRYPTED"] = encrypted,
            ["P384"] = p384.ExportPkcs8PrivateKeyPem(),
            ["RSA"] = rsa.ExportPkcs8PrivateKeyPem(),
            ["RSA1"] = rsa.ExportRSAPrivateKeyPem(),
            ["DAMAGED"] = damaged,
            ["COSIGN"] = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" + pkcs8.Split('\n')[1] + "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
            ["NOT_PEM"] = pkcs8.Split('\n')[1] + "\n",
            ["EMPTY"] = "",
            ["WRONG_PASSWORD"] = Password + "x",
        };
        var cases = new (string Key, string? Password, string Code)[]
        {
            ("env:UNSET", null, ErrorCodes.SigningKeyNotFound),
            ("env:EMPTY", null, ErrorCodes.SigningKeyNotFound),
            (Path.Combine(_directory, "missing.pem"), null, ErrorCodes.SigningKeyNotFound),
            ("env:ENCRYPTED", "env:UNSET_PASSWORD", ErrorCodes.SigningKeyNotFound),
            ("env:ENCRYPTED", null, ErrorCodes.InvalidSigningKey),
            ("env:ENCRYPTED", "env:WRONG_PASSWORD", ErrorCodes.InvalidSigningKey),
            ("env:ENCRYPTED", Password + "x", ErrorCodes.InvalidSigningKey),
            ("env:P384", null, ErrorCodes.InvalidSigningKey),
            ("env:RSA", null, ErrorCodes.InvalidSigningKey),
            ("env:RSA1", null, ErrorCodes.InvalidSigningKey),
            ("env:DAMAGED", null, ErrorCodes.InvalidSigningKey),
            ("env:COSIGN", null, ErrorCodes.InvalidSigningKey),
            ("env:NOT_PEM", null, ErrorCodes.InvalidSigningKey),
            (damaged, null, ErrorCodes.InvalidSigningKey),
            (pkcs8.Split('\n')[1], null, ErrorCodes.SigningKeyNotFound),
            (encrypted, Password + "x", ErrorCodes.InvalidSigningKey),
        };
        var secrets = environment.Values.Concat([pkcs8, Password]).Where(v => v.Length > 0).ToList();
        foreach (var (key, password, code) in cases)
        {
            var e = Assert.Throws<ContainerTasksException>(() => SigningKey.Load(key, password, environment));
            Assert.True(e.Code == code, $"{key}: {e.Code} {e.Message}");
            Assert.Null(e.InnerException);
            AssertQuotesNone(e.ToString(), secrets);
        }
    }

    [Fact]
    public void A_public_key_that_is_not_P256_or_not_a_public_key_is_CT4126()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        foreach (string pem in new[] { p384.ExportSubjectPublicKeyInfoPem(), Pem(_p256, "pkcs8"), "not a key" })
        {
            var e = Assert.Throws<ContainerTasksException>(() => VerificationKey.FromPem(pem));
            Assert.Equal(ErrorCodes.InvalidSigningKey, e.Code);
            AssertQuotesNone(e.Message, [pem]);
        }
        using VerificationKey key = VerificationKey.FromPem(_p256.ExportSubjectPublicKeyInfoPem());
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(_p256.ExportSubjectPublicKeyInfo())), key.Hint);
    }

    [Fact]
    public void The_DSSE_pre_authentication_encoding_is_the_one_of_the_spec()
    {
        // The example of secure-systems-lab/dsse protocol.md.
        Assert.Equal("DSSEv1 29 http://example.com/HelloWorld 11 hello world",
            Encoding.UTF8.GetString(Dsse.Pae("http://example.com/HelloWorld", "hello world"u8)));
        Assert.Equal("DSSEv1 0  0 ", Encoding.UTF8.GetString(Dsse.Pae("", [])));
    }

    [Fact]
    public void A_message_signature_bundle_is_v0_3_JSON_with_the_key_hint_an_empty_tlog_list_and_fixed_member_order()
    {
        using SigningKey key = SigningKey.FromPem(Pem(_p256, "pkcs8"), null);
        SigstoreBundle bundle = new BundleSigner(key).SignDigest(Image);
        string json = Encoding.UTF8.GetString(bundle.ToJson());
        var signature = (MessageSignature)bundle.Content;

        string expected = $$"""
            {
              "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
              "verificationMaterial": {
                "publicKey": {
                  "hint": "{{key.Hint}}"
                },
                "tlogEntries": []
              },
              "messageSignature": {
                "messageDigest": {
                  "algorithm": "SHA2_256",
                  "digest": "{{Convert.ToBase64String(Convert.FromHexString(Image.Hex))}}"
                },
                "signature": "{{Convert.ToBase64String(signature.Signature)}}"
              }
            }

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), json);
        Assert.Equal(bundle, SigstoreBundle.Parse(bundle.ToJson()) with { Content = bundle.Content });
        Assert.Equal(signature.Signature, ((MessageSignature)SigstoreBundle.Parse(bundle.ToJson()).Content).Signature);
    }

    [Fact]
    public void An_image_is_signed_as_cosign_3_signs_it_a_DSSE_envelope_over_the_cosign_sign_statement_of_its_digest()
    {
        using SigningKey key = SigningKey.FromPem(Pem(_p256, "sec1"), null);
        SigstoreBundle bundle = new BundleSigner(key).SignImage(Image);

        using JsonDocument json = JsonDocument.Parse(bundle.ToJson());
        Assert.Equal(["mediaType", "verificationMaterial", "dsseEnvelope"], json.RootElement.EnumerateObject().Select(p => p.Name));
        JsonElement envelope = json.RootElement.GetProperty("dsseEnvelope");
        Assert.Equal(["payload", "payloadType", "signatures"], envelope.EnumerateObject().Select(p => p.Name));
        Assert.Equal("application/vnd.in-toto+json", envelope.GetProperty("payloadType").GetString());
        Assert.Equal(key.Hint, envelope.GetProperty("signatures")[0].GetProperty("keyid").GetString());
        using JsonDocument statement = JsonDocument.Parse(envelope.GetProperty("payload").GetBytesFromBase64());
        Assert.Equal("https://in-toto.io/Statement/v1", statement.RootElement.GetProperty("_type").GetString());
        Assert.Equal("https://sigstore.dev/cosign/sign/v1", statement.RootElement.GetProperty("predicateType").GetString());
        Assert.Equal(Image.Hex, statement.RootElement.GetProperty("subject")[0].GetProperty("digest").GetProperty("sha256").GetString());
        Assert.Equal(JsonValueKind.Object, statement.RootElement.GetProperty("predicate").ValueKind);

        var referrer = BundleSigner.ToReferrer(bundle);
        Assert.Equal(SigstoreBundle.MediaType, referrer.ArtifactType);
        Assert.Equal(SigstoreBundle.MediaType, referrer.MediaType);
        Assert.Equal(new Dictionary<string, string>
        {
            ["dev.sigstore.bundle.content"] = "dsse-envelope",
            ["dev.sigstore.bundle.predicateType"] = "https://sigstore.dev/cosign/sign/v1",
        }, referrer.Annotations);
        var dated = BundleSigner.ToReferrer(bundle, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        Assert.Equal("2023-11-14T22:13:20Z", dated.Annotations!["org.opencontainers.image.created"]);
    }

    [Fact]
    public void The_verifier_accepts_a_bundle_of_the_key_for_the_image_and_rejects_another_key_another_image_and_tampering()
    {
        using SigningKey key = SigningKey.FromPem(Pem(_p256, "pkcs8"), null);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using VerificationKey right = VerificationKey.FromPem(key.PublicKeyPem);
        using VerificationKey wrong = VerificationKey.FromPem(other.ExportSubjectPublicKeyInfoPem());
        var signer = new BundleSigner(key);
        byte[] provenance = Statement(Image, "https://slsa.dev/provenance/v1");

        foreach (SigstoreBundle bundle in new[] { signer.SignImage(Image), signer.SignDigest(Image), signer.SignStatement(provenance) })
        {
            Assert.True(new BundleVerifier(right).Check(bundle.ToJson(), Image).Verified);
            new BundleVerifier(right).Verify(bundle, Image);
            Assert.Contains("does not verify with this key", new BundleVerifier(wrong).Check(bundle, Image).Reason, StringComparison.Ordinal);
            BundleCheck otherImage = new BundleVerifier(right).Check(bundle, OtherImage);
            Assert.False(otherImage.Verified);
            Assert.Contains(OtherImage.ToString(), otherImage.Reason, StringComparison.Ordinal);
            var e = Assert.Throws<ContainerTasksException>(() => new BundleVerifier(wrong).Verify(bundle, Image));
            Assert.Equal(ErrorCodes.SignatureNotVerified, e.Code);
        }
        var dsse = (DsseEnvelope)signer.SignStatement(provenance).Content;
        var tampered = new SigstoreBundle(key.Hint, dsse with { Payload = Statement(OtherImage, "https://slsa.dev/provenance/v1") });
        Assert.False(new BundleVerifier(right).Check(tampered, OtherImage).Verified);
        var rekeyed = new SigstoreBundle(key.Hint, dsse with { KeyId = "another hint" });
        Assert.Contains("keyid", new BundleVerifier(right).Check(rekeyed, Image).Reason, StringComparison.Ordinal);
        Assert.True(new BundleVerifier(right).Check(new SigstoreBundle(key.Hint, dsse with { KeyId = "" }), Image).Verified);
        var retyped = new SigstoreBundle(key.Hint, dsse with { PayloadType = "text/plain" });
        Assert.Contains("payload type", new BundleVerifier(right).Check(retyped, Image).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("""{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1","verificationMaterial":{"publicKey":{"hint":""}},"messageSignature":{}}""")]
    [InlineData("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"certificate":{"rawBytes":"AA=="}},"messageSignature":{}}""")]
    [InlineData("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":""}}}""")]
    [InlineData("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":""}},"messageSignature":{"messageDigest":{"algorithm":"SHA2_512","digest":"AA=="},"signature":"AA=="}}""")]
    [InlineData("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":""}},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"!!"},"signature":"AA=="}}""")]
    [InlineData("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":""}},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[]}}""")]
    public void A_bundle_of_another_shape_is_CT5011_and_not_verified(string json)
    {
        var e = Assert.Throws<ContainerTasksException>(() => SigstoreBundle.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(ErrorCodes.InvalidSignatureBundle, e.Code);
        using VerificationKey key = VerificationKey.FromPem(_p256.ExportSubjectPublicKeyInfoPem());
        BundleCheck check = new BundleVerifier(key).Check(Encoding.UTF8.GetBytes(json), Image);
        Assert.False(check.Verified);
        Assert.StartsWith("CT5011", check.Reason, StringComparison.Ordinal);
    }

    private static byte[] Statement(Digest subject, string predicateType) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
    {
        ["_type"] = "https://in-toto.io/Statement/v1",
        ["subject"] = new[] { new { name = "app", digest = new Dictionary<string, string> { [subject.Algorithm] = subject.Hex } } },
        ["predicateType"] = predicateType,
        ["predicate"] = new { buildDefinition = new { buildType = "https://example.com/build" } },
    });

    private static string Pem(ECDsa key, string form) => form switch
    {
        "pkcs8" => key.ExportPkcs8PrivateKeyPem(),
        "sec1" => key.ExportECPrivateKeyPem(),
        _ => key.ExportEncryptedPkcs8PrivateKeyPem(Password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)),
    };

    // No 16-character piece of any secret (a line of base64, the password) is in the text.
    private static void AssertQuotesNone(string text, IEnumerable<string> secrets)
    {
        foreach (string secret in secrets)
        {
            string body = string.Concat(secret.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)));
            for (int i = 0; i + 16 <= body.Length; i += 8)
            {
                Assert.DoesNotContain(body.Substring(i, 16), text, StringComparison.Ordinal);
            }
        }
    }
}
