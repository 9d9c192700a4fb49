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
    issues: PathBuf,
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
# $GH_COMMENTS/ID.md, issues in $GH_ISSUES/NUMBER/ (body.md, state, labels, title,
# comments/N.md), the repository's labels in $GH_ISSUES/../labels. `--jq` is run by jq, as gh
# runs it (raw strings).
set -euo pipefail
echo "gh $*" >> "$GH_COMMENTS/../gh.log"
# The value of each flag of the command line: flag_title, flag_body_file, ...
parse() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --*) name=${1#--}; name=${name//-/_}; printf -v "flag_$name" '%s' "${2:-}"; shift ;;
    esac
    shift
  done
}
flag_jq=.; flag_label=""; flag_state=""; flag_body_file=""; flag_comment=""; flag_title=""
case "$1 $2" in
  "issue list")
    parse "${@:3}"
    for d in "$GH_ISSUES"/*/; do
      [ -d "$d" ] || continue
      [ -z "$flag_state" ] || [ "$(cat "$d/state")" = "$flag_state" ] || continue
      [ -z "$flag_label" ] || grep -qxF "$flag_label" "$d/labels" || continue
      jq -n --argjson number "$(basename "$d")" --rawfile body "$d/body.md" \
        '{number: $number, body: $body}'
    done | jq -s . | jq -r "$flag_jq" ;;
  "issue create")
    parse "${@:3}"
    grep -qxF "$flag_label" "$GH_ISSUES/../labels" 2>/dev/null \
      || { echo "could not add label: '$flag_label' not found" >&2; exit 1; }
    n=$(( $(find "$GH_ISSUES" -mindepth 1 -maxdepth 1 -type d | wc -l) + 1 ))
    mkdir -p "$GH_ISSUES/$n/comments"
    cp "$flag_body_file" "$GH_ISSUES/$n/body.md"
    echo open > "$GH_ISSUES/$n/state"
    echo "$flag_label" > "$GH_ISSUES/$n/labels"
    echo "$flag_title" > "$GH_ISSUES/$n/title"
    echo "https://github.com/$GITHUB_REPOSITORY/issues/$n" ;;
  "issue edit")
    parse "${@:4}"
    [ -d "$GH_ISSUES/$3" ] && [ -n "$flag_body_file" ] || { echo "gh stub: unexpected gh $*" >&2; exit 2; }
    cp "$flag_body_file" "$GH_ISSUES/$3/body.md" ;;
  "issue close")
    parse "${@:4}"
    [ -d "$GH_ISSUES/$3" ] || { echo "no issue $3" >&2; exit 1; }
    echo closed > "$GH_ISSUES/$3/state"
    if [ -n "$flag_comment" ]; then
      n=$(find "$GH_ISSUES/$3/comments" -name '*.md' | wc -l)
      printf '%s\n' "$flag_comment" > "$GH_ISSUES/$3/comments/$((n + 1)).md"
    fi ;;
  "issue comment")
    parse "${@:4}"
    [ -d "$GH_ISSUES/$3" ] || { echo "no issue $3" >&2; exit 1; }
    n=$(find "$GH_ISSUES/$3/comments" -name '*.md' | wc -l)
    cp "$flag_body_file" "$GH_ISSUES/$3/comments/$((n + 1)).md" ;;
  "pr view")
    # The pull request $3, merged into main from this repository, its head $GH_PR_HEAD.
    parse "${@:4}"
    jq -n --arg head "$GH_PR_HEAD" \
      '{mergedAt: "2026-01-05T10:00:00Z", baseRefName: "main", headRefOid: $head, isCrossRepository: false}' \
      | jq -r "$flag_jq" ;;
  "api repos/"*"/actions/artifacts?name="*)
    # An artifact of the store, as saved by a run (4243) on main of this repository.
    parse "${@:3}"
    name=${2##*\?name=}
    if [ -f "$GH_ARTIFACTS/$name/plan.json" ]; then
      jq -n --arg name "$name" '{artifacts: [{name: $name, expired: false,
        workflow_run: {id: 4243, repository_id: 1, head_repository_id: 1, head_branch: "main"}}]}'
    else
      echo '{"artifacts": []}'
    fi | jq -r "$flag_jq" ;;
  "label create")
    grep -qxF "$3" "$GH_ISSUES/../labels" 2>/dev/null || echo "$3" >> "$GH_ISSUES/../labels" ;;
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
        // The workflow's scripts use jq, as GitHub's runners have it; so does the `gh` stub.
        let jq = Command::new("jq").arg("--version").output();
        assert!(
            jq.is_ok_and(|o| o.status.success()),
            "jq is missing: install it (`apt-get install jq`)"
        );
        let root = env.path().join("runner");
        let checkout = root.join("checkout");
        let stub = root.join("bin");
        let artifacts = root.join("artifacts");
        let comments = root.join("comments");
        let issues = root.join("issues");
        for d in [&checkout, &stub, &artifacts, &comments, &issues] {
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
            ("github.event.repository.default_branch", "main".to_owned()),
            ("github.triggering_actor", "maria".to_owned()),
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
            issues,
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
            .env("GH_ISSUES", &self.issues)
            .env(
                "GH_PR_HEAD",
                &self.ctx["github.event.pull_request.head.sha"],
            )
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
        self.upload_from("plan", "Save the reviewed plan")
    }

    /// The upload action of a job's step.
    fn upload_from(&self, job: &str, name: &str) -> String {
        let step = self.workflow.step(job, name);
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
            Some("0" | "2" | "7")
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

    /// The daily job, in a run of its own: a fresh workspace with the default branch's
    /// manifests; the renewals, the plan, the plan's artifact when it is over the policy, and
    /// the issue step (which reads the two steps' outputs, as GitHub passes them).
    fn daily_job(&mut self) -> Daily {
        let run: u64 = self.ctx["github.run_id"].parse().unwrap();
        self.ctx.insert("github.run_id", (run + 1).to_string());
        for e in std::fs::read_dir(&self.checkout).unwrap() {
            let path = e.unwrap().path();
            if path.file_name().unwrap() != "manifests" {
                if path.is_dir() {
                    std::fs::remove_dir_all(&path).unwrap();
                } else {
                    std::fs::remove_file(&path).unwrap();
                }
            }
        }
        let output = |ran: &Ran, key: &str| ran.outputs.get(key).cloned().unwrap_or_default();
        let renew = self.run("daily", "Apply the renewals due");
        self.ctx
            .insert("steps.renew.outputs.exit", output(&renew, "exit"));
        let plan = self.run("daily", "Plan everything");
        self.ctx
            .insert("steps.plan.outputs.exit", output(&plan, "exit"));
        self.ctx
            .insert("steps.plan.outputs.matches", output(&plan, "matches"));
        self.ctx
            .insert("steps.plan.outputs.plan_id", output(&plan, "plan_id"));
        if output(&plan, "exit") == "7" {
            self.upload_from("daily", "Save the plan over the policy");
        }
        let issue = self.run("daily", "Open, update or close the tracking issue");
        Daily { renew, plan, issue }
    }

    /// The override job, run with these inputs once its environment's reviewer approved:
    /// fetch, apply, tell (which reads the two steps' outputs). Returns the apply step, or the
    /// fetch step when it failed.
    fn override_job(&mut self, plan_id: &str, pull_request: &str) -> Ran {
        self.ctx
            .insert("inputs.override_plan_id", plan_id.to_owned());
        self.ctx
            .insert("inputs.pull_request", pull_request.to_owned());
        for file in ["plan.json", "apply.log", "override.md"] {
            let _ = std::fs::remove_file(self.checkout.join(file));
        }
        let fetch = self.run("override", "Fetch the plan named");
        for (key, expr) in [
            ("missing", "steps.fetch.outputs.missing"),
            ("checked", "steps.fetch.outputs.checked"),
        ] {
            let value = fetch.outputs.get(key).cloned().unwrap_or_default();
            self.ctx.insert(expr, value);
        }
        let apply = if fetch.code == 0 {
            self.run("override", "Apply the plan over the policy")
        } else {
            fetch
        };
        let code = apply.outputs.get("exit").cloned().unwrap_or_default();
        self.ctx.insert("steps.apply.outputs.exit", code);
        let tell = self.run("override", "Tell the pull request or the tracking issue");
        assert_eq!(tell.code, 0, "{}", tell.log);
        apply
    }

    /// The repository's issues, by number.
    fn issues(&self) -> BTreeMap<u32, Issue> {
        let read = |p: PathBuf| std::fs::read_to_string(p).unwrap();
        std::fs::read_dir(&self.issues)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|d| {
                let mut comments: Vec<(u32, String)> = std::fs::read_dir(d.join("comments"))
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .map(|p| {
                        let n = p.file_stem().unwrap().to_str().unwrap().parse().unwrap();
                        (n, read(p))
                    })
                    .collect();
                comments.sort();
                let issue = Issue {
                    open: read(d.join("state")).trim() == "open",
                    labels: read(d.join("labels")).lines().map(str::to_owned).collect(),
                    title: read(d.join("title")).trim().to_owned(),
                    body: read(d.join("body.md")),
                    comments: comments.into_iter().map(|(_, c)| c).collect(),
                };
                let n = d.file_name().unwrap().to_str().unwrap().parse().unwrap();
                (n, issue)
            })
            .collect()
    }
}

/// The steps of one daily run.
struct Daily {
    renew: Ran,
    plan: Ran,
    issue: Ran,
}

impl Daily {
    /// The exit codes of the renewals, the plan and the issue step, for one assertion.
    fn codes(&self) -> (String, String, i32) {
        let exit = |r: &Ran| r.outputs.get("exit").cloned().unwrap_or_default();
        (exit(&self.renew), exit(&self.plan), self.issue.code)
    }

    fn log(&self) -> String {
        format!(
            "renewals:\n{}\nplan:\n{}\nissue:\n{}",
            self.renew.log, self.plan.log, self.issue.log
        )
    }
}

/// An issue of the repository, as the `gh` stub keeps it.
#[derive(Debug)]
struct Issue {
    open: bool,
    labels: Vec<String>,
    title: String,
    body: String,
    comments: Vec<String>,
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

/// Every job installs entitle with entitle's action, pinned: the action's ref is the version
/// installed, and the version and checksum are the workflow's one pair (which the release
/// fills in its copy). `<owner>` names no one: a user must name the repository deliberately.
#[test]
fn every_job_installs_the_pinned_release_with_the_action() {
    let workflow = Workflow::load();
    let version = workflow.doc["env"]["ENTITLE_VERSION"].as_str().unwrap();
    assert_eq!(workflow.doc["env"]["ENTITLE_SHA256"], "");
    let jobs: Vec<&String> = workflow.doc["jobs"].as_object().unwrap().keys().collect();
    assert_eq!(jobs, ["apply", "daily", "override", "plan"]);
    for job in jobs {
        let job = job.as_str();
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
            // After the checkout, where there is one.
            Some(if ["plan", "daily", "apply"].contains(&job) {
                1
            } else {
                0
            }),
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

/// `entitle apply FILE --auto-approve` on the system clock, as a merge (or a person) would run
/// it: what the daily job finds done.
fn apply_outside(env: &Env, manifests: &Path) {
    let out = env
        .cmd()
        .args(["apply", manifests.to_str().unwrap(), "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The operation types of the orders sent so far, in order.
fn sent_operations(env: &Env) -> Vec<(String, String)> {
    env.order_bodies()
        .iter()
        .map(|b| {
            (
                b["productNo"].as_str().unwrap().to_owned(),
                b["operationType"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The triggers and the jobs' conditions: the pull-request jobs never run on the schedule or a
/// dispatch, the daily job never on a pull request; the daily job's group never cancels a run
/// in progress, and no job that applies a reviewed plan is in a group (GitHub would cancel a
/// pending one); the override waits in its environment.
#[test]
fn the_schedule_runs_the_daily_job_and_only_it() {
    let workflow = Workflow::load();
    let on = &workflow.doc["on"];
    let cron = on["schedule"][0]["cron"].as_str().unwrap();
    assert_eq!(cron.split(' ').count(), 5, "{cron}");
    assert!(cron.ends_with(" * * *"), "daily: {cron}");
    for input in ["override_plan_id", "pull_request"] {
        assert_eq!(on["workflow_dispatch"]["inputs"][input]["required"], false);
    }
    let jobs = &workflow.doc["jobs"];
    let condition = |job: &str| jobs[job]["if"].as_str().unwrap().to_owned();
    for job in ["plan", "apply"] {
        assert!(
            condition(job).starts_with("github.event_name == 'pull_request' &&"),
            "{job}: {}",
            condition(job)
        );
    }
    assert!(condition("daily").starts_with("github.event_name == 'schedule' ||"));
    assert!(condition("daily").contains("inputs.override_plan_id == ''"));
    assert!(condition("override").contains("inputs.override_plan_id != ''"));
    assert!(!condition("daily").contains("pull_request"));
    assert!(!condition("override").contains("pull_request"));
    assert_eq!(
        jobs["daily"]["concurrency"],
        serde_json::json!({"group": "entitle-daily", "cancel-in-progress": false})
    );
    for job in ["apply", "override"] {
        assert!(jobs[job]["concurrency"].is_null(), "{job}");
    }
    assert!(workflow.doc["concurrency"].is_null());
    assert_eq!(
        jobs["daily"]["permissions"],
        serde_json::json!({"contents": "read", "issues": "write"})
    );
    assert_eq!(jobs["override"]["environment"], "entitlements-override");
    // Every apply waits for the shared lock rather than fail at once.
    for (job, step) in [
        ("apply", "Apply the reviewed plan"),
        ("daily", "Apply the renewals due"),
        ("override", "Apply the plan over the policy"),
    ] {
        let run = workflow.step(job, step)["run"].as_str().unwrap();
        assert!(run.contains("--lock-timeout 30m"), "{job}");
        assert!(run.contains(": \"${ENTITLE_BACKEND:?"), "{job}");
    }
    let step = workflow.step(
        "daily",
        "Install entitle (pinned release, checksum verified)",
    );
    assert_eq!(
        step["uses"],
        workflow.step(
            "plan",
            "Install entitle (pinned release, checksum verified)"
        )["uses"]
    );
}

/// The pull requests of acme, globex and initech were merged and applied; umbrella's renewal
/// is due (its term ends within `renewBefore`), with nothing else to change on it: the daily
/// job buys it, the account then matches, and no issue is opened — nor on the next day.
#[test]
fn a_renewal_due_is_applied_by_the_daily_job_and_no_issue_is_opened() {
    let env = demo_on_the_system_clock().on(Backend::Postgres);
    let mut runner = Runner::new(&env, env.database().unwrap());
    for file in ["acme.yaml", "globex.yaml", "initech.yaml"] {
        apply_outside(&env, &runner.checkout.join("manifests").join(file));
    }
    let before = sent_operations(&env);
    assert_eq!(before.len(), 3, "{before:?}");

    let daily = runner.daily_job();
    assert_eq!(
        daily.codes(),
        ("0".into(), "0".into(), 0),
        "{}",
        daily.log()
    );
    let after = sent_operations(&env);
    assert_eq!(
        after[before.len()..],
        [("3658B431119665QJ".to_owned(), "renew_plan".to_owned())]
    );
    assert_eq!(
        daily.plan.outputs.get("matches").map(String::as_str),
        Some("true")
    );
    assert!(runner.issues().is_empty(), "{:?}", runner.issues());

    // The next day: nothing due, nothing bought, still no issue.
    let daily = runner.daily_job();
    assert_eq!(
        daily.codes(),
        ("0".into(), "0".into(), 0),
        "{}",
        daily.log()
    );
    assert_eq!(sent_operations(&env), after);
    assert!(runner.issues().is_empty(), "{:?}", runner.issues());
}

/// Changes other than renewals wait for a review: the daily job renews what is due and puts
/// the rest into one issue, which every run updates in place; the run that finds the account
/// matching closes it. A purchase made outside the repository (more extensions than the
/// manifest says) opens a new one, closed once the manifest says what the account has.
#[test]
fn what_else_differs_goes_into_one_issue_updated_daily_and_closed_when_the_account_matches() {
    let env = demo_on_the_system_clock().on(Backend::Postgres);
    let mut runner = Runner::new(&env, env.database().unwrap());

    // Day 1: umbrella's renewal is due and bought; acme, globex and initech are held back.
    let daily = runner.daily_job();
    assert_eq!(
        daily.codes(),
        ("0".into(), "2".into(), 0),
        "{}",
        daily.log()
    );
    assert_eq!(
        sent_operations(&env),
        [("3658B431119665QJ".to_owned(), "renew_plan".to_owned()),]
    );
    let issues = runner.issues();
    assert_eq!(issues.len(), 1, "{issues:?}");
    let issue = &issues[&1];
    assert!(issue.open);
    assert_eq!(issue.labels, ["entitle-drift"]);
    assert_eq!(
        issue.title,
        "Entitlements: the account differs from the manifests"
    );
    assert!(
        issue.body.starts_with("<!-- entitle-daily -->\n"),
        "{}",
        issue.body
    );
    assert!(
        issue
            .body
            .contains("([run](https://github.com/acme/entitlements/actions/runs/4243))"),
        "{}",
        issue.body
    );
    assert!(
        issue.body.contains("**Renewals due** (`entitle apply --only renew_plan,enable_auto_renew`): exit 0, done (or none was due)"),
        "{}",
        issue.body
    );
    // The plan of what is left, its changes linked to the default branch's lines.
    assert!(
        issue.body.contains("### entitle plan: 3 orders for 3 PBXs"),
        "{}",
        issue.body
    );
    assert!(
        issue.body.contains("(https://github.com/acme/entitlements/blob/9fceb02d0ae598e95dc970b74767f19372d61af8/manifests/acme.yaml#L19)"),
        "{}",
        issue.body
    );
    assert!(!issue.body.contains(SECRET));

    // Day 2: nothing due; the same issue, updated in place.
    let daily = runner.daily_job();
    assert_eq!(
        daily.codes(),
        ("0".into(), "2".into(), 0),
        "{}",
        daily.log()
    );
    assert_eq!(sent_operations(&env).len(), 1, "nothing more bought");
    let issues = runner.issues();
    assert_eq!(issues.len(), 1, "one issue, never one per run: {issues:?}");
    assert!(issues[&1].open);
    assert!(
        issues[&1].body.contains("actions/runs/4244)"),
        "{}",
        issues[&1].body
    );
    assert!(
        !issues[&1].body.contains("actions/runs/4243)"),
        "{}",
        issues[&1].body
    );
    assert!(issues[&1].comments.is_empty());

    // The changes are reviewed and applied (the pull requests' merges): the next run closes it.
    apply_outside(&env, &runner.checkout.join("manifests"));
    let daily = runner.daily_job();
    assert_eq!(
        daily.codes(),
        ("0".into(), "0".into(), 0),
        "{}",
        daily.log()
    );
    let issues = runner.issues();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert!(!issues[&1].open, "closed");
    assert_eq!(
        issues[&1].comments,
        [
            "The account matches the manifests again ([daily run](https://github.com/acme/entitlements/actions/runs/4245)): closing.\n"
        ]
    );

    // Someone subscribes acme to Hot Standby in the partner portal: drift that no order fixes
    // (the API cannot cancel a service), so no change for the exit code, but a mismatch.
    let acme = runner.checkout.join("manifests/acme.yaml");
    let text = std::fs::read_to_string(&acme).unwrap();
    let with_hot_standby = text.replace(
        "      - Hotel PMS Integration\n",
        "      - Hotel PMS Integration\n      - Hot Standby\n",
    );
    assert_ne!(with_hot_standby, text);
    apply_outside(&env, &env.manifest("portal.yaml", &with_hot_standby));
    let bought = sent_operations(&env).len();
    let daily = runner.daily_job();
    assert_eq!(
        daily.codes(),
        ("0".into(), "0".into(), 0),
        "{}",
        daily.log()
    );
    assert_eq!(daily.plan.outputs.get("matches"), None);
    assert_eq!(sent_operations(&env).len(), bought, "drift buys nothing");
    let issues = runner.issues();
    assert_eq!(issues.len(), 2, "a new issue: {issues:?}");
    assert!(!issues[&1].open);
    assert!(issues[&2].open);
    assert!(
        issues[&2]
            .body
            .contains("Hot Standby is subscribed but not in the manifest"),
        "{}",
        issues[&2].body
    );

    // The manifest adopts it (a pull request, merged): the next run closes the issue.
    std::fs::write(&acme, &with_hot_standby).unwrap();
    let daily = runner.daily_job();
    assert_eq!(
        daily.codes(),
        ("0".into(), "0".into(), 0),
        "{}",
        daily.log()
    );
    let issues = runner.issues();
    assert_eq!(issues.len(), 2);
    assert!(!issues[&2].open);

    // Someone buys 50 more extensions in the portal: the manifest's 300 would shrink them, a
    // plan error that stops every order of the run, renewals too. The run is red, and the
    // issue says what to set.
    apply_outside(
        &env,
        &env.manifest(
            "portal.yaml",
            &with_hot_standby.replace("extensions: 300", "extensions: 350"),
        ),
    );
    let daily = runner.daily_job();
    assert_eq!(
        daily.codes(),
        ("1".into(), "1".into(), 1),
        "{}",
        daily.log()
    );
    assert!(
        daily
            .issue
            .log
            .contains("::error::entitle failed (renewals: exit 1, plan: exit 1)"),
        "{}",
        daily.log()
    );
    let issues = runner.issues();
    assert_eq!(issues.len(), 3);
    assert!(issues[&3].open);
    assert!(
        issues[&3]
            .body
            .contains("exit 1, failed before any order was sent"),
        "{}",
        issues[&3].body
    );
    assert!(
        issues[&3].body.contains("set `extensions: 350`"),
        "{}",
        issues[&3].body
    );
}

/// The override applies nothing but the plan named: an input that is not a plan ID is refused
/// before any command, and a plan ID no run saved (or a pull request without that plan) finds
/// nothing to apply, which the pull request is told.
#[test]
fn an_override_applies_nothing_but_a_saved_plan_named() {
    let env = demo_on_the_system_clock();
    // Nothing here reaches the backend.
    let mut runner = Runner::new(&env, "postgres://entitle@127.0.0.1:9/unused");
    let gh_log = runner.comments.join("../gh.log");
    let gh_log = move || std::fs::read_to_string(&gh_log).unwrap_or_default();

    let fetch = runner.override_job("plan-1 $(touch pwned)", "");
    assert_eq!(fetch.code, 1, "{}", fetch.log);
    assert!(
        fetch.log.contains("::error::override_plan_id must be a plan ID (plan-...) and pull_request a number or empty: nothing was applied"),
        "{}",
        fetch.log
    );
    assert!(!runner.checkout.join("pwned").exists());
    let fetch = runner.override_job("plan-0123456789abcdef0123", "7; true");
    assert_eq!(fetch.code, 1, "{}", fetch.log);
    assert!(!gh_log().contains("gh api") && !gh_log().contains("gh pr view"));

    // No run saved that plan: nothing to apply (and no open issue to tell).
    let fetch = runner.override_job("plan-0123456789abcdef0123", "");
    assert_eq!(fetch.code, 1, "{}", fetch.log);
    assert!(
        fetch.log.contains("::error::no saved plan entitle-plan-0123456789abcdef0123 (never saved, or its artifact expired): nothing was applied"),
        "{}",
        fetch.log
    );
    // The merged pull request has no saved plan: the same, and the pull request is told.
    let fetch = runner.override_job("plan-0123456789abcdef0123", "7");
    assert_eq!(fetch.code, 1, "{}", fetch.log);
    assert!(
        fetch.log.contains(
            "::error::no saved plan entitle-plan-7-4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        ),
        "{}",
        fetch.log
    );
    assert!(sent_orders(&env).is_empty());
    let told = runner.apply_comments();
    assert_eq!(
        told,
        [
            "### entitle apply --override-policy `plan-0123456789abcdef0123` (requested by maria): did not apply: no saved plan was found (never saved, or its artifact expired); nothing was bought\n\n[Run log](https://github.com/acme/entitlements/actions/runs/4242)\n"
        ]
    );
}

/// The policy beside the manifests, as a team would commit it.
fn write_policy(runner: &Runner, yaml: &str) {
    std::fs::write(runner.checkout.join("manifests/entitle.policy.yaml"), yaml).unwrap();
}

/// The journal's record of an apply over the policy, by plan ID.
fn override_records(env: &Env) -> Vec<(String, String)> {
    env.journal()
        .into_iter()
        .filter(|e| e["state"] == "plan_started" && e["detail"].is_string())
        .map(|e| {
            (
                e["plan_id"].as_str().unwrap().to_owned(),
                e["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A renewal over the policy is never bought by the daily job: the issue says so and names the
/// plan; the override, once approved, applies exactly that plan, the journal records it, the
/// issue is told, and the next daily run closes it.
#[test]
fn a_renewal_over_the_policy_waits_in_the_issue_until_an_approved_override_applies_it() {
    let env = demo_on_the_system_clock().on(Backend::Postgres);
    let mut runner = Runner::new(&env, env.database().unwrap());
    for file in ["acme.yaml", "globex.yaml", "initech.yaml"] {
        apply_outside(&env, &runner.checkout.join("manifests").join(file));
    }
    let before = sent_operations(&env);
    // Umbrella's renewal costs USD 5,000.00.
    write_policy(&runner, "version: 1\nbudget:\n  perRun: USD 4,000\n");

    let daily = runner.daily_job();
    assert_eq!(
        daily.codes(),
        ("7".into(), "7".into(), 0),
        "{}",
        daily.log()
    );
    assert_eq!(
        sent_operations(&env),
        before,
        "nothing bought over the policy"
    );
    let plan_id = daily.plan.outputs["plan_id"].clone();
    assert!(plan_id.starts_with("plan-"), "{plan_id}");
    let saved = runner
        .artifacts
        .join(format!("entitle-{plan_id}/plan.json"));
    assert!(
        saved.exists(),
        "the plan over the policy is saved for the override"
    );
    let issues = runner.issues();
    assert_eq!(issues.len(), 1);
    let body = &issues[&1].body;
    assert!(
        body.contains("**Renewals due** (`entitle apply --only renew_plan,enable_auto_renew`): exit 7, over the spend policy: nothing was bought"),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "with override_plan_id `{plan_id}` and no pull_request"
        )),
        "{body}"
    );
    assert!(body.contains("Over the spend limits"), "{body}");
    assert!(body.contains(&plan_id), "{body}");

    // A second day: the same issue, a new plan (each run's plan has its own ID).
    let daily = runner.daily_job();
    assert_eq!(
        daily.codes(),
        ("7".into(), "7".into(), 0),
        "{}",
        daily.log()
    );
    assert_eq!(runner.issues().len(), 1);
    let approved = daily.plan.outputs["plan_id"].clone();
    assert_ne!(approved, plan_id);

    // Approved: the override applies exactly that plan, over the policy.
    let apply = runner.override_job(&approved, "");
    assert_eq!(apply.outputs["exit"], "0", "{}", apply.log);
    let after = sent_operations(&env);
    assert_eq!(
        after[before.len()..],
        [("3658B431119665QJ".to_owned(), "renew_plan".to_owned())]
    );
    let records = override_records(&env);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].0, approved);
    assert!(
        records[0]
            .1
            .starts_with(&format!("applied over the spend limits by --override-policy {approved}: budget.perRun USD 4,000.00")),
        "{records:?}"
    );
    let issue = &runner.issues()[&1];
    assert_eq!(issue.comments.len(), 1, "{issue:?}");
    assert!(
        issue.comments[0].starts_with(&format!(
            "### entitle apply --override-policy `{approved}` (requested by maria): exit 0, applied over the spend policy, as approved\n"
        )),
        "{}",
        issue.comments[0]
    );
    // The first day's plan is another plan: applying it now would be stale, never twice.
    let again = runner.override_job(&plan_id, "");
    assert_eq!(again.outputs["exit"], "3", "{}", again.log);
    assert_eq!(sent_operations(&env), after);

    // The next day: the account matches; the issue is closed.
    let daily = runner.daily_job();
    assert_eq!(
        daily.codes(),
        ("0".into(), "0".into(), 0),
        "{}",
        daily.log()
    );
    assert!(!runner.issues()[&1].open);
}

/// A pull request over the policy: its plan is saved and commented with how to have it
/// approved; the merge buys nothing and says so; the override of that pull request's plan,
/// approved, applies it, and the pull request is told.
#[test]
fn a_pull_request_over_the_policy_is_bought_only_by_the_approved_override() {
    let env = demo_on_the_system_clock().on(Backend::Postgres);
    let mut runner = Runner::new(&env, env.database().unwrap());
    write_policy(&runner, "version: 1\nbudget:\n  perRun: USD 5,000\n");

    let plan = runner.plan_job();
    assert_eq!(plan.outputs["exit"], "7", "{}", plan.log);
    assert_eq!(
        plan.code, 0,
        "a plan over the policy is a plan: {}",
        plan.log
    );
    let saved = runner
        .artifacts
        .join("entitle-plan-7-4b825dc642cb6eb9a060e54bf8d69288fbee4904/plan.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    let plan_id = doc["plan_id"].as_str().unwrap().to_owned();
    let comments = runner.comments();
    assert_eq!(comments.len(), 1);
    let comment = comments.values().next().unwrap();
    assert!(comment.contains("Over the spend limits"), "{comment}");
    assert!(
        comment.contains(&format!("This plan breaks the spend policy: merging it buys nothing. To buy it all the same, merge it, then run this workflow (Actions, Run workflow) with override_plan_id `{plan_id}` and pull_request `7`")),
        "{comment}"
    );

    // Merged: nothing bought, and the pull request is told how to have it approved.
    let apply = runner.apply_job();
    assert_eq!(apply.outputs["exit"], "7", "{}", apply.log);
    assert!(sent_orders(&env).is_empty());
    let told = runner.apply_comments();
    assert_eq!(told.len(), 1);
    assert!(
        told[0].starts_with(&format!("### entitle apply: exit 7, did not apply: the reviewed plan breaks the spend policy; nothing was bought. To buy it all the same, run this workflow (Actions, Run workflow) with override_plan_id `{plan_id}` and pull_request `7`")),
        "{}",
        told[0]
    );

    // Approved: exactly the reviewed plan is bought.
    let reviewed = planned_orders(&saved);
    let apply = runner.override_job(&plan_id, "7");
    assert_eq!(apply.outputs["exit"], "0", "{}", apply.log);
    assert_eq!(sent_orders(&env), reviewed);
    assert_eq!(override_records(&env).len(), 1);
    let told = runner.apply_comments();
    assert_eq!(told.len(), 2);
    assert!(
        told.iter().any(|c| c.starts_with(&format!("### entitle apply --override-policy `{plan_id}` (requested by maria): exit 0, applied over the spend policy, as approved\n"))),
        "{told:?}"
    );
}
