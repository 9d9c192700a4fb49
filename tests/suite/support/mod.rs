//! The suite's one harness.
//!
//! - [`entitle`] / [`command`]: the one way to run the real binary, with the caller's entitle
//!   settings scrubbed from its environment.
//! - [`Env`]: a sandbox of its own on an ephemeral loopback port (so tests run in parallel), a
//!   workspace directory, and the binary pointed at both; the sandbox's admin endpoints show
//!   exactly what was sent, and every admin call asserts its status.
//! - [`sandbox::Sb`]: the same sandbox spoken to by hand over HTTP, nothing of `entitle::api`.
//! - [`scripted`]: a scripted vendor for the client's tests, written from the contract (never
//!   the sandbox, so a sandbox bug cannot hide a client bug).
//!
//! Every sandbox here runs on [`clock`]: 2026-11-22T09:00:00Z when it starts, whatever day the
//! suite runs, and the binary is given the same time with `--now` (see [`Env::now`]).

pub(crate) mod postgres;
pub(crate) mod sandbox;
pub(crate) mod scripted;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use entitle::clock::{Clock, Timestamp};
use entitle::sandbox::{RunningSandbox, SandboxConfig};
use serde_json::Value;

/// The one credential of every sandbox and scripted vendor of the suite.
pub(crate) const CLIENT_ID: &str = "test-client";
pub(crate) const SECRET: &str = "test-secret-s3cr3t";

/// 2026-11-22T09:00:00Z, when every sandbox of the suite starts: the demo account's today
/// (vendor-api section 7).
pub(crate) const START_MS: i64 = 1_795_338_000_000;

/// The default `--settle-period`: ten minutes.
pub(crate) const SETTLE_MS: i64 = 600_000;

/// The account's billing contact.
pub(crate) const CONTACT: u64 = 3_197_218_168_379_846_218;

/// A clock at [`START_MS`], running forward.
pub(crate) fn clock() -> Clock {
    Clock::starting_at(START_MS)
}

/// The demo account on a free loopback port, on [`clock`], accepting the suite's credential.
pub(crate) fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        clock: clock(),
        client_id: CLIENT_ID.to_owned(),
        client_secret: SECRET.to_owned(),
        rng_seed: 7,
        ..SandboxConfig::default()
    }
}

/// Variables of the caller's environment that would change what the binary does, besides
/// every `ENTITLE_` one (which entitle reads, or warns about when it does not).
const SCRUBBED: [&str; 4] = ["RUST_LOG", "NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE"];

/// Removes the caller's entitle settings from a command's environment.
pub(crate) fn scrub(c: &mut std::process::Command) -> &mut std::process::Command {
    for var in SCRUBBED {
        c.env_remove(var);
    }
    for (name, _) in std::env::vars_os() {
        let upper = name.to_string_lossy().to_ascii_uppercase();
        if upper.starts_with("ENTITLE_") {
            c.env_remove(name);
        }
    }
    c
}

/// The real binary with a clean environment, capturing its output.
pub(crate) fn command() -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin!("entitle"));
    scrub(&mut c);
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// [`command`] with `assert_cmd`'s assertions.
pub(crate) fn entitle() -> assert_cmd::Command {
    assert_cmd::Command::from_std(command())
}

/// A sandbox of the test's own, a workspace directory, and the binary pointed at both.
pub(crate) struct Env {
    pub rt: tokio::runtime::Runtime,
    pub sandbox: RunningSandbox,
    pub base_url: String,
    pub dir: tempfile::TempDir,
    http: reqwest::Client,
    /// More environment for every command (e.g. `ENTITLE_BACKEND`).
    vars: Vec<(String, String)>,
    /// The `postgres://` backend every command uses, when not the workspace directory.
    database: Option<String>,
}

/// Where an [`Env`]'s journal and lock live: the property tests run on both.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Backend {
    /// The workspace directory, the default with no setup.
    Workspace,
    /// A database of its own on the suite's PostgreSQL cluster ([`postgres::database`]).
    Postgres,
}

impl Env {
    /// The demo account, no faults.
    pub(crate) fn new() -> Env {
        Env::with(|_| {})
    }

    /// The demo account, configured further by `f`.
    pub(crate) fn with(f: impl FnOnce(&mut SandboxConfig)) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut cfg = sandbox_config();
        f(&mut cfg);
        let sandbox = rt.block_on(entitle::sandbox::start(cfg)).unwrap();
        let base_url = sandbox.base_url();
        Env {
            rt,
            sandbox,
            base_url,
            dir: tempfile::tempdir().unwrap(),
            http: crate::support::http_client(),
            vars: Vec::new(),
            database: None,
        }
    }

    /// A vendor that neither echoes the poNumber nor lists an order, nor shows its effect,
    /// until 90 s after it committed: for that long only the journal knows an order is ours.
    pub(crate) fn blind_vendor() -> Env {
        Env::with(|c| {
            c.variant.echo_reference = false;
            c.variant.list_lag_ms = 90_000;
            c.variant.effect_lag_ms = 90_000;
        })
    }

    /// This environment with its journal and lock on `backend`.
    pub(crate) fn on(self, backend: Backend) -> Env {
        match backend {
            Backend::Workspace => self,
            Backend::Postgres => {
                let url = postgres::database();
                let mut env = self.var("ENTITLE_BACKEND", &url);
                env.database = Some(url);
                env
            }
        }
    }

    /// The `postgres://` URL of this environment's backend, if it has one.
    pub(crate) fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// The journal's entries so far, as JSON, wherever the backend keeps them.
    pub(crate) fn journal(&self) -> Vec<Value> {
        let text = match &self.database {
            Some(url) => postgres::sql(url, "SELECT entry FROM entitle_journal ORDER BY seq"),
            None => std::fs::read_to_string(self.path().join(".entitle/journal.jsonl"))
                .unwrap_or_default(),
        };
        // A file journal read while an apply appends to it may end in part of a line.
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let whole = if text.ends_with('\n') || self.database.is_some() {
            lines.len()
        } else {
            lines.len().saturating_sub(1)
        };
        lines[..whole]
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Order intents (`sending`) in the journal so far.
    pub(crate) fn intents(&self) -> usize {
        self.journal()
            .iter()
            .filter(|e| e["state"] == "sending")
            .count()
    }

    /// The workspace directory the binary runs in (journal, saved plans).
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn examples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/examples")
    }

    /// The example manifests' path as an argument.
    pub(crate) fn examples_arg() -> String {
        Env::examples().display().to_string()
    }

    /// Writes a manifest file in the workspace and returns its path.
    pub(crate) fn manifest(&self, name: &str, yaml: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, yaml).unwrap();
        p
    }

    /// The sandbox's time now, for `--now`: the binary's clock then agrees with the sandbox's.
    pub(crate) fn now(&self) -> String {
        Timestamp(self.sandbox.now_ms()).to_string()
    }

    /// Lets the default settle period (ten minutes) pass: the sandbox's time moves on, and so
    /// does every later `--now` of this environment.
    pub(crate) fn settle(&self) {
        self.sandbox.advance(SETTLE_MS + 1_000);
    }

    /// The binary in the workspace, against this sandbox.
    pub(crate) fn std_cmd(&self) -> std::process::Command {
        let mut c = command();
        c.current_dir(self.path())
            .env("ENTITLE_CLIENT_ID", CLIENT_ID)
            .env("ENTITLE_CLIENT_SECRET", SECRET)
            .env("ENTITLE_BASE_URL", &self.base_url)
            .env("ENTITLE_LOCK_DIR", self.path().join(".locks"))
            .env("NO_COLOR", "1");
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }

    /// Every command of this environment gets `key=value`.
    pub(crate) fn var(mut self, key: &str, value: &str) -> Env {
        self.vars.push((key.to_owned(), value.to_owned()));
        self
    }

    pub(crate) fn cmd(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_cmd())
    }

    /// The binary started in the background (for kill and interrupt tests).
    pub(crate) fn spawn(
        &self,
        args: impl IntoIterator<Item = impl AsRef<std::ffi::OsStr>>,
    ) -> std::process::Child {
        self.std_cmd().args(args).spawn().unwrap()
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// `apply M --now <sandbox time>`, unattended, without quotes.
    pub(crate) fn apply(&self, m: &str) -> Output {
        let now = self.now();
        self.run(&["apply", m, "--now", &now, "--auto-approve", "--no-price"])
    }

    /// The arguments of [`Env::apply`], for a spawned apply.
    pub(crate) fn apply_args(&self, m: &str) -> Vec<String> {
        [
            "apply",
            m,
            "--now",
            &self.now(),
            "--auto-approve",
            "--no-price",
        ]
        .map(str::to_owned)
        .to_vec()
    }

    /// `plan M -o plan.json` at the sandbox's time, without quotes: a saved plan to apply.
    pub(crate) fn save_plan(&self, m: &str) -> Output {
        let now = self.now();
        self.run(&["plan", m, "--now", &now, "--no-price", "-o", "plan.json"])
    }

    /// `apply plan.json` at the sandbox's time, unattended, without quotes.
    pub(crate) fn apply_saved(&self) -> Output {
        self.cmd().args(self.apply_saved_args()).output().unwrap()
    }

    /// The arguments of [`Env::apply_saved`], for a command run otherwise (another directory,
    /// another account).
    pub(crate) fn apply_saved_args(&self) -> Vec<String> {
        [
            "apply",
            "plan.json",
            "--auto-approve",
            "--no-price",
            "--now",
            &self.now(),
        ]
        .map(str::to_owned)
        .to_vec()
    }

    /// `plan M --detailed-exitcode` at the sandbox's time, without quotes (exit 0: converged).
    pub(crate) fn plan_detailed(&self, m: &str) -> Output {
        let now = self.now();
        self.run(&[
            "plan",
            m,
            "--now",
            &now,
            "--detailed-exitcode",
            "--no-price",
        ])
    }

    /// GET an admin endpoint; asserts it answered 200.
    #[track_caller]
    pub(crate) fn get(&self, path: &str) -> Value {
        let (status, body) = self.admin("GET", path, None);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// POST to an admin endpoint; asserts it answered 200.
    #[track_caller]
    pub(crate) fn post(&self, path: &str, body: Value) -> Value {
        let (status, answer) = self.admin("POST", path, Some(body));
        assert_eq!(status, 200, "POST {path}: {answer}");
        answer
    }

    /// An admin call, status and body, for tests of refusals.
    pub(crate) fn admin(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{}", self.base_url, path);
        self.rt.block_on(async {
            let req = match method {
                "GET" => self.http.get(url),
                _ => self.http.post(url).json(&body.unwrap_or(Value::Null)),
            };
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        })
    }

    /// Sets fault switches (`POST /_sandbox/faults`), asserting they were taken.
    #[track_caller]
    pub(crate) fn faults(&self, switches: Value) {
        self.post("/_sandbox/faults", switches);
    }

    /// Faults served so far, by kind (`rate_limit`, `commit_then_500`, ...).
    pub(crate) fn faults_served(&self) -> Value {
        self.get("/_sandbox/faults")["served"].clone()
    }

    /// Order bodies as the sandbox received them, in order.
    pub(crate) fn order_bodies(&self) -> Vec<Value> {
        self.get("/_sandbox/orders")
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["body"].clone())
            .collect()
    }

    /// Orders received per `(productNo, operationType)`: any count above 1 is a duplicate.
    pub(crate) fn orders_per_operation(
        &self,
    ) -> std::collections::BTreeMap<(String, String), usize> {
        let mut per_op = std::collections::BTreeMap::new();
        for b in self.order_bodies() {
            let key = (
                b["productNo"].as_str().unwrap_or_default().to_owned(),
                b["operationType"].as_str().unwrap_or_default().to_owned(),
            );
            *per_op.entry(key).or_insert(0) += 1;
        }
        per_op
    }

    /// Asserts that `operations` distinct (PBX, operation) pairs were ordered, each exactly
    /// once: any more is a duplicate order. `case` names the run in the failure.
    #[track_caller]
    pub(crate) fn bought_once(&self, operations: usize, case: &str) {
        let per_op = self.orders_per_operation();
        assert!(
            per_op.values().all(|n| *n == 1),
            "duplicate orders ({case}): {per_op:?}"
        );
        assert_eq!(per_op.len(), operations, "({case}): {per_op:?}");
    }

    /// The HTTP status of every request to `path`, in order (from the sandbox's request log).
    pub(crate) fn statuses(&self, path: &str) -> Vec<u64> {
        self.get("/_sandbox/requests")["log"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["path"] == path)
            .map(|r| r["status"].as_u64().unwrap())
            .collect()
    }

    /// Requests per `METHOD /path`.
    pub(crate) fn count(&self, method_path: &str) -> u64 {
        self.get("/_sandbox/requests")["counts"][method_path]
            .as_u64()
            .unwrap_or(0)
    }

    /// Waits until `n` requests are held by the sandbox (see `holdOrderSaves`); fails after a
    /// minute, which only a broken test reaches.
    #[track_caller]
    pub(crate) fn wait_held(&self, n: usize) {
        let waited = self.rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(60), self.sandbox.wait_held(n)).await
        });
        assert!(waited.is_ok(), "the sandbox never held {n} request(s)");
    }
}

impl Env {
    /// Releases every held request and waits until each has finished (answered, or dropped
    /// with its killed client's connection), so what it stores is stored.
    #[track_caller]
    pub(crate) fn release_and_settle(&self) {
        self.sandbox.release();
        let settled = self.rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(60), self.sandbox.wait_idle()).await
        });
        assert!(settled.is_ok(), "a released request never finished");
    }

    /// Starts `apply` of `manifests` one PBX at a time with order save `k` (from 0) held at
    /// `phase` (`before_commit`, `after_commit`), and returns once it is held: the kill point.
    pub(crate) fn apply_held_at(
        &self,
        manifests: &str,
        k: u64,
        phase: &str,
    ) -> std::process::Child {
        self.faults(serde_json::json!({"holdOrderSave": {"skip": k, "phase": phase}}));
        let mut args = self.apply_args(manifests);
        args.extend(["--parallelism".to_owned(), "1".to_owned()]);
        let child = self.spawn(&args);
        self.wait_held(1);
        child
    }

    /// SIGKILLs an apply at its kill point, then lets the held save go on and finish.
    #[track_caller]
    pub(crate) fn kill_held(&self, mut child: std::process::Child) {
        child.kill().unwrap();
        child.wait().unwrap();
        self.release_and_settle();
    }

    /// Re-runs `apply` of `manifests` until it exits 0, at most `attempts` times, letting the
    /// settle period pass whenever a PBX is in doubt (exit 6). Returns every exit code.
    pub(crate) fn converge(&self, manifests: &str, attempts: usize) -> Vec<Option<i32>> {
        let mut codes = Vec::new();
        for _ in 0..attempts {
            let code = self.apply(manifests).status.code();
            codes.push(code);
            match code {
                Some(0) => break,
                Some(6) => self.settle(),
                _ => {}
            }
        }
        codes
    }

    /// What must never leave entitle unredacted (a doctor sample, a `-vv` log), read from the
    /// sandbox itself: the billing contacts' e-mail, names, company, phone and address, and the
    /// PBXs' activation codes and comments.
    pub(crate) fn private_values(&self) -> Vec<String> {
        let state = self.get("/_sandbox/state");
        let mut private = Vec::new();
        for c in state["world"]["contacts"].as_array().unwrap() {
            for key in [
                "email",
                "firstName",
                "lastName",
                "company",
                "phone",
                "street",
                "city",
                "zipCode",
            ] {
                private.push(c[key].as_str().unwrap().to_owned());
            }
        }
        for p in state["world"]["pbxs"].as_array().unwrap() {
            for key in ["activationCode", "comment"] {
                private.push(p[key].as_str().unwrap().to_owned());
            }
        }
        assert!(
            private.iter().all(|v| !v.is_empty()),
            "the demo account has every private field filled in: {private:?}"
        );
        private
    }
}

/// Asserts that a run exited with `code`, showing what it printed when not.
#[track_caller]
pub(crate) fn assert_exit(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "{}\n{}", stdout(o), stderr(o));
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Masks what changes between runs: plan IDs, poNumbers, order numbers, ports, temp dirs.
pub(crate) fn redact(s: &str) -> String {
    let mut out = s.to_owned();
    for (pat, with) in [
        (r"plan-[0-9a-f]{20}", "plan-[ID]"),
        (r"sha256 `[0-9a-f]{64}`", "sha256 `[DIGEST]`"),
        (r"ent-[0-9a-f]{16}", "ent-[PO]"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        // The vendor's request IDs differ per run.
        (r"request [0-9a-f]{32}", "request [RID]"),
        (r#""fingerprint": "[0-9a-f]+""#, r#""fingerprint": "[FP]""#),
        (r#""observed_at_ms": \d+"#, r#""observed_at_ms": [MS]"#),
        (r#""nonce": "[0-9-]+""#, r#""nonce": "[NONCE]""#),
        (r#""account": "[0-9a-f]{16}""#, r#""account": "[ACCOUNT]""#),
        (
            r#""manifest_hash": "[0-9a-f]+""#,
            r#""manifest_hash": "[HASH]""#,
        ),
    ] {
        out = regex::Regex::new(pat)
            .unwrap()
            .replace_all(&out, with)
            .into_owned();
    }
    out
}

/// Every action of a JSON plan document, with its PBX's SN, in plan order.
pub(crate) fn plan_actions(doc: &Value) -> Vec<(&str, &Value)> {
    doc["pbxs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| {
            let sn = p["sn"].as_str().unwrap();
            p["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |a| (sn, a))
        })
        .collect()
}

/// A seed tutorial's request body, exactly as the tutorial shows it (`tests/fixtures/seeds/`).
pub(crate) fn seed_text(n: u32) -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/seeds/{n:03}.json"));
    std::fs::read_to_string(path).unwrap()
}

/// A seed tutorial's request body as JSON (`serde_json` keeps 19-digit IDs exact).
pub(crate) fn seed_body(n: u32) -> Value {
    serde_json::from_str(&seed_text(n)).unwrap()
}

/// A seed body with some top-level fields changed.
pub(crate) fn seed_with(n: u32, edit: impl FnOnce(&mut Value)) -> String {
    let mut v = seed_body(n);
    edit(&mut v);
    v.to_string()
}

/// A body without its `poNumber`, for comparison with the seeds (which have none).
pub(crate) fn without_po(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("poNumber");
    }
    v
}

/// A plain HTTP client for talking to a sandbox directly, with TLS on ring as the binary's.
pub(crate) fn http_client() -> reqwest::Client {
    entitle::tls::use_ring();
    reqwest::Client::new()
}
