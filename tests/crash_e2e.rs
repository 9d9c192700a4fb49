//! Crash safety as a property: SIGKILL `entitle apply` at an arbitrary moment of an apply over
//! several PBXs — a kill point is "k order intents journaled, then d more milliseconds" — and
//! re-run it; whatever the kill point, the account ends in the desired state with zero
//! duplicate orders (checked against the sandbox's order log).

mod common;

use std::time::Duration;

use proptest::prelude::*;

/// Order intents (`sending`) in the workspace's journal so far.
fn intents(dir: &std::path::Path) -> usize {
    std::fs::read_to_string(dir.join(".entitle/journal.jsonl"))
        .map(|s| s.matches("\"state\":\"sending\"").count())
        .unwrap_or(0)
}

fn kill_then_converge(after_intents: usize, kill_after_ms: u64) {
    let env = common::sandbox_with(|c| c.latency_ms = 15);
    let examples = common::Env::examples();
    let examples = examples.to_str().unwrap();

    let mut child = env.spawn(&[
        "apply",
        examples,
        "--now",
        "2026-11-22",
        "--auto-approve",
        "--no-price",
    ]);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while intents(env.path()) < after_intents && std::time::Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(kill_after_ms));
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();

    let mut last = None;
    for _ in 0..3 {
        let out = env.apply(examples);
        last = out.status.code();
        if last == Some(0) {
            break;
        }
    }
    assert_eq!(
        last,
        Some(0),
        "apply did not converge after a kill at {after_intents} intents + {kill_after_ms} ms"
    );

    let per_op = env.orders_per_operation();
    assert!(
        per_op.values().all(|n| *n == 1),
        "duplicate orders after a kill at {after_intents} intents + {kill_after_ms} ms: {per_op:?}"
    );
    let plan = env.plan_detailed(examples);
    assert_eq!(plan.status.code(), Some(0), "{}", common::stdout(&plan));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn killed_applies_converge_without_duplicates(after_intents in 0usize..=4, kill_after_ms in 0u64..40) {
        kill_then_converge(after_intents, kill_after_ms);
    }
}

#[test]
fn kill_points_across_the_whole_apply() {
    // Before any order, right after each intent is on disk, and mid-request of each order.
    for k in 0..=4 {
        kill_then_converge(k, 0);
        kill_then_converge(k, 8);
    }
}
