// Validates SARIF logs against the SARIF 2.1.0 JSON Schema (the copy Microsoft ships in
// @microsoft/jest-sarif, a draft-04 schema, hence Ajv's draft-04 class), and checks what the
// schema cannot: every result's ruleId names a rule of its run, at its ruleIndex. Prints every
// problem as file: path: message and exits 1 when there is one.
// Usage: node tests/node/sarif.mjs FILE...
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import Ajv04 from "ajv-draft-04";
import addFormats from "ajv-formats";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tests/node/sarif.mjs FILE...");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const schema = require("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
// Not strict: the schema is Microsoft's, checked here as published, not linted. Its `language`
// pattern has a stray `]` that a Unicode-mode regular expression refuses: compile without `u`.
const ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);

let problems = 0;
const report = (file, path, message) => {
  problems += 1;
  console.error(`${file}: ${path || "/"}: ${message}`);
};
for (const file of files) {
  const log = JSON.parse(await readFile(file, "utf8"));
  if (!validate(log)) {
    for (const e of validate.errors) report(file, e.instancePath, e.message);
  }
  (log.runs ?? []).forEach((run, r) => {
    const rules = run.tool?.driver?.rules ?? [];
    (run.results ?? []).forEach((result, i) => {
      const at = `/runs/${r}/results/${i}`;
      if (!rules.some((rule) => rule.id === result.ruleId)) {
        report(file, at, `ruleId ${result.ruleId} is not a rule of the run`);
      } else if (rules[result.ruleIndex]?.id !== result.ruleId) {
        report(file, at, `ruleIndex ${result.ruleIndex} is not the rule ${result.ruleId}`);
      }
    });
  });
}
if (problems > 0) {
  console.error(`sarif: ${problems} problem(s) in ${files.length} file(s)`);
  process.exit(1);
}
console.log(`sarif: ${files.length} file(s) valid against SARIF 2.1.0`);
