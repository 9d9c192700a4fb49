//! `entitle sandbox` as a user runs it: the first stdout line is the bound address, the demo
//! account answers there, credentials come from the environment, and bad options exit 1.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use predicates::prelude::*;
use serde_json::Value;

/// A spawned `entitle sandbox` and the base URL it printed. Killed when dropped.
struct Running {
    child: Child,
    base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut cmd = crate::support::command();
    cmd.arg("sandbox")
        .args(["--listen", "127.0.0.1:0", "--today", "2026-11-22"])
        .args(args)
        .env_remove("ENTITLE_CLIENT_ID")
        .env_remove("ENTITLE_CLIENT_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("entitle sandbox listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(!base.ends_with(":0"), "{base}");
    Running { child, base }
}

async fn token(http: &reqwest::Client, base: &str, id: &str, secret: &str) -> (u16, Value) {
    let resp = http
        .post(format!("{base}/auth/openapi/v1/oauth/token"))
        .header("User-Agent", "cli-test")
        .form(&[
            ("grant_type", "pp_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn prints_its_address_and_serves_the_demo_account() {
    let running = spawn(&[], &[]);
    let http = crate::support::http_client();
    let (status, body) = token(&http, &running.base, "sandbox", "sandbox").await;
    assert_eq!(status, 200);
    let t = body["result"]["token"].as_str().unwrap();
    let text = http
        .get(format!(
            "{}/product/openapi/instance_product/v1/detail?productId=12&productNo=3651D3296882",
            running.base
        ))
        .header("User-Agent", "cli-test")
        .header("Authorization", format!("Bearer {t}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("\"planId\":3049040650094403584"), "{text}");
    assert!(text.contains("\"expireDate\":\"2027-05-01\""), "{text}");
}

#[cfg(unix)]
#[tokio::test]
async fn stops_cleanly_on_sigterm() {
    let mut running = spawn(&["--seed", "fleet:20"], &[]);
    let pid = running.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = running.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn credentials_come_from_the_environment_and_are_never_printed() {
    let mut running = spawn(
        &[],
        &[
            ("ENTITLE_CLIENT_ID", "acme-id"),
            ("ENTITLE_CLIENT_SECRET", "very-secret-value"),
        ],
    );
    let http = crate::support::http_client();
    assert_eq!(
        token(&http, &running.base, "sandbox", "sandbox").await.0,
        401
    );
    assert_eq!(
        token(&http, &running.base, "acme-id", "very-secret-value")
            .await
            .0,
        200
    );
    let _ = running.child.kill();
    let _ = running.child.wait();
    let mut out = String::new();
    running
        .child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut err = String::new();
    running
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!out.contains("very-secret-value") && !err.contains("very-secret-value"));
    assert!(err.contains("acme-id"), "{err}");
}

#[test]
fn a_broken_state_file_exits_1_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.json");
    std::fs::write(&state, "garbage").unwrap();
    crate::support::entitle()
        .args(["sandbox", "--listen", "127.0.0.1:0", "--state"])
        .arg(&state)
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            predicate::str::contains("cannot read sandbox state")
                .and(predicate::str::contains("delete it")),
        );
}

#[test]
fn bad_options_are_refused() {
    for args in [
        ["--seed", "fleet:lots"],
        ["--fail-rate", "1.5"],
        ["--today", "2026-13-01"],
        ["--order-status", "paid"],
    ] {
        crate::support::entitle()
            .arg("sandbox")
            .args(args)
            .assert()
            .failure()
            .stdout("");
    }
}
