//! The example workflow (`examples/ci/entitlements.yml`) run for real: the `run:` scripts of its
//! steps, read from the file and executed with bash as GitHub runs them (`-eo pipefail`, the
//! `GITHUB_OUTPUT` file, `${{ }}` filled in from the event), against a sandbox, the real binary
//! and a real PostgreSQL backend. `gh` is a stub that keeps artifacts and comments in
//! directories, and the upload action is a copy. What is checked is what a reviewer relies on:
//! the plan commented on the pull request is the plan that is applied on merge, one comment is
//! updated in place, a stale plan buys nothing and the pull request is told.
//!
//! The sandbox runs on the system clock (the workflow passes no `--now`); the demo account is
//! seeded relative to its day, so the scenarios are the same whatever the day.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{Backend, CLIENT_ID, Env, SECRET};

/// The workflow's steps by job and name.
struct Workflow {
    doc: Value,
}

impl Workflow {
    fn load() -> Workflow {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci/entitlements.yml");
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = entitle::manifest::document_json("entitlements.yml", &text)
            .unwrap_or_else(|e| panic!("{e}"));
        Workflow { doc }
    }

    fn step(&self, job: &str, name: &str) -> &Value {
        self.doc["jobs"][job]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no step `{name}` in job `{job}`"))
    }
}

/// `${{ expr }}` filled in from `ctx`; an expression the test does not know fails it, so a
/// change to the workflow is a change to this test.
fn expand(text: &str, ctx: &BTreeMap<&str, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("an unclosed expression") + start;
        let expr = rest[start + 3..end].trim();
        let value = ctx
            .get(expr)
            .unwrap_or_else(|| panic!("the test does not know `${{{{ {expr} }}}}`"));
        out.push_str(value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// One pull request's runner: its checkout, the `gh` stub's stores, the event.
struct Runner<'a> {
    env: &'a Env,
    workflow: Workflow,
    checkout: PathBuf,
    stub: PathBuf,
    artifacts: PathBuf,
    comments: PathBuf,
    ctx: BTreeMap<&'static str, String>,
    /// Whether `gh run list` finds a successful plan run for the head.
    plan_run_succeeded: bool,
}

/// What a step did: its exit code, its outputs, its stdout and stderr.
struct Ran {
    code: i32,
    outputs: BTreeMap<String, String>,
    log: String,
}

const GH_STUB: &str = r#"#!/usr/bin/env bash
# gh, as far as the workflow uses it: artifacts in $GH_ARTIFACTS/NAME/, comments in
# $GH_COMMENTS/ID.md.
set -euo pipefail
echo "gh $*" >> "$GH_COMMENTS/../gh.log"
case "$1 $2" in
  "run list") echo "${GH_RUN_ID:-}" ;;
  "run download")
    name=""; dir="."
    shift 2
    while [ $# -gt 0 ]; do
      case "$1" in --name) name=$2; shift ;; --dir) dir=$2; shift ;; esac
      shift
    done
    [ -f "$GH_ARTIFACTS/$name/plan.json" ] || { echo "no artifact $name" >&2; exit 1; }
    cp "$GH_ARTIFACTS/$name/plan.json" "$dir/" ;;
  "api --paginate")
    for f in "$GH_COMMENTS"/*.md; do
      [ -e "$f" ] || continue
      if [ "$(head -n 1 "$f")" = "<!-- entitle-plan -->" ]; then basename "$f" .md; fi
    done ;;
  "api --method")
    [ "$3" = PATCH ] && [ "$5" = -F ] || { echo "gh stub: unexpected gh $*" >&2; exit 2; }
    id=${4##*/}; body=${6#body=@}
    cp "$body" "$GH_COMMENTS/$id.md" ;;
  "pr comment")
    n=$(find "$GH_COMMENTS" -name '*.md' | wc -l)
    cp "$7" "$GH_COMMENTS/$((1000 + n)).md" ;;
  *) echo "gh stub: unexpected gh $*" >&2; exit 2 ;;
esac
"#;

impl<'a> Runner<'a> {
    fn new(env: &'a Env, backend: &str) -> Runner<'a> {
        let root = env.path().join("runner");
        let checkout = root.join("checkout");
        let stub = root.join("bin");
        let artifacts = root.join("artifacts");
        let comments = root.join("comments");
        for d in [&checkout, &stub, &artifacts, &comments] {
            std::fs::create_dir_all(d).unwrap();
        }
        let manifests = checkout.join("manifests");
        std::fs::create_dir_all(&manifests).unwrap();
        for e in std::fs::read_dir(Env::examples()).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), manifests.join(e.file_name())).unwrap();
        }
        let gh = stub.join("gh");
        std::fs::write(&gh, GH_STUB).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
        let head = "4b825dc642cb6eb9a060e54bf8d69288fbee4904".to_owned();
        let ctx = BTreeMap::from([
            ("github.server_url", "https://github.com".to_owned()),
            ("github.repository", "acme/entitlements".to_owned()),
            (
                "github.sha",
                "9fceb02d0ae598e95dc970b74767f19372d61af8".to_owned(),
            ),
            ("github.run_id", "4242".to_owned()),
            ("github.token", "gh-token".to_owned()),
            ("github.workflow", "entitlements".to_owned()),
            ("github.event.pull_request.number", "7".to_owned()),
            ("github.event.pull_request.head.sha", head),
            (
                "github.event.pull_request.head.repo.full_name == github.repository",
                "true".to_owned(),
            ),
            ("secrets.ENTITLE_CLIENT_ID", CLIENT_ID.to_owned()),
            ("secrets.ENTITLE_CLIENT_SECRET", SECRET.to_owned()),
            ("secrets.ENTITLE_BACKEND", backend.to_owned()),
        ]);
        Runner {
            env,
            workflow: Workflow::load(),
            checkout,
            stub,
            artifacts,
            comments,
            ctx,
            plan_run_succeeded: true,
        }
    }

    /// Runs one step's script with the workflow's, the job's and the step's environment.
    fn run(&self, job: &str, name: &str) -> Ran {
        let step = self.workflow.step(job, name);
        let script = step["run"].as_str().expect("a run step");
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        for scope in [
            &self.workflow.doc["env"],
            &self.workflow.doc["jobs"][job]["env"],
            &step["env"],
        ] {
            for (k, v) in scope.as_object().into_iter().flatten() {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                vars.insert(k.clone(), expand(&v, &self.ctx));
            }
        }
        // The install step (entitle's action, `action.yml`, checked by tests/node/action.mjs)
        // is not run: the binary under test is on PATH instead.
        let output = self.checkout.join(".github_output");
        std::fs::write(&output, "").unwrap();
        let bin = assert_cmd::cargo::cargo_bin!("entitle")
            .parent()
            .unwrap()
            .to_owned();
        let path = format!(
            "{}:{}:{}",
            self.stub.display(),
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("bash");
        // The suite's environment less what would steer entitle (not cleared: CI moves the
        // clock with libfaketime, and the binary must see the sandbox's day).
        crate::support::scrub(&mut cmd);
        for (k, _) in std::env::vars() {
            if k.starts_with("GITHUB_") || k.starts_with("GH_") || k.starts_with("RUNNER_") {
                cmd.env_remove(k);
            }
        }
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(&self.checkout)
            .env("PATH", path)
            .env("HOME", self.env.path())
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_REPOSITORY", &self.ctx["github.repository"])
            .env("RUNNER_TEMP", self.env.path())
            .env("GH_ARTIFACTS", &self.artifacts)
            .env("GH_COMMENTS", &self.comments)
            .env(
                "GH_RUN_ID",
                if self.plan_run_succeeded { "4242" } else { "" },
            )
            // The runner's own environment: where the vendor is, and this machine's locks.
            .env("ENTITLE_BASE_URL", &self.env.base_url)
            .env("ENTITLE_LOCK_DIR", self.env.path().join(".locks"))
            .env("NO_COLOR", "1")
            .envs(&vars);
        let out = cmd.output().unwrap();
        let outputs = std::fs::read_to_string(&output)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Ran {
            code: out.status.code().unwrap_or(-1),
            outputs,
            log: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    /// The upload action: the step's `path` into the artifact store under its `name`.
    fn upload(&self) -> String {
        let step = self.workflow.step("plan", "Save the reviewed plan");
        assert_eq!(step["uses"], "actions/upload-artifact@v4");
        let name = expand(step["with"]["name"].as_str().unwrap(), &self.ctx);
        let path = step["with"]["path"].as_str().unwrap();
        let dir = self.artifacts.join(&name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(self.checkout.join(path), dir.join("plan.json")).unwrap();
        name
    }

    /// The plan job on a push: validate, plan, save, comment. Returns the plan step.
    fn plan_job(&self) -> Ran {
        let validate = self.run("plan", "Validate (offline)");
        let plan = self.run("plan", "Plan");
        if matches!(
            plan.outputs.get("exit").map(String::as_str),
            Some("0" | "2")
        ) {
            assert_eq!(validate.code, 0, "{}", validate.log);
            self.upload();
        }
        let comment = self.run("plan", "Comment the plan (or why there is none)");
        assert_eq!(comment.code, 0, "{}", comment.log);
        plan
    }

    /// The apply job on merge: fetch, apply, tell (which reads the two steps' outputs).
    /// Returns the apply step, or the fetch step when it failed.
    fn apply_job(&mut self) -> Ran {
        let fetch = self.run("apply", "Fetch the reviewed plan");
        let missing = fetch.outputs.get("missing").cloned().unwrap_or_default();
        self.ctx.insert("steps.fetch.outputs.missing", missing);
        let apply = if fetch.code == 0 {
            self.run("apply", "Apply the reviewed plan")
        } else {
            fetch
        };
        let code = apply.outputs.get("exit").cloned().unwrap_or_default();
        self.ctx.insert("steps.apply.outputs.exit", code);
        let tell = self.run("apply", "Tell the pull request");
        assert_eq!(tell.code, 0, "{}", tell.log);
        apply
    }

    /// The comments on the pull request, by ID.
    fn comments(&self) -> BTreeMap<String, String> {
        std::fs::read_dir(&self.comments)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                (
                    p.file_stem().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect()
    }

    /// The comments that tell the pull request how its apply went.
    fn apply_comments(&self) -> Vec<String> {
        self.comments()
            .into_values()
            .filter(|c| c.starts_with("### entitle apply"))
            .collect()
    }
}

fn demo_on_the_system_clock() -> Env {
    Env::with(|c| c.clock = entitle::clock::Clock::system())
}

/// The poNumbers of a saved plan's orders.
fn planned_orders(plan_json: &Path) -> Vec<String> {
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(plan_json).unwrap()).unwrap();
    let mut pos: Vec<String> = plan["pbxs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["actions"].as_array().unwrap())
        .filter_map(|a| a["order"]["poNumber"].as_str().map(str::to_owned))
        .collect();
    pos.sort();
    pos
}

fn sent_orders(env: &Env) -> Vec<String> {
    let mut pos: Vec<String> = env
        .order_bodies()
        .iter()
        .map(|b| b["poNumber"].as_str().unwrap().to_owned())
        .collect();
    pos.sort();
    pos
}

/// Both jobs install entitle with entitle's action, pinned: the action's ref is the version
/// installed, and the version and checksum are the workflow's one pair (which the release
/// fills in its copy). `<owner>` names no one: a user must name the repository deliberately.
#[test]
fn both_jobs_install_the_pinned_release_with_the_action() {
    let workflow = Workflow::load();
    let version = workflow.doc["env"]["ENTITLE_VERSION"].as_str().unwrap();
    assert_eq!(workflow.doc["env"]["ENTITLE_SHA256"], "");
    for job in ["plan", "apply"] {
        let step = workflow.step(job, "Install entitle (pinned release, checksum verified)");
        assert_eq!(step["uses"], format!("<owner>/entitle@v{version}"), "{job}");
        assert_eq!(
            step["with"]["version"], "${{ env.ENTITLE_VERSION }}",
            "{job}"
        );
        assert_eq!(step["with"]["sha256"], "${{ env.ENTITLE_SHA256 }}", "{job}");
        assert!(
            step["run"].is_null(),
            "{job}: the install is the action's, not a script"
        );
        // The install comes before any step that runs entitle.
        assert_eq!(
            workflow.doc["jobs"][job]["steps"]
                .as_array()
                .unwrap()
                .iter()
                .position(|s| s == step),
            Some(if job == "plan" { 1 } else { 0 }),
            "{job}"
        );
    }
}

#[test]
fn the_plan_commented_on_the_pull_request_is_the_plan_applied_on_merge() {
    let env = demo_on_the_system_clock().on(Backend::Postgres);
    let mut runner = Runner::new(&env, env.database().unwrap());

    // Two pushes: one comment, updated in place.
    for _ in 0..2 {
        let plan = runner.plan_job();
        assert_eq!(plan.outputs["exit"], "2", "{}", plan.log);
    }
    let comments = runner.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    let comment = comments.values().next().unwrap();
    assert!(
        comment.starts_with(
            "<!-- entitle-plan -->\n### entitle plan: 4 orders and 1 auto-renew switch for 4 PBXs, USD 7,900.00\n"
        ),
        "{comment}"
    );
    assert!(
        comment.contains("— [`manifests/acme.yaml:19`](https://github.com/acme/entitlements/blob/9fceb02d0ae598e95dc970b74767f19372d61af8/manifests/acme.yaml#L19)"),
        "{comment}"
    );
    assert!(comment.contains("Merging applies exactly this plan (artifact of [this run](https://github.com/acme/entitlements/actions/runs/4242))."), "{comment}");
    assert!(!comment.contains(SECRET), "{comment}");
    assert_eq!(
        sent_orders(&env),
        Vec::<String>::new(),
        "a plan orders nothing"
    );

    // Merged: the saved plan is applied, order for order.
    let reviewed = planned_orders(
        &runner
            .artifacts
            .join("entitle-plan-7-4b825dc642cb6eb9a060e54bf8d69288fbee4904/plan.json"),
    );
    assert_eq!(reviewed.len(), 4);
    let apply = runner.apply_job();
    assert_eq!(apply.outputs["exit"], "0", "{}", apply.log);
    assert_eq!(sent_orders(&env), reviewed);
    let told = runner.apply_comments();
    assert_eq!(told.len(), 1);
    assert!(
        told[0].starts_with("### entitle apply: exit 0, applied the reviewed plan\n"),
        "{}",
        told[0]
    );
    assert!(!told[0].contains(SECRET), "{}", told[0]);
}

#[test]
fn a_stale_plan_buys_nothing_and_the_pull_request_is_told() {
    let env = demo_on_the_system_clock().on(Backend::Postgres);
    let mut runner = Runner::new(&env, env.database().unwrap());
    let plan = runner.plan_job();
    assert_eq!(plan.outputs["exit"], "2", "{}", plan.log);
    // Someone changes a PBX of the plan before the merge (here, a plain apply of one PBX).
    let acme = runner.checkout.join("manifests/acme.yaml");
    let out = env
        .cmd()
        .args(["apply", acme.to_str().unwrap(), "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = sent_orders(&env);

    let apply = runner.apply_job();
    assert_eq!(apply.outputs["exit"], "3", "{}", apply.log);
    assert_eq!(sent_orders(&env), before, "a stale plan bought something");
    let told = runner.apply_comments();
    let told = told.first().expect("the pull request is told");
    assert!(
        told.starts_with("### entitle apply: exit 3, did not apply: the reviewed plan is stale"),
        "{told}"
    );
}

#[test]
fn an_invalid_push_replaces_the_plan_comment_and_a_missing_plan_is_reported() {
    let env = demo_on_the_system_clock().on(Backend::Postgres);
    let mut runner = Runner::new(&env, env.database().unwrap());
    assert_eq!(runner.plan_job().outputs["exit"], "2");
    // The next push breaks a manifest: the comment now says why there is no plan.
    let acme = runner.checkout.join("manifests/acme.yaml");
    let text = std::fs::read_to_string(&acme).unwrap();
    std::fs::write(&acme, text.replace("extensions: 300", "extentions: 300")).unwrap();
    let validate = runner.run("plan", "Validate (offline)");
    assert_eq!(validate.code, 1);
    assert!(
        validate
            .log
            .contains("::error file=manifests/acme.yaml,line=19,col=5,title=unknown-field::"),
        "{}",
        validate.log
    );
    let plan = runner.plan_job();
    assert_eq!(plan.code, 1, "{}", plan.log);
    let comments = runner.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    let comment = comments.values().next().unwrap();
    assert!(
        comment.starts_with("<!-- entitle-plan -->\n### entitle plan failed (exit 1)\n"),
        "{comment}"
    );
    assert!(comment.contains("manifests/acme.yaml:19"), "{comment}");

    // Merged anyway, with no successful plan for its head: nothing is applied, and it is said.
    runner.plan_run_succeeded = false;
    let fetch = runner.apply_job();
    assert_eq!(fetch.code, 1, "{}", fetch.log);
    assert_eq!(sent_orders(&env), Vec::<String>::new());
    let told = runner.apply_comments();
    let told = told.first().expect("the pull request is told");
    assert!(
        told.starts_with("### entitle apply: did not apply: no reviewed plan was found"),
        "{told}"
    );
}
