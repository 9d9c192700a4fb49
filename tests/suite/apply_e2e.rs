//! `apply` end to end against the sandbox: faults at the moment of the order, pending orders,
//! saved plans (stale, applied once), the workspace lock, and secrets kept out of everything.

use crate::support::{Backend, Env, stderr, stdout};
use indoc::indoc;
use serde_json::json;

const EXT_300: &str = indoc! {"
    version: 1
    defaults:
      billingContact: billing@example.com
    pbxs:
      - sn: 3651D3296882
        product: software-edition
        extensions: 300
"};
const HOTEL: &str = indoc! {"
    version: 1
    defaults:
      billingContact: billing@example.com
    pbxs:
      - sn: 3651D3296882
        product: software-edition
        services: [Hotel PMS Integration]
"};

fn apply(env: &Env, m: &str) -> std::process::Output {
    env.apply(m)
}

fn plan_exit(env: &Env, m: &str) -> Option<i32> {
    env.plan_detailed(m).status.code()
}

/// An order committed by the vendor whose answer is lost: the first apply cannot tell (exit 5),
/// the second finds it by its poNumber and sends nothing, and the account converges.
pub(crate) fn bought_once_when_the_answer_is_lost(backend: Backend, fault: &str) {
    let env = Env::new().on(backend);
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    env.faults(json!({"nextOrderSaves": [fault]}));
    let first = apply(&env, m);
    assert_eq!(env.faults_served(), json!({ fault: 1 }));
    crate::support::assert_exit(&first, 5);
    assert!(stdout(&first).contains("unknown"), "{}", stdout(&first));
    assert_eq!(env.order_bodies().len(), 1);

    let second = apply(&env, m);
    crate::support::assert_exit(&second, 0);
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
    bought_once_when_the_answer_is_lost(Backend::Workspace, "commit_then_drop");
}

#[test]
fn commit_then_500_is_bought_once_and_converges() {
    bought_once_when_the_answer_is_lost(Backend::Workspace, "commit_then_500");
}

#[test]
fn failure_before_commit_is_proven_absent_and_planned_again() {
    failure_before_commit(Backend::Workspace);
}

pub(crate) fn failure_before_commit(backend: Backend) {
    let env = Env::new().on(backend);
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    env.faults(json!({"nextOrderSaves": ["fail_before_commit"]}));
    assert_eq!(apply(&env, m).status.code(), Some(5));
    assert_eq!(env.faults_served(), json!({"fail_before_commit": 1}));
    assert!(env.order_bodies().is_empty());
    // Right after: no trace yet, but the vendor may still show it. In doubt, nothing sent.
    let second = apply(&env, m);
    assert_eq!(second.status.code(), Some(6), "{}", stderr(&second));
    assert!(stderr(&second).contains("in doubt"), "{}", stderr(&second));
    assert!(stdout(&second).contains("In doubt"), "{}", stdout(&second));
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 1);
    // Once the settle period has passed with no trace: never placed, ordered again.
    env.settle();
    let third = apply(&env, m);
    assert_eq!(third.status.code(), Some(0), "{}", stderr(&third));
    assert!(
        stderr(&third).contains("never placed"),
        "{}",
        stderr(&third)
    );
    assert_eq!(env.order_bodies().len(), 1);
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 2);
    assert_eq!(plan_exit(&env, m), Some(0));
}

#[test]
fn a_pending_order_blocks_reordering_until_paid() {
    pending_until_paid(Backend::Workspace);
}

pub(crate) fn pending_until_paid(backend: Backend) {
    let env = Env::new().on(backend);
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    env.faults(json!({"orderStatus": "pending"}));
    let first = apply(&env, m);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(stdout(&first).contains("pending"));

    let plan = env.run(&["plan", m, "--now", &env.now(), "--no-price"]);
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
    let env = Env::new();
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    let saved = env.save_plan(m);
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
        stderr(&again).contains("refusing to replay plan"),
        "{}",
        stderr(&again)
    );
    assert_eq!(env.order_bodies().len(), 1);
}

#[test]
fn a_stale_saved_plan_is_refused_and_shows_what_moved() {
    let env = Env::new();
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    env.save_plan(m);
    // Someone else (another workspace) changes the PBX in between.
    let other = env.manifest("other.yaml", HOTEL);
    let moved = env
        .cmd()
        .args([
            "apply",
            other.to_str().unwrap(),
            "--now",
            &env.now(),
            "--auto-approve",
            "--journal",
            "other/journal.jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(moved.status.code(), Some(0), "{}", stderr(&moved));

    let stale = env.run(&["apply", "plan.json", "--now", &env.now(), "--auto-approve"]);
    assert_eq!(stale.status.code(), Some(3), "{}", stderr(&stale));
    // What moved reads whole on both sides: the PBX had no service before.
    insta::assert_snapshot!(crate::support::redact(&stderr(&stale)));
    assert_eq!(
        env.order_bodies().len(),
        1,
        "only the other workspace's order"
    );
}

#[test]
fn two_applies_cannot_share_a_workspace() {
    let env = Env::new();
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
    let env = Env::new();
    let m = env.manifest("m.yaml", EXT_300);
    let out = env.run(&["apply", m.to_str().unwrap(), "--now", &env.now()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--auto-approve"));
    assert!(env.order_bodies().is_empty());
}

#[test]
fn no_secret_or_token_in_any_output_or_file_even_verbose() {
    let env = Env::new();
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    let plan = env.run(&["-vv", "plan", m, "--now", &env.now(), "-o", "plan.json"]);
    let apply = env.run(&["-vv", "apply", m, "--now", &env.now(), "--auto-approve"]);
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
    assert!(
        !seen.contains(crate::support::SECRET),
        "client secret leaked"
    );
    // The sandbox's tokens start with these prefixes.
    assert!(!seen.contains("sbx-access"), "an access token leaked");
    assert!(!seen.contains("sbx-refresh"), "a refresh token leaked");
}

#[test]
fn verbose_logs_show_the_accounts_answers_redacted() {
    let env = Env::new();
    let plan = env.run(&["-vv", "plan", &Env::examples_arg(), "--now", &env.now()]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let logs = stderr(&plan);
    // `-vv` logs every answer, the PBXs' details and the billing contacts among them.
    for logged in [
        "api response path=/product/openapi/instance_product/v1/detail",
        "api response path=/user/openapi/user/v1/client/billing_contact_list",
        r#""activationCode":"<redacted>""#,
        r#""emailAddress":"<redacted>""#,
    ] {
        assert!(logs.contains(logged), "no `{logged}` in:\n{logs}");
    }
    let mut private = env.private_values();
    private.extend([crate::support::SECRET, "sbx-access", "sbx-refresh"].map(str::to_owned));
    for value in private {
        assert!(!logs.contains(&value), "`{value}` in:\n{logs}");
    }
}

#[test]
fn ctrl_c_lets_the_order_in_flight_finish_and_starts_no_new_one() {
    stopped_by_signal("INT", "interrupt", 130);
}

/// What a CI runner sends when a job is cancelled: handled like Ctrl-C, with its own exit code.
#[test]
fn sigterm_lets_the_order_in_flight_finish_and_starts_no_new_one() {
    stopped_by_signal("TERM", "SIGTERM", 143);
}

#[test]
fn sighup_lets_the_order_in_flight_finish_and_starts_no_new_one() {
    stopped_by_signal("HUP", "SIGHUP", 129);
}

/// `kill -<signal>` mid-save: the order in flight finishes and is journaled, no other starts,
/// and the exit code is `code`.
fn stopped_by_signal(signal: &str, said: &str, code: i32) {
    let env = Env::new();
    // The first order is held by the vendor until the interrupt has been taken.
    let examples = Env::examples_arg();
    let mut child = env.apply_held_at(&examples, 0, "before_commit");
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args([format!("-{signal}").as_str(), &pid])
            .status()
            .unwrap()
            .success()
    );
    // Wait for the line that says the interrupt was taken, then let the order go on.
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = std::io::BufRead::read_line(&mut err, &mut line).unwrap();
        assert!(n > 0, "apply ended without taking the interrupt: {seen}");
        seen.push_str(&line);
        if line.starts_with(&format!("{said}:")) {
            break;
        }
    }
    env.release_and_settle();
    assert!(
        seen.contains(&format!(
            "{said}: no new order starts; waiting for the 1 order already sent"
        )),
        "{seen}"
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{signal}: interrupted, nothing failed: {}\n{seen}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("Interrupted"), "{}", stdout(&out));
    // The order in flight finished and was journaled: nothing is left at `sending`.
    let journal = env.path().join(".entitle/journal.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut last = std::collections::BTreeMap::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["po_number"] != "" {
            last.insert(v["po_number"].to_string(), v["state"].to_string());
        }
    }
    assert_eq!(last.len(), 1, "one order started: {last:?}");
    assert!(last.values().all(|s| s == "\"done\""), "{last:?}");
    // Exactly the order in flight was placed; no other started.
    assert_eq!(env.order_bodies().len(), 1);

    let rest = env.apply(&examples);
    assert_eq!(rest.status.code(), Some(0), "{}", stderr(&rest));
    assert_eq!(env.order_bodies().len(), 4);
    env.bought_once(4, "the rest applied after Ctrl-C");
}

#[test]
fn a_second_workspace_applying_meanwhile_buys_nothing_twice() {
    let env = Env::new();
    let examples = Env::examples_arg();
    // Once a run has placed an order it trusts its last read of the order list for 100 ms
    // (apply/book.rs, MIN_AGE): an order placed by another machine within that window is not
    // seen, and only the shared backend's lock closes it. The vendor answers each request after
    // 150 ms here, so the first run's read is older than that when it resumes, however fast
    // the second run is: what is tested is the check, not a race against the window.
    env.faults(json!({"latencyMs": 150}));
    // The first workspace orders one PBX at a time; its first order is stored and its answer
    // held, so it stands still with three PBXs still to go.
    let first = env.apply_held_at(&examples, 0, "after_commit");
    // Meanwhile a second workspace on this machine is refused: one apply per account here.
    let here = env
        .cmd()
        .args(env.apply_args(&examples))
        .args(["--journal", "other/journal.jsonl"])
        .output()
        .unwrap();
    assert_eq!(here.status.code(), Some(1), "{}", stderr(&here));
    assert!(
        stderr(&here)
            .contains("another entitle apply is running against the account at http://127.0.0.1:"),
        "{}",
        stderr(&here)
    );
    assert!(
        stderr(&here).contains("is held by pid "),
        "{}",
        stderr(&here)
    );
    assert_eq!(env.order_bodies().len(), 1);
    // A second workspace on another machine (another lock directory) applies the same
    // manifests: it sees the first PBX's order
    // and orders the other three. (Should the first PBX still lack something, such as its
    // auto-renewal, it is in doubt for the second: an order placed moments ago by someone
    // else may not show yet. Exit 6, nothing ordered for it.)
    let second = env
        .cmd()
        .args(env.apply_args(&examples))
        .args(["--journal", "other/journal.jsonl"])
        .env("ENTITLE_LOCK_DIR", env.path().join("other-machine"))
        .output()
        .unwrap();
    assert!(
        matches!(second.status.code(), Some(0 | 6)),
        "{}",
        stderr(&second)
    );
    assert_eq!(env.order_bodies().len(), 4);
    // The first goes on: before each remaining PBX it finds the second's order in the order
    // list (or the PBX changed), and skips it.
    env.release_and_settle();
    let first = first.wait_with_output().unwrap();
    crate::support::assert_exit(&first, 4);
    // Which PBX the first workspace took first is up to the scheduler: one PBX is done, the
    // other three are skipped as changed since its plan.
    let out = stdout(&first);
    let pbxs_with = |mark: &str| {
        out.lines()
            .filter_map(|l| l.trim_start().strip_prefix(mark))
            .filter_map(|rest| rest.split_whitespace().next())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(pbxs_with("✓ done").len(), 1, "{out}");
    assert_eq!(pbxs_with("- skipped").len(), 3, "{out}");
    assert_eq!(
        out.matches("someone else acted").count() + out.matches("changed since the plan").count(),
        out.matches("- skipped").count(),
        "{out}"
    );
    assert!(out.contains(" 0 failed, 0 unknown, "), "{out}");
    env.bought_once(4, "a second workspace meanwhile");
    let plan = env.plan_detailed(&examples);
    assert_eq!(plan.status.code(), Some(0), "{}", stdout(&plan));
}

#[test]
fn a_journaled_pending_order_blocks_reordering_beyond_the_order_window() {
    journaled_pending_beyond_the_window(Backend::Workspace);
}

pub(crate) fn journaled_pending_beyond_the_window(backend: Backend) {
    let env = Env::new().on(backend);
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    env.faults(json!({"orderStatus": "pending"}));
    assert_eq!(apply(&env, m).status.code(), Some(0));
    // A zero-day window does not see the order in the order list; the journal still does.
    let plan = env.run(&[
        "plan",
        m,
        "--now",
        &env.now(),
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
        &env.now(),
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
        &env.now(),
        "--no-price",
        "--pending-window",
        "0d",
        "--detailed-exitcode",
    ]);
    assert_eq!(settled.status.code(), Some(0), "{}", stdout(&settled));
    let journal = serde_json::to_string(&env.journal()).unwrap();
    assert!(
        journal.contains(&format!("order {order_no} is now succeed")),
        "{journal}"
    );
}

#[test]
fn a_torn_journal_line_never_makes_a_later_run_fail() {
    let env = Env::new();
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    assert_eq!(apply(&env, m).status.code(), Some(0));
    // A crash or a full disk cut the last entry short.
    let journal = env.path().join(".entitle/journal.jsonl");
    let mut text = std::fs::read_to_string(&journal).unwrap();
    text.push_str(r#"{"at_ms":1795338000000,"plan_id":"plan-"#);
    std::fs::write(&journal, text).unwrap();
    // The next run journals a new order after it, and every run after that reads the journal.
    let hotel = env.manifest("hotel.yaml", HOTEL);
    let hotel = hotel.to_str().unwrap();
    for _ in 0..3 {
        let out = apply(&env, hotel);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(plan_exit(&env, hotel), Some(0));
    }
    assert_eq!(env.order_bodies().len(), 2);
}

#[test]
fn unlock_removes_only_the_lock_files_no_process_holds() {
    let env = Env::new();
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    // A finished apply leaves its lock files behind, held by no one.
    assert_eq!(apply(&env, m).status.code(), Some(0));
    let workspace_lock = env.path().join(".entitle/journal.jsonl.lock");
    assert!(workspace_lock.exists());
    let out = env.run(&["unlock"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains("removed ") && said.contains("journal.jsonl.lock"),
        "{said}"
    );
    assert!(said.contains("account-"), "the account lock too: {said}");
    assert!(!workspace_lock.exists());
    // A running apply's locks are kept, and it says who holds them.
    env.faults(json!({"holdOrderSave": {"skip": 0, "phase": "after_commit"}}));
    let other = env.manifest("other.yaml", HOTEL);
    let mut child = env.spawn(env.apply_args(other.to_str().unwrap()));
    env.wait_held(1);
    let out = env.run(&["unlock"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("kept ") && stdout(&out).contains("held by pid "),
        "{}",
        stdout(&out)
    );
    env.release_and_settle();
    child.wait().unwrap();
}

/// An error answered after the vendor committed: whatever the answer says (a 401
/// `token_expired`, a 429, a 408, a refusal under 200, an envelope with `code` twice), the save
/// is sent once, the first apply says it failed or is unknown (never done), and the immediate
/// re-run finds the order by evidence instead of buying it again.
#[test]
fn an_error_answered_after_the_commit_is_never_bought_again() {
    for (fault, first_exit) in [
        ("commit_then_token_expired", 5),
        ("commit_then_429", 5),
        ("commit_then_408", 5),
        ("commit_then_refused", 4),
        ("commit_then_repeated_code", 5),
    ] {
        let env = Env::new();
        let m = env.manifest("m.yaml", EXT_300);
        let m = m.to_str().unwrap();
        env.faults(json!({"nextOrderSaves": [fault]}));
        let first = apply(&env, m);
        assert_eq!(env.faults_served(), json!({ fault: 1 }), "{fault}");
        assert_eq!(
            first.status.code(),
            Some(first_exit),
            "{fault}\n{}\n{}",
            stdout(&first),
            stderr(&first)
        );
        assert_eq!(
            env.count("POST /order/openapi/order/v1/save"),
            1,
            "{fault}: sent once"
        );
        let second = apply(&env, m);
        assert_eq!(
            second.status.code(),
            Some(0),
            "{fault}\n{}\n{}",
            stdout(&second),
            stderr(&second)
        );
        assert!(
            stderr(&second).contains("exists as"),
            "{fault}: {}",
            stderr(&second)
        );
        env.bought_once(1, fault);
        assert_eq!(plan_exit(&env, m), Some(0), "{fault}");
    }
}

/// Refused after the commit, on a vendor that neither echoes the poNumber nor lists the order
/// yet: the re-run holds the PBX in doubt (exit 6) instead of buying again, and once the order
/// shows it is found.
#[test]
fn a_refusal_after_the_commit_holds_the_pbx_until_the_evidence_shows() {
    let env = Env::blind_vendor();
    let m = env.manifest("m.yaml", EXT_300);
    let m = m.to_str().unwrap();
    env.faults(json!({"nextOrderSaves": ["commit_then_refused"]}));
    assert_eq!(apply(&env, m).status.code(), Some(4));
    let second = apply(&env, m);
    assert_eq!(second.status.code(), Some(6), "{}", stderr(&second));
    assert!(stderr(&second).contains("refusal"), "{}", stderr(&second));
    env.sandbox.advance(120_000);
    let third = apply(&env, m);
    crate::support::assert_exit(&third, 0);
    env.bought_once(1, "commit_then_refused, no echo, lag");
}

/// A vendor number is an input: a token lifetime near 2^63 seconds must not overflow the
/// client's renewal time (it panicked the order tasks, and the apply reported 4 of 40 orders
/// and exited 0).
#[test]
fn a_token_lifetime_near_two_to_the_63_is_survived() {
    let env = Env::new();
    env.faults(json!({"tokenLifetimeSecs": 9_223_372_036_854_775_000u64}));
    let out = env.apply(&Env::examples_arg());
    crate::support::assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("5 done, 0 pending, 0 failed, 0 unknown"),
        "{}",
        stdout(&out)
    );
    env.bought_once(4, "huge expiresIn");
}

/// `entitle apply … | head -n 3`: the pipe closes, and the exit code still says what happened
/// to the orders (here: unknown, 5), never 0.
#[test]
fn a_closed_stdout_never_turns_an_unknown_outcome_into_success() {
    let env = Env::new();
    let m = env.manifest("m.yaml", EXT_300);
    env.faults(json!({"nextOrderSaves": ["commit_then_500"]}));
    let mut child = env.spawn(env.apply_args(m.to_str().unwrap()));
    // The reader goes away before anything is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(env.faults_served(), json!({"commit_then_500": 1}));
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot write the result"),
        "{}",
        stderr(&out)
    );
}
