//! `apply` end to end against the sandbox: faults at the moment of the order, pending orders,
//! saved plans (stale, applied once), the workspace lock, and secrets kept out of everything.

mod common;

use common::{Env, stderr, stdout};
use serde_json::json;

const EXT_300: &str = "version: 1\ndefaults:\n  billingContact: billing@example.com\npbxs:\n  - sn: 3651D3296882\n    product: software-edition\n    extensions: 300\n";
const HOTEL: &str = "version: 1\ndefaults:\n  billingContact: billing@example.com\npbxs:\n  - sn: 3651D3296882\n    product: software-edition\n    services: [Hotel PMS Integration]\n";

fn apply(env: &Env, m: &str) -> std::process::Output {
    env.apply(m)
}

fn plan_exit(env: &Env, m: &str) -> Option<i32> {
    env.plan_detailed(m).status.code()
}

/// An order committed by the vendor whose answer is lost: the first apply cannot tell (exit 5),
/// the second finds it by its poNumber and sends nothing, and the account converges.
fn bought_once_when_the_answer_is_lost(fault: &str) {
    let env = common::sandbox();
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    env.post("/_sandbox/faults", json!({"nextOrderSaves": [fault]}));
    let first = apply(&env, m);
    assert_eq!(
        first.status.code(),
        Some(5),
        "{}\n{}",
        stdout(&first),
        stderr(&first)
    );
    assert!(stdout(&first).contains("unknown"), "{}", stdout(&first));
    assert_eq!(env.order_bodies().len(), 1);

    let second = apply(&env, m);
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&second),
        stderr(&second)
    );
    assert!(stderr(&second).contains("exists as"), "{}", stderr(&second));
    assert_eq!(
        env.count("POST /order/openapi/order/v1/save"),
        1,
        "never re-sent"
    );
    assert_eq!(env.order_bodies().len(), 1);
    assert_eq!(plan_exit(&env, m), Some(0));
}

#[test]
fn commit_then_dropped_connection_is_bought_once_and_converges() {
    bought_once_when_the_answer_is_lost("commit_then_drop");
}

#[test]
fn commit_then_500_is_bought_once_and_converges() {
    bought_once_when_the_answer_is_lost("commit_then_500");
}

#[test]
fn failure_before_commit_is_proven_absent_and_planned_again() {
    let env = common::sandbox();
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    env.post(
        "/_sandbox/faults",
        json!({"nextOrderSaves": ["fail_before_commit"]}),
    );
    assert_eq!(apply(&env, m).status.code(), Some(5));
    assert!(env.order_bodies().is_empty());
    let second = apply(&env, m);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("never placed"),
        "{}",
        stderr(&second)
    );
    assert_eq!(env.order_bodies().len(), 1);
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 2);
    assert_eq!(plan_exit(&env, m), Some(0));
}

#[test]
fn a_pending_order_blocks_reordering_until_paid() {
    let env = common::sandbox();
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    env.post("/_sandbox/faults", json!({"orderStatus": "pending"}));
    let first = apply(&env, m);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(stdout(&first).contains("pending"));

    let plan = env.run(&["plan", m, "--now", "2026-11-22", "--no-price"]);
    assert!(
        stdout(&plan).contains("Orders in flight"),
        "{}",
        stdout(&plan)
    );
    assert_eq!(apply(&env, m).status.code(), Some(0));
    let orders = env.get("/_sandbox/orders");
    assert_eq!(
        orders.as_array().unwrap().len(),
        1,
        "nothing re-ordered while pending"
    );

    let order_no = orders[0]["orderNo"].as_str().unwrap().to_owned();
    env.post(&format!("/_sandbox/orders/{order_no}/pay"), json!({}));
    assert_eq!(plan_exit(&env, m), Some(0));
}

#[test]
fn a_saved_plan_applies_once() {
    let env = common::sandbox();
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    let saved = env.run(&[
        "plan",
        m,
        "--now",
        "2026-11-22",
        "--no-price",
        "-o",
        "plan.json",
    ]);
    assert_eq!(saved.status.code(), Some(0), "{}", stderr(&saved));
    let show = env.run(&["show", "plan.json"]);
    assert!(stdout(&show).contains("purchase_service"));

    assert_eq!(
        env.run(&["apply", "plan.json", "--auto-approve"])
            .status
            .code(),
        Some(0)
    );
    let again = env.run(&["apply", "plan.json", "--auto-approve"]);
    assert_eq!(again.status.code(), Some(3));
    assert!(
        stderr(&again).contains("already applied"),
        "{}",
        stderr(&again)
    );
    assert_eq!(env.order_bodies().len(), 1);
}

#[test]
fn a_stale_saved_plan_is_refused_and_shows_what_moved() {
    let env = common::sandbox();
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    env.run(&[
        "plan",
        m,
        "--now",
        "2026-11-22",
        "--no-price",
        "-o",
        "plan.json",
    ]);
    // Someone else (another workspace) changes the PBX in between.
    let other = env.manifest("other.yaml", HOTEL);
    let moved = env
        .cmd()
        .args([
            "apply",
            other.to_str().unwrap(),
            "--now",
            "2026-11-22",
            "--auto-approve",
            "--journal",
            "other/journal.jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(moved.status.code(), Some(0), "{}", stderr(&moved));

    let stale = env.run(&["apply", "plan.json", "--auto-approve"]);
    assert_eq!(stale.status.code(), Some(3), "{}", stderr(&stale));
    assert!(stderr(&stale).contains("services:"), "{}", stderr(&stale));
    assert_eq!(
        env.order_bodies().len(),
        1,
        "only the other workspace's order"
    );
}

#[test]
fn two_applies_cannot_share_a_workspace() {
    let env = common::sandbox();
    let m = env.manifest("m.yaml", EXT_300);
    std::fs::create_dir_all(env.path().join(".entitle")).unwrap();
    let held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(env.path().join(".entitle/journal.jsonl.lock"))
        .unwrap();
    held.try_lock().unwrap();
    let out = apply(&env, m.to_str().unwrap());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("another entitle apply is running"),
        "{}",
        stderr(&out)
    );
    assert!(env.order_bodies().is_empty());
}

#[test]
fn unattended_apply_without_auto_approve_is_refused() {
    let env = common::sandbox();
    let m = env.manifest("m.yaml", EXT_300);
    let out = env.run(&["apply", m.to_str().unwrap(), "--now", "2026-11-22"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--auto-approve"));
    assert!(env.order_bodies().is_empty());
}

#[test]
fn no_secret_or_token_in_any_output_or_file_even_verbose() {
    let env = common::sandbox();
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    let plan = env.run(&["-vv", "plan", m, "--now", "2026-11-22", "-o", "plan.json"]);
    let apply = env.run(&["-vv", "apply", m, "--now", "2026-11-22", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    let mut seen = String::new();
    for o in [&plan, &apply] {
        seen.push_str(&stdout(o));
        seen.push_str(&stderr(o));
    }
    assert!(
        stderr(&apply).contains("/order/openapi/order/v1/save"),
        "-vv logs requests"
    );
    for f in ["plan.json", ".entitle/journal.jsonl"] {
        seen.push_str(&std::fs::read_to_string(env.path().join(f)).unwrap());
    }
    assert!(!seen.contains(common::SECRET), "client secret leaked");
    // The sandbox's tokens start with these prefixes.
    assert!(!seen.contains("sbx-access"), "an access token leaked");
    assert!(!seen.contains("sbx-refresh"), "a refresh token leaked");
}

#[test]
fn ctrl_c_lets_the_order_in_flight_finish_and_starts_no_new_one() {
    let env = common::sandbox_with(|c| c.latency_ms = 150);
    let examples = Env::examples();
    let examples = examples.to_str().unwrap();
    let child = env.spawn(&[
        "apply",
        examples,
        "--now",
        "2026-11-22",
        "--auto-approve",
        "--no-price",
        "--parallelism",
        "1",
    ]);
    let journal = env.path().join(".entitle/journal.jsonl");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_to_string(&journal)
        .unwrap_or_default()
        .contains("\"sending\"")
    {
        assert!(std::time::Instant::now() < deadline, "no order started");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("Interrupted"), "{}", stdout(&out));
    // The order in flight finished and was journaled: nothing is left at `sending`.
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut last = std::collections::BTreeMap::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["po_number"] != "" {
            last.insert(v["po_number"].to_string(), v["state"].to_string());
        }
    }
    assert!(last.values().all(|s| s != "\"sending\""), "{last:?}");
    // The order in flight when the signal came was placed; the rest were not started (a loaded
    // machine may deliver the signal a little late, so "the rest" is "not all of them").
    let placed = env.order_bodies().len();
    assert!((1..4).contains(&placed), "{placed} orders placed");

    let rest = env.run(&[
        "apply",
        examples,
        "--now",
        "2026-11-22",
        "--auto-approve",
        "--no-price",
    ]);
    assert_eq!(rest.status.code(), Some(0), "{}", stderr(&rest));
    assert_eq!(env.order_bodies().len(), 4);
}

#[test]
fn a_second_workspace_applying_the_same_manifests_meanwhile_buys_nothing_twice() {
    let env = common::sandbox_with(|c| c.latency_ms = 40);
    let examples = Env::examples();
    let examples = examples.to_str().unwrap();
    let args = [
        "apply",
        examples,
        "--now",
        "2026-11-22",
        "--auto-approve",
        "--no-price",
    ];
    let first = env.spawn(&args);
    // The second workspace starts while the first is placing its four orders: it plans from
    // the old state, and its re-read before each order finds the PBX moved.
    let journal = env.path().join(".entitle/journal.jsonl");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read_to_string(&journal)
        .unwrap_or_default()
        .matches("\"sending\"")
        .count()
        < 4
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the first apply sent nothing"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let second = env
        .cmd()
        .args(args)
        .args(["--journal", "other/journal.jsonl"])
        .output()
        .unwrap();
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(
        matches!(second.status.code(), Some(0) | Some(4)),
        "{}\n{}",
        stdout(&second),
        stderr(&second)
    );
    let per_op = env.orders_per_operation();
    assert!(per_op.values().all(|n| *n == 1), "{per_op:?}");
    assert_eq!(per_op.len(), 4);
    let plan = env.plan_detailed(examples);
    assert_eq!(plan.status.code(), Some(0), "{}", stdout(&plan));
}

#[test]
fn a_journaled_pending_order_blocks_reordering_beyond_the_order_window() {
    let env = common::sandbox();
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    env.post("/_sandbox/faults", json!({"orderStatus": "pending"}));
    assert_eq!(apply(&env, m).status.code(), Some(0));
    // A zero-day window does not see the order in the order list; the journal still does.
    let plan = env.run(&[
        "plan",
        m,
        "--now",
        "2026-11-22",
        "--no-price",
        "--pending-window",
        "0d",
    ]);
    assert!(
        stdout(&plan).contains("Orders in flight"),
        "{}",
        stdout(&plan)
    );
    let again = env.run(&[
        "apply",
        m,
        "--now",
        "2026-11-22",
        "--auto-approve",
        "--no-price",
        "--pending-window",
        "0d",
    ]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(
        env.order_bodies().len(),
        1,
        "nothing re-ordered while pending"
    );

    let order_no = env.get("/_sandbox/orders")[0]["orderNo"]
        .as_str()
        .unwrap()
        .to_owned();
    env.post(&format!("/_sandbox/orders/{order_no}/pay"), json!({}));
    let settled = env.run(&[
        "plan",
        m,
        "--now",
        "2026-11-22",
        "--no-price",
        "--pending-window",
        "0d",
        "--detailed-exitcode",
    ]);
    assert_eq!(settled.status.code(), Some(0), "{}", stdout(&settled));
    let journal = std::fs::read_to_string(env.path().join(".entitle/journal.jsonl")).unwrap();
    assert!(
        journal.contains(&format!("order {order_no} is now succeed")),
        "{journal}"
    );
}
