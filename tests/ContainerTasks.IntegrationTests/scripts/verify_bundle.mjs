// Verifies a Sigstore bundle with @sigstore/verify (Sigstore's own verifier), offline, with a public key as the only
// trust material, and prints {"verified": true} or {"verified": false, "code": "...", "message": "..."}.
//   node verify_bundle.mjs TOOLS_DIR BUNDLE PUBLIC_KEY_PEM (--artifact FILE | --digest sha256:HEX) [--any-hint]
// TOOLS_DIR is where build/bootstrap.sh installed build/sbom-tools/package.json (artifacts/tools/sbom-tools).
// A message signature is over the artifact's bytes: give --artifact. A DSSE envelope is over its statement: give
// --digest, which must be a subject of the in-toto statement (the check cosign makes; @sigstore/verify leaves it to
// the caller). The key is found by the bundle's publicKey.hint (the base64 SHA-256 of its DER SubjectPublicKeyInfo, as
// cosign computes it); --any-hint hands the key over for any hint, so a wrong key fails on the signature itself.
// No transparency log entry, SCT or timestamp is required (thresholds 0): the bundle is signed offline with a key.
// Exits 0 when verified, 1 when rejected, 2 when the check could not run.
import { createRequire } from "node:module";
import { createHash, createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";

const [toolsDir, bundleFile, keyFile, ...rest] = process.argv.slice(2);
const option = (name) => (rest.indexOf(name) >= 0 ? rest[rest.indexOf(name) + 1] : undefined);
const artifactFile = option("--artifact");
const digest = option("--digest");
if (!toolsDir || !bundleFile || !keyFile || (!artifactFile && !digest)) {
  console.error("usage: verify_bundle.mjs TOOLS_DIR BUNDLE PUBLIC_KEY_PEM (--artifact FILE | --digest sha256:HEX) [--any-hint]");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(toolsDir), "package.json"));
const { bundleFromJSON } = require("@sigstore/bundle");
const { Verifier, toSignedEntity, toTrustMaterial } = require("@sigstore/verify");

const publicKey = createPublicKey(readFileSync(keyFile, "utf8"));
const spki = publicKey.export({ type: "spki", format: "der" });
const hint = createHash("sha256").update(spki).digest("base64");
const keys = rest.includes("--any-hint")
  ? () => ({ publicKey, validFor: () => true })
  : { [hint]: { rawBytes: spki, keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: undefined } };
const trust = toTrustMaterial({ certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] }, keys);
const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });

function subjectNames(bundle, expected) {
  const statement = JSON.parse(Buffer.from(bundle.content.dsseEnvelope.payload).toString("utf8"));
  const [algorithm, hex] = expected.split(":");
  return (statement.subject ?? []).some((s) => s.digest?.[algorithm]?.toLowerCase() === hex.toLowerCase());
}

try {
  const bundle = bundleFromJSON(JSON.parse(readFileSync(bundleFile, "utf8")));
  const artifact = artifactFile ? readFileSync(artifactFile) : undefined;
  verifier.verify(toSignedEntity(bundle, artifact));
  if (bundle.content.$case === "dsseEnvelope" && digest && !subjectNames(bundle, digest)) {
    console.log(JSON.stringify({ verified: false, code: "SUBJECT_ERROR", message: `the statement does not name ${digest}` }));
    process.exit(1);
  }
  console.log(JSON.stringify({ verified: true, content: bundle.content.$case }));
} catch (e) {
  console.log(JSON.stringify({ verified: false, code: e.code ?? e.name, message: e.message }));
  process.exit(1);
}
