// Compiles the committed manifest schema with Ajv in strict mode, as SchemaStore does (draft-07,
// ajv-formats, the editor vocabulary declared and nothing else), with no warning allowed; then
// checks it on manifests parsed by the `yaml` package (YAML 1.2, merge keys, as entitle reads
// them): the examples, tests/fixtures/editor/valid and the snippets' bodies are valid, every
// manifest of tests/fixtures/editor/invalid is not.
// Usage: node tests/node/ajv-strict.mjs
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import addFormats from "ajv-formats";
// The `yaml` package yaml-language-server parses with (pinned through package-lock.json).
import YAML from "yaml";
import { fail, ok, verdict } from "./checks.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const schema = JSON.parse(readFileSync(join(root, "schema/manifest.schema.json"), "utf8"));


const warnings = [];
const ajv = new Ajv({
  strict: true,
  allErrors: true,
  logger: { log() {}, warn: (...m) => warnings.push(m.join(" ")), error: (...m) => warnings.push(m.join(" ")) },
});
addFormats(ajv);
// Editor keywords (VS Code's JSON language service, yaml-language-server), which SchemaStore's
// checks accept; any other unknown keyword fails the compile.
ajv.addVocabulary(["markdownDescription", "defaultSnippets", "enumDescriptions", "markdownEnumDescriptions"]);
// The messages an editor shows in place of its own: yaml-language-server's `errorMessage` (for a
// failed type, enum, const, pattern, required or false property of the same subschema) and
// `patternErrorMessage` (for a failed pattern, taking precedence); VS Code's JSON language
// service has the same two. They are annotations here: Ajv words its own errors.
ajv.addVocabulary(["errorMessage", "patternErrorMessage"]);

let validate;
try {
  validate = ajv.compile(schema);
  if (warnings.length > 0) fail("the schema compiles in strict mode without warnings", warnings);
  else ok(`the schema (${schema.$schema}, $id ${schema.$id}) compiles in Ajv strict mode`);
} catch (e) {
  fail("the schema compiles in Ajv strict mode", [e.message, ...warnings]);
  console.log("ajv: the schema does not compile");
  process.exit(1);
}

const yamlFiles = (dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => join(root, dir, f));
const parse = (file) => YAML.parse(readFileSync(file, "utf8"), { merge: true });
const errors = () => (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message} (${e.schemaPath})`);

for (const file of [...yamlFiles("manifests/examples"), ...yamlFiles("tests/fixtures/editor/valid")]) {
  if (validate(parse(file))) ok(`${relative(root, file)}: valid`);
  else fail(`${relative(root, file)}: valid`, errors());
}
const invalid = yamlFiles("tests/fixtures/editor/invalid");
if (invalid.length < 10) fail(`tests/fixtures/editor/invalid holds the bad manifests (found ${invalid.length})`);
for (const file of invalid) {
  if (validate(parse(file))) fail(`${relative(root, file)}: invalid, but Ajv accepts it`);
  else ok(`${relative(root, file)}: invalid (${errors()[0]})`);
}

// What the snippets insert, placeholders at their defaults, is a valid manifest.
const expand = (v) =>
  typeof v === "string"
    ? v.replace(/\$\{\d+\|([^,|]*)[^}]*\|\}/g, "$1").replace(/\$\{\d+:([^}]*)\}/g, "$1")
    : Array.isArray(v)
      ? v.map(expand)
      : v && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expand(x)]))
        : v;
const snippets = [
  ...schema.defaultSnippets.map((s) => [s.label, expand(s.body)]),
  ...schema.properties.pbxs.items.defaultSnippets.map((s) => [s.label, { version: 1, pbxs: [expand(s.body)] }]),
];
for (const [label, doc] of snippets) {
  if (validate(doc)) ok(`the \`${label}\` snippet: valid`);
  else fail(`the \`${label}\` snippet: valid`, [JSON.stringify(doc), ...errors()]);
}

// The policy file's schema: strict too, and the example policy is valid under it.
{
  const policySchema = JSON.parse(readFileSync(join(root, "schema/policy.schema.json"), "utf8"));
  warnings.length = 0;
  let validatePolicy;
  try {
    validatePolicy = ajv.compile(policySchema);
    if (warnings.length > 0) fail("the policy schema compiles in strict mode without warnings", warnings);
    else ok(`the policy schema ($id ${policySchema.$id}) compiles in Ajv strict mode`);
  } catch (e) {
    fail("the policy schema compiles in strict mode", [String(e)]);
  }
  if (validatePolicy) {
    const example = join(root, "examples/policy/entitle.policy.yaml");
    const doc = YAML.parse(readFileSync(example, "utf8"), { merge: true });
    if (validatePolicy(doc)) ok(`${relative(root, example)}: valid`);
    else fail(`${relative(root, example)}: valid`, (validatePolicy.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
    for (const bad of [{ version: 1, budget: { perRun: 5000 } }, { version: 1, operations: ["renew"] }, { version: 1, maxIncrease: { extensions: -1 } }]) {
      if (validatePolicy(bad)) fail(`${JSON.stringify(bad)}: invalid, but Ajv accepts it`);
      else ok(`${JSON.stringify(bad)}: invalid`);
    }
  }
}

verdict("ajv", "the schema compiles in strict mode and agrees with the fixtures");
