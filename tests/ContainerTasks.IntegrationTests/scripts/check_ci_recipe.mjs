// Checks one CI recipe of docs/ci/ and prints one JSON object: {"schema": "...", "errors": [...], "document": {...}}.
//   node check_ci_recipe.mjs TOOLS_DIR github|gitlab|azure FILE
// TOOLS_DIR is where build/bootstrap.sh installed build/ci-recipes/package.json (artifacts/tools/ci-recipes).
// Every recipe is parsed as YAML 1.2 (duplicate keys are errors). Then:
//   github  SchemaStore's github-workflow schema, as compiled into @action-validator/core;
//   gitlab  GitLab's CI schema (ci.json, the schema SchemaStore's gitlab-ci entry names), as bundled in gitlab-ci-local,
//           checked with ajv;
//   azure   no schema here (no package of the reachable registries ships azure-pipelines-vscode's service-schema.json):
//           the document is printed for the test's structural assertions.
// Exits 0 when the file was checked (errors or not), 2 when the check itself could not run.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const [toolsDir, kind, file] = process.argv.slice(2);
if (!toolsDir || !kind || !file) {
  console.error("usage: check_ci_recipe.mjs TOOLS_DIR github|gitlab|azure FILE");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(toolsDir), "package.json"));
const YAML = require("yaml");
const source = readFileSync(file, "utf8");

const errors = [];
const parsed = YAML.parseDocument(source, { uniqueKeys: true, prettyErrors: true });
for (const e of parsed.errors) {
  errors.push(`YAML: ${e.message}`);
}
const document = parsed.errors.length === 0 ? parsed.toJS() : null;
let schema = "none (YAML only)";

if (document !== null && kind === "github") {
  schema = "SchemaStore github-workflow (@action-validator/core)";
  const { validateWorkflow } = require("@action-validator/core");
  const state = validateWorkflow(source);
  for (const e of state.errors) {
    errors.push(`${e.path ?? ""} ${e.title}${e.detail ? ": " + e.detail : ""}`.trim());
  }
} else if (document !== null && kind === "gitlab") {
  schema = "GitLab ci.json (gitlab-ci-local)";
  const Ajv = require("ajv");
  const addFormats = require("ajv-formats");
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(gitlabSchema());
  if (!validate(document)) {
    for (const e of validate.errors) {
      errors.push(`${e.instancePath || "/"} ${e.message}${e.params ? " " + JSON.stringify(e.params) : ""}`);
    }
  }
} else if (kind !== "github" && kind !== "gitlab" && kind !== "azure") {
  console.error(`unknown kind ${kind}`);
  process.exit(2);
}

console.log(JSON.stringify({ schema, errors, document }));

// gitlab-ci-local bundles GitLab's ci.json as one object literal in dist/index.js. It is cut out by matching braces
// (strings skipped) and evaluated alone; the pinned version in build/ci-recipes/package.json fixes where it is.
function gitlabSchema() {
  const bundle = readFileSync(require.resolve("gitlab-ci-local/dist/index.js"), "utf8");
  const marker = '$id:"https://gitlab.com/.gitlab-ci.yml"';
  const at = bundle.indexOf(marker);
  const start = bundle.lastIndexOf("{", at);
  if (at < 0 || start < 0) {
    console.error("GitLab's CI schema was not found in gitlab-ci-local's bundle");
    process.exit(2);
  }
  let depth = 0;
  for (let i = start; i < bundle.length; i++) {
    const c = bundle[i];
    if (c === '"' || c === "'" || c === "`") {
      for (i++; bundle[i] !== c; i++) {
        if (bundle[i] === "\\") i++;
      }
    } else if (c === "{" || c === "[") {
      depth++;
    } else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) {
        return new Function(`return (${bundle.slice(start, i + 1)});`)();
      }
    }
  }
  console.error("GitLab's CI schema in gitlab-ci-local's bundle has no end");
  process.exit(2);
}
