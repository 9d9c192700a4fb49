//! End-to-end harness: one sandbox per test on an ephemeral loopback port (so tests run in
//! parallel), the real `entitle` binary pointed at it, and the sandbox's admin endpoints to
//! see exactly what was sent.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use entitle::sandbox::{OrderStatusMode, RunningSandbox, SandboxConfig, Seed};
use serde_json::Value;

pub struct Env {
    pub rt: tokio::runtime::Runtime,
    pub sandbox: Option<RunningSandbox>,
    pub base_url: String,
    pub dir: tempfile::TempDir,
    http: reqwest::Client,
}

pub fn sandbox() -> Env {
    sandbox_with(|_| {})
}

pub fn sandbox_with(f: impl FnOnce(&mut SandboxConfig)) -> Env {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut cfg = SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        state_file: None,
        seed: Seed::Demo,
        today: Some("2026-11-22".parse().unwrap()),
        latency_ms: 0,
        fail_rate: 0.0,
        order_status: OrderStatusMode::Succeed,
        client_id: "test-client".into(),
        client_secret: "test-secret-s3cr3t".into(),
        rng_seed: 7,
    };
    f(&mut cfg);
    let sandbox = rt.block_on(entitle::sandbox::start(cfg)).unwrap();
    let base_url = format!("http://{}", sandbox.addr);
    Env {
        rt,
        sandbox: Some(sandbox),
        base_url,
        dir: tempfile::tempdir().unwrap(),
        http: reqwest::Client::new(),
    }
}

pub const SECRET: &str = "test-secret-s3cr3t";

impl Env {
    /// The workspace directory the binary runs in (journal, saved plans).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn examples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/examples")
    }

    /// Writes a manifest file in the workspace and returns its path.
    pub fn manifest(&self, name: &str, yaml: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, yaml).unwrap();
        p
    }

    /// The real binary, in the workspace, against this sandbox.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::cargo_bin("entitle").unwrap();
        c.current_dir(self.path())
            .env_remove("ENTITLE_CREDENTIALS_FILE")
            .env("ENTITLE_CLIENT_ID", "test-client")
            .env("ENTITLE_CLIENT_SECRET", SECRET)
            .env("ENTITLE_BASE_URL", &self.base_url)
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG");
        c
    }

    /// The real binary started in the background (for kill and interrupt tests).
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("entitle"))
            .current_dir(self.path())
            .args(args)
            .env_remove("ENTITLE_CREDENTIALS_FILE")
            .env("ENTITLE_CLIENT_ID", "test-client")
            .env("ENTITLE_CLIENT_SECRET", SECRET)
            .env("ENTITLE_BASE_URL", &self.base_url)
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    pub fn get(&self, path: &str) -> Value {
        let url = format!("{}{}", self.base_url, path);
        self.rt.block_on(async {
            self.http
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        })
    }

    pub fn post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}{}", self.base_url, path);
        self.rt.block_on(async {
            let r = self.http.post(url).json(&body).send().await.unwrap();
            r.json::<Value>().await.unwrap_or(Value::Null)
        })
    }

    /// Order bodies as the sandbox received them, in order.
    pub fn order_bodies(&self) -> Vec<Value> {
        self.get("/_sandbox/orders")
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["body"].clone())
            .collect()
    }

    /// `apply M` on the demo date, unattended, without quotes.
    pub fn apply(&self, m: &str) -> Output {
        self.run(&[
            "apply",
            m,
            "--now",
            "2026-11-22",
            "--auto-approve",
            "--no-price",
        ])
    }

    /// `plan M --detailed-exitcode` on the demo date, without quotes (exit 0: converged).
    pub fn plan_detailed(&self, m: &str) -> Output {
        self.run(&[
            "plan",
            m,
            "--now",
            "2026-11-22",
            "--detailed-exitcode",
            "--no-price",
        ])
    }

    /// Orders received per `(productNo, operationType)`: any count above 1 is a duplicate.
    pub fn orders_per_operation(&self) -> std::collections::BTreeMap<(String, String), usize> {
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

    /// Requests per `METHOD /path`.
    pub fn count(&self, method_path: &str) -> u64 {
        self.get("/_sandbox/requests")["counts"][method_path]
            .as_u64()
            .unwrap_or(0)
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Masks what changes between runs: plan IDs, poNumbers, order numbers, ports, temp dirs.
pub fn redact(s: &str) -> String {
    let mut out = s.to_owned();
    for (pat, with) in [
        (r"plan-[0-9a-f]{20}", "plan-[ID]"),
        (r"ent-[0-9a-f]{16}", "ent-[PO]"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r#""fingerprint": "[0-9a-f]+""#, r#""fingerprint": "[FP]""#),
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

/// A seed tutorial's request body, from `tests/fixtures/seeds/`.
pub fn seed_body(n: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/seeds/{n}.json"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// A body without its `poNumber`, for comparison with the seeds (which have none).
pub fn without_po(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("poNumber");
    }
    v
}
