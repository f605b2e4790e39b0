// Validates one SBOM document against its format's JSON schema and prints {"schema": "...", "errors": [...]}.
//   node check_sbom_schema.mjs TOOLS_DIR spdx|cyclonedx FILE SPDX_SCHEMA
// TOOLS_DIR is where build/bootstrap.sh installed build/sbom-tools/package.json (artifacts/tools/sbom-tools).
//   spdx       the SPDX 2.3 JSON schema (build/sbom-tools/spdx-2.3.schema.json, from spdx/spdx-spec support/2.3:
//              no package of the reachable registries ships it);
//   cyclonedx  CycloneDX 1.6 (bom-1.6.SNAPSHOT.schema.json of @cyclonedx/cyclonedx-library, with the SPDX license
//              id and JSF schemas it refers to).
// Both with ajv (draft-07) and ajv-formats. Exits 0 when the file was checked (errors or not), 2 when the check could not run.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const [toolsDir, kind, file, spdxSchema] = process.argv.slice(2);
if (!toolsDir || !kind || !file) {
  console.error("usage: check_sbom_schema.mjs TOOLS_DIR spdx|cyclonedx FILE [SPDX_SCHEMA]");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(toolsDir), "package.json"));
const Ajv = require("ajv").default;
const addFormats = require("ajv-formats").default;
const readJson = (p) => JSON.parse(readFileSync(p, "utf8"));

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
// Formats ajv-formats lacks (IRIs, internationalised e-mail): accepted as strings, quietly.
ajv.addFormat("iri-reference", true);
ajv.addFormat("idn-email", true);
let schema;
let name;
if (kind === "spdx") {
  schema = readJson(spdxSchema);
  name = schema.title;
} else if (kind === "cyclonedx") {
  const dir = path.join(path.dirname(require.resolve("@cyclonedx/cyclonedx-library/package.json")), "res", "schema");
  // bom-1.6 refers to its neighbours by file name, relative to its own $id.
  for (const neighbour of ["spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"]) {
    const s = readJson(path.join(dir, neighbour));
    s.$id = "http://cyclonedx.org/schema/" + neighbour;
    ajv.addSchema(s);
  }
  schema = readJson(path.join(dir, "bom-1.6.SNAPSHOT.schema.json"));
  name = "CycloneDX " + schema.$id;
} else {
  console.error(`unknown kind ${kind}`);
  process.exit(2);
}
const validate = ajv.compile(schema);
const valid = validate(readJson(file));
const errors = valid ? [] : validate.errors.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
console.log(JSON.stringify({ schema: name, errors }));
