// Drives the real yaml-language-server (npm, pinned in package.json) over LSP with the committed
// manifest schema, and checks that an editor and `entitle validate` agree:
//   (a) the example manifests and tests/fixtures/editor/valid get no diagnostics;
//   (b) each manifest of tests/fixtures/editor/invalid (one rule the schema expresses each)
//       gets a diagnostic on the line `entitle validate --format json` names, and validate
//       names exactly one problem; where the schema words the rule itself (`errorMessage`,
//       `patternErrorMessage`), the editor shows that message and no other, and no fixture
//       gets an editor's wording of a pattern or a `not` (a regex, "Matches a schema...");
//   (c) hover shows a field's markdownDescription and an enum value's description;
//   (d) completion offers the PBX-entry and whole-file snippets, and what they insert (and the
//       values offered for whole-number fields) validates, in the editor and in entitle;
//   (e) the policy file (schema/policy.schema.json, by the file's modeline): the example has no
//       diagnostics and hover shows a field's description; a bad one is flagged by the editor
//       on exactly the lines `entitle validate` names.
// Prints one line per check; exits 1 on any failure, and fails after a timeout rather than hang.
// Usage: node tests/node/yaml-ls.mjs [ENTITLE_BINARY]   (default target/debug/entitle)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { LspClient } from "./lsp.mjs";
import { fail, ok, verdict } from "./checks.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const entitle = resolve(root, process.argv[2] ?? "target/debug/entitle");
const schemaPath = join(root, "schema/manifest.schema.json");
const schema = JSON.parse(readFileSync(schemaPath, "utf8"));
const editorDir = join(root, "tests/fixtures/editor");
const TIMEOUT_MS = 120_000;

// Rules whose diagnostic an editor puts on a whole node rather than the line validate names:
// uniqueItems underlines the whole list (validate names the repeated item, inside it).
const SPANS_THE_LIST = new Set(["duplicate-services.yaml"]);

// What the editor says for the rules the schema words itself: the only diagnostic of the file.
const MONTHLY = "monthly billing has no multi-year term: remove `term`, or set `billingCycle: annually`";
const CONTACT =
  "the billing contact is neither an e-mail address nor a numeric ID: write its e-mail (`billing@example.com`) or its ID (`3197218168379846218`)";
const RENEW_BEFORE =
  "`renewBefore` must be days or weeks with a unit, such as `30d` or `4w`, at most a year (`365d` or `52w`)";
const MESSAGES = {
  "billing-contact.yaml": CONTACT,
  "billing-contact-id.yaml": CONTACT,
  "capacity-as-service.yaml":
    "`Extension Expansion` is capacity, not a service to list: set `extensions:` to the TOTAL wanted; entitle buys the difference",
  "capacity-as-service-object.yaml":
    "`Concurrent Call Expansion` is capacity, not a service to list: set `concurrentCalls:` to the TOTAL wanted; entitle buys the difference",
  "cloud-pbx-extensions.yaml": "too many extensions for a Cloud PBX: it has 5 to 500",
  "cloud-pbx-extensions-by-id.yaml": "too few extensions for a Cloud PBX: it has 5 to 500",
  "cloud-pbx-from-defaults.yaml": "too many extensions for a Cloud PBX: it has 5 to 500",
  "id-pattern.yaml": "not an ID: an ID is 1 to 19 digits, not starting with 0, e.g. `3049040650094403584`",
  "label-key.yaml":
    "a label key may hold only letters, digits, `.`, `_` and `-` (at most 63, starting with a letter or digit)",
  "label-value.yaml": "a label value may not hold control characters (tabs, line breaks)",
  "monthly-with-term.yaml": MONTHLY,
  "monthly-and-term-in-defaults.yaml": MONTHLY,
  "monthly-from-defaults.yaml":
    "`defaults` sets monthly billing, which has no multi-year term: remove `term`, or set `billingCycle: annually` on this PBX",
  "monthly-term-in-defaults.yaml":
    "a PBX billed monthly takes this term, and monthly billing has no multi-year term: remove `term`, or give that PBX its own `term: 1`",
  "no-product.yaml":
    "this PBX names no product: add `product: linkus | appliance | software-edition | cloud-pbx` (or `productId: N`), here or in `defaults`",
  "plan-and-plan-id.yaml": "`plan` and `planId` are two ways to say the same thing; give only one",
  "product-and-product-id.yaml": "`product` and `productId` are two ways to say the same thing; give only one",
  "renew-before-a-number.yaml": RENEW_BEFORE,
  "renew-before-over-a-year.yaml": RENEW_BEFORE,
  "renew-before-without-unit.yaml": RENEW_BEFORE,
  "service-name-and-id.yaml":
    "this service gives both `name` and `id`; give only one: write it as its name, `{name: ...}` or `{id: ...}`",
  "sn-pattern.yaml":
    "an SN is letters and digits only (at most 64): write the serial number as the PBX shows it, e.g. `3651D3296882`",
};
// The editor's own words for a pattern or a `not`, which say nothing a user can act on.
const CRYPTIC = [/does not match the pattern/, /Matches a schema that is not allowed/, /more properties than limit/];

const require = createRequire(import.meta.url);
const server = join(dirname(require.resolve("yaml-language-server/package.json")), "bin/yaml-language-server");
const settings = {
  yaml: {
    validate: true,
    hover: true,
    completion: true,
    format: { enable: false },
    schemaStore: { enable: false },
    kubernetesCRDStore: { enable: false },
    schemas: { [pathToFileURL(schemaPath).href]: ["tests/fixtures/editor/**/*.yaml"] },
  },
};
const client = new LspClient(process.execPath, [server, "--stdio"], settings);

const timer = setTimeout(() => {
  console.error(`FAIL timed out after ${TIMEOUT_MS / 1000} s (the language server stopped answering)`);
  client.kill();
  process.exit(1);
}, TIMEOUT_MS);

const show = (d) =>
  `${d.range.start.line + 1}:${d.range.start.character + 1}-${d.range.end.line + 1}:${d.range.end.character + 1} ${d.message}`;
const yamlFiles = (dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => join(dir, f));
const rel = (p) => relative(root, p);

/** `entitle validate --format json FILE`: its exit code and report. */
function validate(file) {
  try {
    const out = execFileSync(entitle, ["validate", "--format", "json", file], { encoding: "utf8" });
    return { code: 0, report: JSON.parse(out) };
  } catch (e) {
    if (typeof e.status !== "number") throw e;
    return { code: e.status, report: JSON.parse(e.stdout) };
  }
}

/** The text a completion item inserts, with snippet placeholders replaced by their defaults. */
function expand(snippet) {
  return snippet
    .replace(/\$\{\d+\|([^,|]*)[^}]*\|\}/g, "$1")
    .replace(/\$\{\d+:([^}]*)\}/g, "$1")
    .replace(/\$\{\d+\}|\$\d+/g, "");
}

/**
 * `text` with a completion item applied at `position` (its textEdit range, if it has one) as an
 * editor applies it: placeholders at their defaults, and, unless the item asks for its text
 * as is (insertTextMode 1), every line after the first indented like the line it starts on.
 */
function applyCompletion(text, position, item) {
  const lines = text.split("\n");
  const offset = (p) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const edit = item.textEdit;
  const range = edit?.range ?? edit?.replace ?? { start: position, end: position };
  let insert = expand(edit?.newText ?? item.insertText ?? item.label);
  if (item.insertTextMode !== 1) {
    const indent = /^\s*/.exec(lines[range.start.line])[0];
    insert = insert.split("\n").join(`\n${indent}`);
  }
  return text.slice(0, offset(range.start)) + insert + text.slice(offset(range.end));
}

let virtual = 0;
/** Opens `text` as a new document matched to the schema; its diagnostics, then closes it. */
async function diagnose(text) {
  virtual += 1;
  const uri = pathToFileURL(join(editorDir, `(virtual-${virtual}).yaml`)).href;
  const diagnostics = await client.open(uri, text);
  client.close(uri);
  return diagnostics;
}

/** Checks that `text` is a valid manifest for the editor and for entitle. */
async function bothAccept(what, text) {
  const diagnostics = await diagnose(text);
  const dir = mkdtempSync(join(tmpdir(), "entitle-yaml-ls-"));
  const file = join(dir, "inserted.yaml");
  writeFileSync(file, text);
  const { code, report } = validate(file);
  rmSync(dir, { recursive: true, force: true });
  if (diagnostics.length === 0 && code === 0) ok(what);
  else
    fail(what, [
      ...text.split("\n").map((l) => `| ${l}`),
      ...diagnostics.map((d) => `editor: ${show(d)}`),
      ...(report.problems ?? []).map((p) => `entitle validate: ${p.line}:${p.column}: ${p.message}`),
    ]);
}

async function completion(text, position) {
  const uri = pathToFileURL(join(editorDir, `(completion-${++virtual}).yaml`)).href;
  await client.open(uri, text);
  const result = await client.request("textDocument/completion", { textDocument: { uri }, position });
  client.close(uri);
  return Array.isArray(result) ? result : (result?.items ?? []);
}

/** Where `needle` starts in `text` (0-based line and character), on its `nth` occurrence. */
function find(text, needle, nth = 0) {
  const lines = text.split("\n");
  let seen = 0;
  for (let line = 0; line < lines.length; line++) {
    const character = lines[line].indexOf(needle);
    if (character >= 0 && seen++ === nth) return { line, character };
  }
  throw new Error(`\`${needle}\` is not in the text`);
}

async function hover(uri, position) {
  const h = await client.request("textDocument/hover", { textDocument: { uri }, position });
  const c = h?.contents;
  return typeof c === "string" ? c : (c?.value ?? "");
}

try {
  await client.initialize(pathToFileURL(root).href);
  client.notify("workspace/didChangeConfiguration", { settings });
  // The server pulls the settings and revalidates the open documents once they apply: a
  // document the schema refuses getting a diagnostic shows the association is in place.
  const probe = pathToFileURL(join(editorDir, "(probe).yaml")).href;
  const applied = client.next(
    "textDocument/publishDiagnostics",
    (p) => p.uri === probe && p.diagnostics.length > 0,
  );
  await client.open(probe, "version: 2\npbxs: []\n");
  await applied;
  client.close(probe);

  // (a) Valid manifests: no diagnostics, and the schema is theirs (hover shows its words).
  const versionDoc = schema.properties.version.markdownDescription;
  for (const file of [...yamlFiles(join(root, "manifests/examples")), ...yamlFiles(join(editorDir, "valid"))]) {
    const uri = pathToFileURL(file).href;
    const text = readFileSync(file, "utf8");
    const diagnostics = await client.open(uri, text);
    const shown = await hover(uri, find(text, "version:"));
    client.close(uri);
    const { code } = validate(file);
    if (diagnostics.length > 0 || code !== 0 || !shown.includes(versionDoc)) {
      fail(`${rel(file)}: valid, without diagnostics`, [
        ...diagnostics.map(show),
        `entitle validate exit code ${code}`,
        `hover on version: ${JSON.stringify(shown)}`,
      ]);
    } else {
      ok(`${rel(file)}: no diagnostics (entitle validate: valid)`);
    }
  }

  // (b) One rule each: the editor flags the line entitle validate names.
  for (const file of yamlFiles(join(editorDir, "invalid"))) {
    const text = readFileSync(file, "utf8");
    const diagnostics = await client.open(pathToFileURL(file).href, text);
    client.close(pathToFileURL(file).href);
    const { code, report } = validate(file);
    const problems = report.problems ?? [];
    const name = file.split("/").pop();
    const onLine = (line) =>
      diagnostics.filter((d) =>
        SPANS_THE_LIST.has(name)
          ? d.range.start.line + 1 <= line && line <= d.range.end.line + 1
          : d.range.start.line + 1 === line,
      );
    const details = [
      ...problems.map((p) => `entitle validate: ${p.line}:${p.column}: ${p.message}`),
      ...diagnostics.map((d) => `editor: ${show(d)}`),
    ];
    const cryptic = diagnostics.filter((d) => CRYPTIC.some((c) => c.test(d.message)));
    const want = MESSAGES[name];
    if (code !== 1 || problems.length !== 1) {
      fail(`${rel(file)}: entitle validate names one problem (exit 1)`, [`exit code ${code}`, ...details]);
    } else if (onLine(problems[0].line).length === 0) {
      fail(`${rel(file)}: a diagnostic on line ${problems[0].line}`, details);
    } else if (cryptic.length > 0) {
      fail(`${rel(file)}: no diagnostic in an editor's words for a pattern or a \`not\``, details);
    } else if (want !== undefined && !diagnostics.every((d) => d.message === want)) {
      fail(`${rel(file)}:${problems[0].line}: the editor says ${JSON.stringify(want)}, and nothing else`, details);
    } else {
      const d = onLine(problems[0].line)[0];
      ok(`${rel(file)}:${problems[0].line}: ${JSON.stringify(d.message)}`);
    }
  }

  const unused = Object.keys(MESSAGES).filter((f) => !readdirSync(join(editorDir, "invalid")).includes(f));
  if (unused.length > 0) fail("every fixture with an intended message exists", unused);

  // (c) Hover: a field's markdown description, an enum value's own description.
  {
    const file = join(root, "manifests/examples/acme.yaml");
    const uri = pathToFileURL(file).href;
    const text = readFileSync(file, "utf8");
    await client.open(uri, text);
    const field = schema.properties.defaults.properties.renewBefore.markdownDescription;
    const shown = await hover(uri, find(text, "renewBefore"));
    if (shown.includes(field)) ok(`hover on renewBefore shows its markdownDescription: ${JSON.stringify(field)}`);
    else fail("hover on renewBefore shows its markdownDescription", [`expected ${JSON.stringify(field)}`, `shown ${JSON.stringify(shown)}`]);
    // A field with several forms: the form written, in words, and the field's description.
    const sn = schema.properties.pbxs.items.properties.sn;
    const onSn = await hover(uri, find(text, "sn:"));
    const heading = `#### ${sn.anyOf[0].title}\n\n${sn.markdownDescription}`;
    if (onSn.startsWith(heading)) ok(`hover on sn shows ${JSON.stringify(heading)}`);
    else fail("hover on sn names the form and describes the field", [`expected ${JSON.stringify(heading)}`, `shown ${JSON.stringify(onSn)}`]);
    const product = schema.properties.pbxs.items.properties.product;
    const value = "software-edition";
    const described = `\`${value}\`: ${product.markdownEnumDescriptions[product.enum.indexOf(value)]}`;
    const atValue = find(text, value);
    const onValue = await hover(uri, { line: atValue.line, character: atValue.character + 1 });
    if (onValue.includes(described)) ok(`hover on product ${value} shows ${JSON.stringify(described)}`);
    else fail(`hover on product ${value} describes the value`, [`expected ${JSON.stringify(described)}`, `shown ${JSON.stringify(onValue)}`]);
    client.close(uri);
  }

  // (d) Completion: the snippets, and values for whole-number fields the schema accepts.
  {
    const list = "version: 1\npbxs:\n  - ";
    const at = { line: 2, character: 4 };
    const items = await completion(list, at);
    const entry = items.find((i) => i.label === "PBX entry");
    if (!entry) fail("completion in a new list item offers the `PBX entry` snippet", [`offered: ${items.map((i) => i.label).join(", ")}`]);
    else await bothAccept("the `PBX entry` snippet inserts a valid entry", applyCompletion(list, at, entry));

    const empty = "";
    const start = { line: 0, character: 0 };
    const whole = (await completion(empty, start)).find((i) => i.label === "entitle manifest");
    if (!whole) fail("completion in an empty file offers the `entitle manifest` snippet");
    else await bothAccept("the `entitle manifest` snippet inserts a valid manifest", applyCompletion(empty, start, whole));

    const doc = "version: 1\npbxs:\n  - sn: 3658B431119665QJ\n    product: cloud-pbx\n    ";
    const cursor = { line: 4, character: 4 };
    const offered = await completion(doc, cursor);
    for (const key of ["term", "extensions", "concurrentCalls", "productId"]) {
      const item = offered.find((i) => i.label === key);
      if (!item) {
        fail(`completion offers \`${key}\``, [`offered: ${offered.map((i) => i.label).join(", ")}`]);
        continue;
      }
      let inserted = applyCompletion(doc, cursor, item);
      // `productId` beside `product` breaks another rule: check its value alone.
      if (key === "productId") inserted = inserted.replace("    product: cloud-pbx\n", "");
      const line = inserted.split("\n").find((l) => l.trim().startsWith(`${key}:`));
      await bothAccept(`completing \`${key}\` inserts \`${line.trim()}\``, inserted);
    }
  }

  // (e) The policy file: its schema (by the file's modeline), the same problems as entitle's.
  {
    const policySchema = JSON.parse(readFileSync(join(root, "schema/policy.schema.json"), "utf8"));
    const example = join(root, "examples/policy/entitle.policy.yaml");
    const uri = pathToFileURL(example).href;
    const text = readFileSync(example, "utf8");
    const diagnostics = await client.open(uri, text);
    const shown = await hover(uri, find(text, "perRun"));
    client.close(uri);
    const perRun = policySchema.properties.budget.properties.perRun.markdownDescription;
    if (diagnostics.length > 0) fail(`${rel(example)}: no diagnostics`, diagnostics.map(show));
    else ok(`${rel(example)}: no diagnostics`);
    if (shown.includes(perRun)) ok(`hover on perRun shows ${JSON.stringify(perRun)}`);
    else fail("hover on perRun shows its description", [`expected ${JSON.stringify(perRun)}`, `shown ${JSON.stringify(shown)}`]);

    // One problem per line, each flagged by the editor on the line entitle names.
    const dir = mkdtempSync(join(tmpdir(), "entitle-policy-"));
    const bad = [
      `# yaml-language-server: $schema=${pathToFileURL(join(root, "schema/policy.schema.json")).href}`,
      "version: 1",
      "budget:",
      "  perRun: 5000",
      "  perDay: USD 10",
      "operations: [renew]",
      "maxIncrease:",
      "  extensions: -1",
      "unknownPrice: alow",
      "",
    ].join("\n");
    const file = join(dir, "entitle.policy.yaml");
    writeFileSync(file, bad);
    writeFileSync(join(dir, "acme.yaml"), readFileSync(join(root, "manifests/examples/acme.yaml"), "utf8"));
    const badUri = pathToFileURL(file).href;
    const flagged = await client.open(badUri, bad);
    client.close(badUri);
    const { code, report } = validate(dir);
    rmSync(dir, { recursive: true, force: true });
    const lines = (report.problems ?? []).map((p) => p.line).sort((a, b) => a - b);
    const editorLines = [...new Set(flagged.map((d) => d.range.start.line + 1))].sort((a, b) => a - b);
    const details = [
      ...(report.problems ?? []).map((p) => `entitle validate: ${p.line}:${p.column}: ${p.message}`),
      ...flagged.map((d) => `editor: ${show(d)}`),
    ];
    if (code === 1 && JSON.stringify(lines) === JSON.stringify([4, 5, 6, 8, 9]) && JSON.stringify(editorLines) === JSON.stringify(lines)) {
      ok(`a bad policy file: the editor and entitle validate flag the same lines ${lines.join(", ")}`);
    } else {
      fail("a bad policy file: the editor and entitle validate flag the same lines (4, 5, 6, 8, 9)", [`exit code ${code}`, ...details]);
    }
  }
} catch (e) {
  fail(`the language server session: ${e.message}`);
}

clearTimeout(timer);
try {
  await Promise.race([
    client.shutdown(),
    new Promise((_, reject) => setTimeout(() => reject(new Error("no exit after shutdown")), 10_000)),
  ]);
} catch (e) {
  client.kill();
  fail(`the language server shuts down: ${e.message}`);
}
verdict("yaml-language-server", "the editor and entitle validate agree");
