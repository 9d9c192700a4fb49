//! Crash safety as a property: SIGKILL `entitle apply` at an arbitrary moment of an apply over
//! several PBXs, then re-run it; whatever the kill point, the account ends in the desired state
//! with zero duplicate orders (checked against the sandbox's order log).

mod common;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use proptest::prelude::*;

fn kill_then_converge(kill_after_ms: u64) {
    let env = common::sandbox_with(|c| c.latency_ms = 15);
    let examples = common::Env::examples();
    let examples = examples.to_str().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("entitle");

    let mut child = std::process::Command::new(&bin)
        .current_dir(env.path())
        .args([
            "apply",
            examples,
            "--now",
            "2026-11-22",
            "--auto-approve",
            "--no-price",
        ])
        .env("ENTITLE_CLIENT_ID", "test-client")
        .env("ENTITLE_CLIENT_SECRET", common::SECRET)
        .env("ENTITLE_BASE_URL", &env.base_url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(kill_after_ms));
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();

    let mut last = None;
    for _ in 0..3 {
        let out = env.run(&[
            "apply",
            examples,
            "--now",
            "2026-11-22",
            "--auto-approve",
            "--no-price",
        ]);
        last = out.status.code();
        if last == Some(0) {
            break;
        }
    }
    assert_eq!(
        last,
        Some(0),
        "apply did not converge after a kill at {kill_after_ms} ms"
    );

    let mut per_op: BTreeMap<(String, String), usize> = BTreeMap::new();
    for b in env.order_bodies() {
        let key = (
            b["productNo"].as_str().unwrap().to_owned(),
            b["operationType"].as_str().unwrap().to_owned(),
        );
        *per_op.entry(key).or_default() += 1;
    }
    assert!(
        per_op.values().all(|n| *n == 1),
        "duplicate orders after a kill at {kill_after_ms} ms: {per_op:?}"
    );
    let plan = env.run(&[
        "plan",
        examples,
        "--now",
        "2026-11-22",
        "--detailed-exitcode",
        "--no-price",
    ]);
    assert_eq!(plan.status.code(), Some(0), "{}", common::stdout(&plan));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn killed_applies_converge_without_duplicates(kill_after_ms in 0u64..900) {
        kill_then_converge(kill_after_ms);
    }
}

#[test]
fn kill_points_across_the_whole_apply() {
    for ms in [5, 60, 150, 300, 600] {
        kill_then_converge(ms);
    }
}
