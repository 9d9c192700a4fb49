//! The shared backend on a real PostgreSQL (a throwaway cluster, see `support::postgres`):
//! two applies from two directories serialize on the account's lock and buy nothing twice; a
//! SIGKILLed holder frees the lock and its journal resolves the leftovers; the database going
//! away mid-apply never lets an order out without its committed intent; migration; the kill
//! property over the PostgreSQL journal. The connection string's password never shows.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::postgres::{database, sql};
use crate::support::{Backend, Env, stderr};

#[test]
fn two_applies_of_100_pbxs_from_two_directories_on_one_backend_buy_once() {
    let env = Env::with(|c| c.seed = entitle::sandbox::Seed::Fleet(500)).on(Backend::Postgres);
    let world = env.get("/_sandbox/state")["world"].clone();
    let mut yaml = String::from(
        "version: 1\ndefaults:\n  billingContact: billing@example.com\n  renew: false\npbxs:\n",
    );
    let growing: Vec<&Value> = world["pbxs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["productId"] == 12 && !p["plan"].is_null())
        .take(100)
        .collect();
    assert_eq!(growing.len(), 100);
    for p in &growing {
        yaml.push_str(&format!(
            "  - sn: \"{}\"\n    product: software-edition\n    extensions: {}\n",
            p["sn"].as_str().unwrap(),
            p["extensions"].as_u64().unwrap() + 10
        ));
    }
    let m = env.manifest("fleet.yaml", &yaml);
    let m = m.to_str().unwrap();
    // Two directories, two machines' lock directories, started together.
    let spawn = |name: &str| {
        let mut c = env.std_cmd();
        c.args(env.apply_args(m))
            .args(["--lock-timeout", "120s", "--journal"])
            .arg(format!("{name}/journal.jsonl"))
            .env("ENTITLE_LOCK_DIR", env.path().join(name).join("locks"));
        c.spawn().unwrap()
    };
    let (a, b) = (spawn("a"), spawn("b"));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for out in [&a, &b] {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    }
    assert!(
        stderr(&a).contains("waited") || stderr(&b).contains("waited"),
        "neither said it waited:\n{}\n{}",
        stderr(&a),
        stderr(&b)
    );
    env.bought_once(100, "on the database");
    // Both journals are the one in the database; no workspace journal was written.
    assert!(
        !env.path().join("a/journal.jsonl").exists()
            && !env.path().join("b/journal.jsonl").exists()
    );
    assert_eq!(env.intents(), 100);
}

#[test]
fn a_second_apply_is_refused_at_once_naming_the_holder_without_the_password() {
    let env = Env::new().on(Backend::Postgres);
    env.faults(json!({"holdOrderSave": {"skip": 0, "phase": "after_commit"}}));
    let examples = Env::examples_arg();
    let mut first = env.spawn(env.apply_args(&examples));
    env.wait_held(1);
    let mut c = env.std_cmd();
    c.args(env.apply_args(&examples))
        .args(["--journal", "other/journal.jsonl"]);
    let second = c.output().unwrap();
    let err = stderr(&second);
    assert_eq!(second.status.code(), Some(1), "{err}");
    assert!(
        err.contains("lock held in postgres://entitle:***@127.0.0.1:"),
        "{err}"
    );
    assert!(err.contains(", pid ") && err.contains(" since "), "{err}");
    assert!(!err.contains(":pw@"), "{err}");
    env.release_and_settle();
    first.wait().unwrap();
}

#[test]
fn a_killed_holder_frees_the_lock_and_its_journal_resolves_the_leftovers() {
    let env = Env::new().on(Backend::Postgres);
    let examples = Env::examples_arg();
    // SIGKILL: the lock goes with its connection.
    env.kill_held(env.apply_held_at(&examples, 1, "after_commit"));
    let again = env.apply(&examples);
    assert!(
        !stderr(&again).contains("another entitle apply"),
        "{}",
        stderr(&again)
    );
    assert!(
        stderr(&again).contains("resolved: order ent-"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        env.converge(&examples, 5).last().copied().flatten(),
        Some(0)
    );
    env.bought_once(4, "on the database");
    assert!(!env.path().join(".entitle/journal.jsonl").exists());
}

#[test]
fn the_database_going_away_mid_apply_lets_no_order_out_without_its_intent() {
    let env = Env::new().on(Backend::Postgres);
    let examples = Env::examples_arg();
    let child = env.apply_held_at(&examples, 1, "before_commit");
    // Every connection of the apply is cut (its lock with them).
    sql(
        env.database().unwrap(),
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    env.release_and_settle();
    let out = child.wait_with_output().unwrap();
    // The journal reconnects, and since no other apply took the lock (the fencing token is
    // still this apply's), it goes on.
    crate::support::assert_exit(&out, 0);
    // Its lock's session ended with the rest, though no one took the lock: said all the same.
    assert!(
        crate::support::stdout(&out).contains("lock session on the shared backend ended"),
        "{}",
        crate::support::stdout(&out)
    );
    let intents: BTreeSet<String> = env
        .journal()
        .iter()
        .filter(|e| e["state"] == "sending")
        .map(|e| e["po_number"].as_str().unwrap().to_owned())
        .collect();
    let sent: BTreeSet<String> = env
        .order_bodies()
        .iter()
        .map(|b| b["poNumber"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        sent.len(),
        4,
        "the two orders sent before the cut, and the two after"
    );
    assert!(
        sent.is_subset(&intents),
        "an order without its intent: {sent:?} vs {intents:?}"
    );
    assert_eq!(
        env.converge(&examples, 5).last().copied().flatten(),
        Some(0)
    );
    env.bought_once(4, "on the database");
}

// The kill and fault property tests of the workspace backend, again on the database's
// journal and lock: the same cases, the same invariant (zero duplicate orders, convergence).

#[test]
fn the_eight_kill_points_on_the_database() {
    for phase in ["before_commit", "after_commit"] {
        for k in 0..4 {
            crate::crash_e2e::kill_then_converge(Backend::Postgres, k, phase);
        }
    }
}

#[test]
fn a_kill_with_other_pbxs_in_flight_on_the_database() {
    crate::crash_e2e::killed_mid_order(Backend::Postgres);
}

#[test]
fn kills_across_the_32_vendors_that_echo_or_not_on_the_database() {
    for (i, v) in crate::vendor_variants::variants().iter().enumerate() {
        crate::vendor_variants::kill_case(Backend::Postgres, i, v);
    }
}

/// All 32 vendors, those that show an order neither in their list nor on the PBX for a while
/// included: the second apply waits for the account's lock and reads the first's journal.
#[test]
fn two_workspaces_across_the_32_vendors_on_the_database() {
    for v in crate::vendor_variants::variants() {
        crate::vendor_variants::race_case(Backend::Postgres, &v);
    }
}

#[test]
fn slow_commits_and_a_lagging_list_on_the_database() {
    for echo in [true, false] {
        for seconds in [false, true] {
            crate::vendor_variants::slow_commit(
                Backend::Postgres,
                json!({"echoReference": echo, "timesInSeconds": seconds}),
                None,
            );
        }
    }
    crate::vendor_variants::lagging_list_and_kill(Backend::Postgres);
}

#[test]
fn faults_at_the_order_across_the_32_vendors_on_the_database() {
    for (i, v) in crate::vendor_variants::variants().iter().enumerate() {
        crate::vendor_variants::fault_case(Backend::Postgres, i, v);
    }
}

#[test]
fn faults_at_the_order_on_the_database() {
    for fault in ["commit_then_drop", "commit_then_500"] {
        crate::apply_e2e::bought_once_when_the_answer_is_lost(Backend::Postgres, fault);
    }
    crate::apply_e2e::failure_before_commit(Backend::Postgres);
    crate::apply_e2e::pending_until_paid(Backend::Postgres);
    crate::apply_e2e::journaled_pending_beyond_the_window(Backend::Postgres);
}

#[test]
fn migration_copies_the_workspace_journal_once() {
    let url = database();
    let env = Env::new();
    let examples = Env::examples_arg();
    assert_eq!(env.apply(&examples).status.code(), Some(0));
    let lines = std::fs::read_to_string(env.path().join(".entitle/journal.jsonl"))
        .unwrap()
        .lines()
        .count();
    let out = env.run(&["backend", "migrate", "--to", &url]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = crate::support::stdout(&out);
    assert!(
        said.contains(&format!("copied {lines} journal entries")),
        "{said}"
    );
    assert!(!said.contains(":pw@") && said.contains(":***@"), "{said}");
    assert_eq!(
        sql(&url, "SELECT count(*) FROM entitle_journal"),
        lines.to_string()
    );
    let again = env.run(&["backend", "migrate", "--to", &url]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already holds"),
        "{}",
        stderr(&again)
    );
    // The account now plans from the database's journal: nothing to do.
    let env = env.var("ENTITLE_BACKEND", &url);
    assert_eq!(env.plan_detailed(&examples).status.code(), Some(0));
}

/// `doctor` looks for the orders of the journal where apply wrote them: on the database.
#[test]
fn doctor_reads_the_journal_on_the_backend() {
    let env = Env::new().on(Backend::Postgres);
    let examples = Env::examples_arg();
    assert_eq!(env.apply(&examples).status.code(), Some(0));
    assert!(!env.path().join(".entitle/journal.jsonl").exists());
    let out = env.run(&["doctor", &examples]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report
            .lines()
            .any(|l| l.trim_start().starts_with("confirmed")
                && l.contains("`customReferenceNo` echoes the poNumber")),
        "{report}"
    );
    assert!(
        report.contains("4 of this workspace's 4 orders found by poNumber among 4 orders read"),
        "{report}"
    );
    let url = env.database().unwrap();
    assert!(!report.contains(url) && !stderr(&out).contains(url));
}

/// The lock's database session ends mid-apply (`pg_terminate_backend`, as an operator, an
/// `idle_session_timeout` or a restart would end it) and a second apply takes the lock: the
/// first sends no order after that — its next intent fails the fencing check — and says so;
/// nothing is bought twice, though the vendor lists orders too late for either to see the
/// other's.
#[test]
fn an_apply_that_lost_its_lock_sends_no_more_orders() {
    lost_lock_at(1);
}

/// The lock lost while the last order is in flight: no order is left to stop, but the apply
/// still says it lost its lock (never exit 0), and the order's outcome — a fact the vendor
/// decided — is journaled for whoever holds the lock now.
#[test]
fn an_apply_that_lost_its_lock_at_its_last_order_says_so_and_journals_the_outcome() {
    lost_lock_at(3);
}

/// The first apply's order `k` (of the examples' 4) held by the vendor, committed but not
/// answered, while its lock's session is ended and a second apply, from another directory,
/// takes the lock and orders the rest.
fn lost_lock_at(k: u64) {
    let env = Env::blind_vendor().on(Backend::Postgres);
    let url = env.database().unwrap().to_owned();
    let examples = Env::examples_arg();
    let first = env.apply_held_at(&examples, k, "after_commit");
    let ended = sql(
        &url,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'entitle lock'",
    );
    assert_eq!(ended, "1", "the lock's session was ended");
    let second = env
        .std_cmd()
        .args(env.apply_args(&examples))
        .args(["--journal", "other/journal.jsonl"])
        .output()
        .unwrap();
    assert_eq!(
        second.status.code(),
        Some(6),
        "the first's orders are in doubt for the second\n{}",
        stderr(&second)
    );
    assert_eq!(env.order_bodies().len(), 4);
    // The first goes on: its order in flight finishes, and it starts no other.
    env.release_and_settle();
    let first = first.wait_with_output().unwrap();
    let out = crate::support::stdout(&first);
    assert_eq!(first.status.code(), Some(4), "{out}\n{}", stderr(&first));
    assert!(out.contains("lost its lock"), "{out}");
    env.bought_once(4, "a lost lock");
    // The held order's outcome reached the shared journal (the first plan's entries: the
    // journal's first entry is the first apply's start).
    let journal = env.journal();
    let done = journal
        .iter()
        .filter(|e| e["plan_id"] == journal[0]["plan_id"])
        .filter(|e| e["state"] == "done" && e["order_no"].is_string())
        .count();
    assert_eq!(done, usize::try_from(k).unwrap() + 1, "{journal:?}");
}

/// A server that ends idle sessions sooner than the plan phase takes: the lock's and the
/// journal's sessions are kept alive, and the apply goes through.
#[test]
fn a_short_idle_session_timeout_does_not_fail_the_apply() {
    let env = Env::with(|c| c.latency_ms = 700).on(Backend::Postgres);
    let url = env.database().unwrap().to_owned();
    sql(
        &url,
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET idle_session_timeout = ''1s''', current_database()); END $$",
    );
    assert_eq!(sql(&url, "SHOW idle_session_timeout"), "1s");
    let out = env.apply(&Env::examples_arg());
    crate::support::assert_exit(&out, 0);
    env.bought_once(4, "idle_session_timeout 1s");
}

/// A backend database that does not exist is named as such, not as "db error".
#[test]
fn a_missing_database_is_named() {
    let env = Env::new();
    let url = database();
    let missing = format!("{}/no_such_db", url.rsplit_once('/').unwrap().0);
    let out = env
        .std_cmd()
        .args(env.apply_args(&Env::examples_arg()))
        .env("ENTITLE_BACKEND", &missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("database \"no_such_db\" does not exist; create it"),
        "{}",
        stderr(&out)
    );
    assert!(env.order_bodies().is_empty());
}

/// An order in flight at the upgrade, filed on the shared backend by an older entitle under
/// the key of the URL as it was written (`HTTP://…`, before keys were canonical): still read,
/// so its PBX is in doubt rather than ordered again.
#[test]
fn rows_filed_under_an_older_entitles_key_are_still_read() {
    use sha2::Digest;
    let env = Env::blind_vendor().on(Backend::Postgres);
    let url = env.database().unwrap().to_owned();
    let examples = Env::examples_arg();
    // A first look creates the schema.
    assert_eq!(env.plan_detailed(&examples).status.code(), Some(2));
    let spelled = env.base_url.replacen("http://", "HTTP://", 1);
    let legacy = format!(
        "{:x}",
        sha2::Sha256::digest(format!("{spelled}\n{}", crate::support::CLIENT_ID).as_bytes())
    );
    let intent = json!({
        "at_ms": env.sandbox.now_ms(), "plan_id": "plan-old", "po_number": "ent-0123456789abcdef",
        "sn": "3651D3296882", "product": 12, "operation": "purchase_service", "state": "sending",
    });
    sql(
        &url,
        &format!(
            "INSERT INTO entitle_journal (account, entry) VALUES ('{}', '{intent}')",
            &legacy[..16]
        ),
    );
    let out = env
        .std_cmd()
        .args([
            "plan",
            &examples,
            "--now",
            &env.now(),
            "--no-price",
            "--detailed-exitcode",
        ])
        .env("ENTITLE_BASE_URL", &spelled)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(
        crate::support::stdout(&out).contains("ent-0123456789abcdef"),
        "{}",
        crate::support::stdout(&out)
    );
}
