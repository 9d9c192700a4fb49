//! Never buy twice in ordinary operation: what every team meets without any vendor fault —
//! one account's URL spelled two ways, a plan saved in one checkout and applied from another
//! or against another account, a journal migrated under another URL. Each test makes the
//! condition happen for real (the sandbox counts what it committed) and asserts that nothing
//! was bought twice and that the exit code says what happened.

use crate::support::{Backend, Env, stderr, stdout};

/// Every spelling of one account's URL is one account: one lock and one journal on the shared
/// backend. An apply killed after the vendor committed its first order leaves that order in
/// the journal; a second apply from another directory and machine, with the URL spelled
/// otherwise, holds that PBX in doubt instead of buying it again.
#[test]
fn one_account_spelled_four_ways_is_one_journal_on_the_shared_backend() {
    for spell in [
        |u: &str| u.replacen("http://", "HTTP://", 1),
        |u: &str| u.replacen("127.0.0.1", "127.1", 1),
        |u: &str| format!("{u}/"),
        |u: &str| u.replacen("127.0.0.1", "localhost", 1),
    ] {
        let env = Env::blind_vendor().on(Backend::Postgres);
        let examples = Env::examples_arg();
        let first = env.apply_held_at(&examples, 0, "after_commit");
        env.kill_held(first);
        assert_eq!(env.order_bodies().len(), 1);
        let spelled = spell(&env.base_url);
        assert_ne!(spelled, env.base_url);
        let second = env
            .std_cmd()
            .args(env.apply_args(&examples))
            .args(["--journal", "other/journal.jsonl"])
            .env("ENTITLE_BASE_URL", &spelled)
            .env("ENTITLE_LOCK_DIR", env.path().join("other/locks"))
            .output()
            .unwrap();
        assert_eq!(
            second.status.code(),
            Some(6),
            "{spelled}: the killed order's PBX is in doubt\n{}\n{}",
            stdout(&second),
            stderr(&second)
        );
        // The three other PBXs were ordered; the killed one was not ordered again.
        env.bought_once(4, &spelled);
    }
}

/// A base URL pasted with a newline (a CI secret) is refused before anything is sent, rather
/// than trimmed into another account key.
#[test]
fn a_base_url_with_a_trailing_newline_is_refused() {
    let env = Env::new();
    let out = env
        .std_cmd()
        .args(env.apply_args(&Env::examples_arg()))
        .env("ENTITLE_BASE_URL", format!("{}\n", env.base_url))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("whitespace or a control character"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        env.get("/_sandbox/requests")["log"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

/// A plan saved against one account is refused against another (exit 3): the plan records
/// the account it was made for.
#[test]
fn a_plan_made_for_another_account_is_refused() {
    let env = Env::new();
    let examples = Env::examples_arg();
    assert_eq!(env.save_plan(&examples).status.code(), Some(0));
    let out = env
        .std_cmd()
        .args(env.apply_saved_args())
        .env("ENTITLE_CLIENT_ID", "another-client")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("made for another vendor account"),
        "{}",
        stderr(&out)
    );
    assert!(env.order_bodies().is_empty());
}

/// `backend migrate` under another account (another URL or client ID) would file the journal's
/// orders in flight where no apply of their own account looks: refused, nothing copied.
#[test]
fn backend_migrate_refuses_a_journal_of_another_account() {
    let env = Env::blind_vendor();
    let examples = Env::examples_arg();
    let first = env.apply_held_at(&examples, 0, "after_commit");
    env.kill_held(first);
    let url = crate::support::postgres::database();
    let out = env
        .std_cmd()
        .args(["backend", "migrate", "--to", &url])
        .env("ENTITLE_CLIENT_ID", "another-client")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("holds entries of another vendor account"),
        "{}",
        stderr(&out)
    );
    // Under its own account it is copied, the order in flight with it.
    let ok = env.run(&["backend", "migrate", "--to", &url]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let sending = crate::support::postgres::sql(
        &url,
        "SELECT count(*) FROM entitle_journal WHERE entry LIKE '%\"state\":\"sending\"%'",
    );
    assert_eq!(sending.trim(), "1", "the killed order's intent was copied");
}

/// libfaketime, which moves one process's clock (installed by `.ci/run`: `faketime`).
fn libfaketime() -> std::path::PathBuf {
    let found = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|d| d.path().join("faketime/libfaketime.so.1"))
        .chain([std::path::PathBuf::from(
            "/usr/lib/faketime/libfaketime.so.1",
        )])
        .find(|p| p.exists());
    found.expect("the clock-skew tests need libfaketime: apt-get install faketime")
}

/// `apply M` without `--now`, its clock (only the client's, not the sandbox's) set `ahead_ms`
/// ahead of the sandbox's time and running; `extra` arguments and environment after.
fn skewed_apply(
    env: &Env,
    m: &str,
    ahead_ms: i64,
    extra: &[&str],
    vars: &[(&str, String)],
) -> std::process::Output {
    let at = entitle::clock::Timestamp(env.sandbox.now_ms() + ahead_ms).to_string();
    // `2026-11-22T09:11:00.000Z` as libfaketime's absolute start, `@2026-11-22 09:11:00`.
    let start = format!("@{} {}", &at[..10], &at[11..19]);
    let mut c = env.std_cmd();
    c.args(["apply", m, "--auto-approve", "--no-price"])
        .args(extra)
        .env("LD_PRELOAD", libfaketime())
        .env("FAKETIME", start)
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .env("TZ", "UTC");
    for (k, v) in vars {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// An apply killed after the vendor committed, on a vendor that lists the order 90 s late and
/// echoes no poNumber; the re-run's clock is `ahead_ms` ahead of the vendor's. The settle
/// period is counted on the vendor's clock: the re-run holds the PBX in doubt (exit 6) rather
/// than conclude "never placed" and buy again, says how far off its clock is, and once the
/// order shows, finds it.
fn killed_then_rerun_with_a_clock_ahead(backend: Backend, ahead_ms: i64, elsewhere: bool) {
    let env = Env::blind_vendor().on(backend);
    let examples = Env::examples_arg();
    let first = env.apply_held_at(&examples, 0, "after_commit");
    env.kill_held(first);
    assert_eq!(env.order_bodies().len(), 1);
    let (extra, vars): (Vec<&str>, Vec<(&str, String)>) = if elsewhere {
        (
            vec!["--journal", "other/journal.jsonl"],
            vec![(
                "ENTITLE_LOCK_DIR",
                env.path().join("other/locks").display().to_string(),
            )],
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let second = skewed_apply(&env, &examples, ahead_ms, &extra, &vars);
    assert_eq!(
        second.status.code(),
        Some(6),
        "clock {ahead_ms} ms ahead: the killed order's PBX is in doubt\n{}\n{}",
        stdout(&second),
        stderr(&second)
    );
    assert!(
        stderr(&second).contains("ahead of the vendor's"),
        "{}",
        stderr(&second)
    );
    env.bought_once(4, "the re-run with a clock ahead");
    // The order shows 90 s after it was committed: then it is found, not bought again.
    env.sandbox.advance(120_000);
    let third = skewed_apply(&env, &examples, ahead_ms, &extra, &vars);
    crate::support::assert_exit(&third, 0);
    env.bought_once(4, "once the order showed");
}

#[test]
fn a_clock_a_day_ahead_never_concludes_never_placed_early() {
    killed_then_rerun_with_a_clock_ahead(Backend::Workspace, 86_400_000, false);
}

#[test]
fn a_clock_eleven_minutes_ahead_on_the_shared_backend_from_another_directory() {
    killed_then_rerun_with_a_clock_ahead(Backend::Postgres, 11 * 60_000, true);
}

/// `entitle plan --detailed-exitcode | head`: the reader goes away, and the exit code still
/// says there are changes (2), and the plan file is still saved.
#[test]
fn a_closed_stdout_never_hides_a_plans_exit_code() {
    let env = Env::new();
    let now = env.now();
    let examples = Env::examples_arg();
    let mut child = env.spawn([
        "plan",
        &examples,
        "--now",
        &now,
        "--no-price",
        "--detailed-exitcode",
        "-o",
        "plan.json",
    ]);
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(env.path().join("plan.json").exists());
    // And invalid manifests stay invalid for `validate … | head`.
    let bad =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/manifests/rules");
    let mut child = crate::support::command()
        .args(["validate", bad.to_str().unwrap(), "--format", "json"])
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

/// A plan saved with `--now` a day ahead records an observation the vendor has not reached:
/// every "ordered since the plan" check would look past the orders placed meanwhile. Refused.
#[test]
fn a_plan_observed_in_the_future_is_refused() {
    let env = Env::new();
    let ahead = entitle::clock::Timestamp(env.sandbox.now_ms() + 86_400_000).to_string();
    let saved = env.run(&[
        "plan",
        &Env::examples_arg(),
        "--now",
        &ahead,
        "--no-price",
        "-o",
        "plan.json",
    ]);
    assert_eq!(saved.status.code(), Some(0), "{}", stderr(&saved));
    let out = env.apply_saved();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("made with --now ahead"),
        "{}",
        stderr(&out)
    );
    assert!(env.order_bodies().is_empty());
}
